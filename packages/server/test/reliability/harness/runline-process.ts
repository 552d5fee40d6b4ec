/**
 * Runs the real server as a child process — `node --import tsx src/main.ts`, exactly what
 * `npm start` runs — on a port picked here, so tests can SIGKILL / SIGTERM it and start it again
 * over the same storage.
 *
 * Readiness is the server's own "runline is serving" log line (no polling). Every child is
 * SIGKILLed when the test process exits, so an aborted test leaves no server behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const SERVER_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const MAIN = join(SERVER_DIR, "src", "main.ts");

/** The bootstrap admin key every spawned server is started with. */
export const PROCESS_KEY = "vf_reliability_0123456789abcdefghijklmnop";

/** A safety bound on start-up (tsx compiles on first start): a hang fails instead of blocking. */
const START_LIMIT_MS = 90_000;

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A port that was free a moment ago (the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

export interface StartOptions {
  /** Storage and tuning (RUNLINE_DATA_DIR or DATABASE_URL, RUNLINE_SQLITE_SYNCHRONOUS, …). */
  env: Record<string, string>;
}

/** Whether a start failed before the server said it was serving. */
export class StartFailed extends Error {
  constructor(
    message: string,
    readonly exit: Exit,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "StartFailed";
  }
}

export class RunlineProcess {
  /** Log lines at level error or above (bounded), for diagnostics and assertions. */
  readonly errorLogs: string[] = [];
  /** How many log lines said "unhandled error" (each is a 500 answered to someone). */
  unhandledErrors = 0;
  /** Distinct causes of those 500s ("<type> <code>: <message>"), for reports. */
  readonly unhandledKinds = new Set<string>();
  /** The last log lines of any level, for diagnosing a failure. */
  readonly recentLogs: string[] = [];
  private stderrTail = "";
  private exitInfo: Exit | undefined;
  readonly exited: Promise<Exit>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        live.delete(child);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-8192);
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error("the server process has no pid");
    return pid;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Starts a server and resolves once it is serving; a taken port is retried with another. */
  static async start(options: StartOptions): Promise<RunlineProcess> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        return await RunlineProcess.startOn(port, options);
      } catch (error) {
        if (
          attempt < 3 &&
          error instanceof StartFailed &&
          /EADDRINUSE|already in use/.test(error.stderr)
        ) {
          continue;
        }
        throw error;
      }
    }
  }

  private static startOn(port: number, options: StartOptions): Promise<RunlineProcess> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      ...(process.env.TMPDIR && { TMPDIR: process.env.TMPDIR }),
      ...(process.env.HOME && { HOME: process.env.HOME }),
      HOST: "127.0.0.1",
      PORT: String(port),
      RUNLINE_BOOTSTRAP_KEY: PROCESS_KEY,
      // "info" is needed for the readiness line; request logs are drained and dropped.
      RUNLINE_LOG_LEVEL: "info",
      ...options.env,
    };
    const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
      cwd: SERVER_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const server = new RunlineProcess(child, port);
    return new Promise((resolve, reject) => {
      let ready = false;
      const limit = setTimeout(() => {
        if (ready) return;
        child.kill("SIGKILL");
        reject(
          new StartFailed(
            `server did not start within ${START_LIMIT_MS} ms`,
            {
              code: null,
              signal: "SIGKILL",
            },
            server.stderr,
          ),
        );
      }, START_LIMIT_MS);
      const lines = createInterface({ input: child.stdout! });
      lines.on("line", (line) => {
        server.recentLogs.push(line.slice(0, 600));
        if (server.recentLogs.length > 100) server.recentLogs.shift();
        if (!line.startsWith("{")) return;
        let entry: {
          level?: number;
          msg?: string;
          err?: { type?: string; code?: string; message?: string };
        };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          return;
        }
        if (!ready && entry.msg === "runline is serving") {
          ready = true;
          clearTimeout(limit);
          resolve(server);
        }
        if ((entry.level ?? 0) >= 50) {
          if (entry.msg === "unhandled error") {
            server.unhandledErrors++;
            const err = entry.err ?? {};
            server.unhandledKinds.add(
              `${err.type ?? "?"} ${err.code ?? ""}: ${(err.message ?? "").slice(0, 120)}`,
            );
          }
          if (server.errorLogs.length < 50) server.errorLogs.push(line.slice(0, 2000));
        }
      });
      void server.exited.then((exit) => {
        if (ready) return;
        clearTimeout(limit);
        reject(
          new StartFailed(
            `server exited before serving (code ${exit.code}, signal ${exit.signal}): ${server.stderr.slice(-2000)}`,
            exit,
            server.stderr,
          ),
        );
      });
    });
  }

  /** Sends a signal (SIGKILL: the crash; SIGTERM: the graceful shutdown). */
  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGKILLs the server if it still runs and waits for it to be gone (test clean-up). */
  async stop(): Promise<Exit> {
    this.kill("SIGKILL");
    return this.exited;
  }

  /** Peak resident memory of the process so far, in MiB (Linux), or undefined. */
  async peakRssMiB(): Promise<number | undefined> {
    const { readFile } = await import("node:fs/promises");
    try {
      const status = await readFile(`/proc/${this.pid}/status`, "utf8");
      const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
      return match ? Number(match[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }
}
