/**
 * Runs the `runline` command line as a child process, as a user would — from its TypeScript
 * source through tsx, so tests never run a stale build (the packaging test runs the built
 * `bin/runline.mjs` from an installed tarball): to completion (`runline`)
 * or live (`spawnRunline`), reading its stdout as it arrives so a test can wait for output
 * while the command is still running. Every wait is bounded; a child still alive at its
 * deadline is killed and the test fails with what it printed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
/** The arguments that start the command line from source: `spawn(process.execPath, [...RUNLINE_ARGS, …])`. */
export const RUNLINE_ARGS: readonly string[] = ["--import", "tsx", MAIN];
const CWD = fileURLToPath(new URL("../..", import.meta.url));
// A hang guard, not a timing check: generous, since each child compiles the CLI through tsx.
const DEADLINE_MS = 60_000;

/** Children still running; killed if the test process exits first, so none is left behind. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Live {
  child: ChildProcess;
  /** Everything printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** Resolves once stdout satisfies `test`; rejects if the process exits first or at the deadline. */
  waitForStdout(test: (stdout: string) => boolean, what: string): Promise<string>;
  /** Resolves when the process exits (killed at the deadline). */
  finished: Promise<Finished>;
}

/**
 * The environment for a child: this one minus anything that could point it elsewhere, plus
 * `env`. NO_COLOR is set so output is plain even if a test runs on a terminal.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const {
    RUNLINE_URL: _u,
    RUNLINE_API_KEY: _k,
    DATABASE_URL: _d,
    RUNLINE_DATA_DIR: _r,
    ...rest
  } = process.env;
  return { ...rest, NO_COLOR: "1", ...env };
}

export function spawnRunline(args: string[], env: Record<string, string> = {}): Live {
  const child = spawn(process.execPath, [...RUNLINE_ARGS, ...args], {
    cwd: CWD,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  let exited = false;
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const watcher of [...watchers]) watcher();
  };
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const deadline = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  const finished = new Promise<Finished>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => {
      clearTimeout(deadline);
      running.delete(child);
      exited = true;
      notify();
      resolve({ status, signal, stdout, stderr });
    });
  });

  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get exited() {
      return exited;
    },
    finished,
    waitForStdout(test, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (test(stdout)) {
            watchers.delete(check);
            resolve(stdout);
          } else if (exited) {
            watchers.delete(check);
            reject(
              new Error(
                `runline exited before printing ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`,
              ),
            );
          }
        };
        watchers.add(check);
        check();
      });
    },
  };
}

/** Runs a command to completion. */
export function runline(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return spawnRunline(args, env).finished;
}

/** A port on 127.0.0.1 that was free a moment ago. */
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
