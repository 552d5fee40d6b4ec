/**
 * Child processes for the benchmark: the server under test, the peer server, load generators
 * and SSE subscribers each run in their own process (TypeScript through tsx), so none of them
 * shares a CPU-bound event loop with another.
 *
 * Protocol over the IPC channel: the child sends `{ type: "ready", info }` once it is up; the
 * parent then sends `{ type: "call", id, op, payload }` and gets `{ type: "reply", id, result }`
 * or `{ type: "reply", id, error }`; `{ type: "stop" }` asks the child to clean up and exit.
 * Every child exits on its own when the parent goes away or its lifetime runs out.
 */
import { type ChildProcess, fork } from "node:child_process";
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

type Message =
  | { type: "ready"; info: unknown }
  | { type: "reply"; id: number; result?: unknown; error?: string }
  | { type: "log"; text: string };

export interface ChildOptions {
  /** A name for messages ("runline-server", "load-1"). */
  name: string;
  env?: Record<string, string | undefined>;
  /** Extra node flags (e.g. --cpu-prof). tsx is always loaded. */
  execArgv?: string[];
  /** How long the child may take to report ready. */
  startTimeoutMs?: number;
  /** The child exits by itself after this long whatever happens. */
  lifetimeMs: number;
  /** Show the child's stdout (servers' own logs are noise; default: ignored). */
  stdout?: boolean;
  /** Load TypeScript through tsx (default); false for plain JavaScript (a compiled build). */
  tsx?: boolean;
}

/** Every child started and not yet gone: killed (by pid) if the benchmark aborts. */
const live = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  live.clear();
}

export class Child<Info = unknown> {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private readonly exited: Promise<number | null>;
  private stderrTail = "";

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
    readonly info: Info,
  ) {
    this.exited = new Promise((resolve) => {
      if (process.exitCode !== null) resolve(process.exitCode);
      else process.once("exit", (code) => resolve(code));
    });
    process.on("message", (raw) => this.onMessage(raw as Message));
    process.once("exit", (code, signal) => {
      live.delete(process);
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(
          new Error(
            `${name} exited (${code ?? signal}) with a call pending${this.stderrTail ? `: ${this.stderrTail.trim()}` : ""}`,
          ),
        );
      }
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  static async start<Info>(
    script: string,
    args: string[],
    options: ChildOptions,
  ): Promise<Child<Info>> {
    const scriptPath = isAbsolute(script)
      ? script
      : fileURLToPath(new URL(script, new URL("../", import.meta.url)));
    const child = fork(scriptPath, args, {
      cwd: ROOT,
      execArgv: [
        ...(options.tsx === false ? [] : ["--import", "tsx"]),
        ...(options.execArgv ?? []),
      ],
      env: {
        ...process.env,
        BENCH_CHILD_LIFETIME_MS: String(options.lifetimeMs),
        ...options.env,
      },
      stdio: ["ignore", options.stdout ? "inherit" : "ignore", "pipe", "ipc"],
      serialization: "advanced",
    });
    live.add(child);
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[${options.name}] ${chunk}`);
    });
    const info = await new Promise<Info>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new Error(
            `${options.name} did not start within ${options.startTimeoutMs ?? 30_000} ms: ${stderr.trim()}`,
          ),
        );
      }, options.startTimeoutMs ?? 30_000);
      const onMessage = (raw: unknown) => {
        const message = raw as Message;
        if (message.type !== "ready") return;
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message.info as Info);
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (${code}) before it was ready: ${stderr.trim()}`));
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
    const wrapped = new Child<Info>(options.name, child, info);
    child.stderr?.on("data", () => {
      wrapped.stderrTail = stderr;
    });
    return wrapped;
  }

  private onMessage(message: Message): void {
    if (message.type === "log") {
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[${this.name}] ${message.text}\n`);
      return;
    }
    if (message.type !== "reply") return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error !== undefined) pending.reject(new Error(`${this.name}: ${message.error}`));
    else pending.resolve(message.result);
  }

  /** Asks the child to do `op`; rejects after `timeoutMs`. */
  call<T>(op: string, payload: unknown, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${op} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.process.send({ type: "call", id, op, payload });
    });
  }

  /** Asks the child to stop; kills it (by its pid) when it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    if (this.process.connected) this.process.send({ type: "stop" });
    const timer = setTimeout(() => this.process.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// The child's side

export type Handlers = Record<string, (payload: never) => Promise<unknown>>;

/**
 * Called by a child script: announces `info`, answers calls with `handlers`, and exits on
 * `stop` (after `onStop`), when the parent disconnects, or when its lifetime is over.
 */
export function serveChild(
  info: unknown,
  handlers: Handlers,
  onStop: () => Promise<void> = async () => undefined,
): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error("this script runs as a child of bench/run.ts (no IPC channel)");
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(code), 8_000);
    force.unref();
    onStop()
      .catch(() => undefined)
      .finally(() => process.exit(code));
  };
  const lifetime = Number(process.env.BENCH_CHILD_LIFETIME_MS ?? 600_000);
  setTimeout(() => stop(3), lifetime).unref();
  process.on("disconnect", () => stop(0));
  process.on("message", (raw) => {
    const message = raw as { type: string; id: number; op: string; payload: unknown };
    if (message.type === "stop") {
      stop(0);
      return;
    }
    if (message.type !== "call") return;
    const handler = handlers[message.op];
    if (!handler) {
      send({ type: "reply", id: message.id, error: `unknown op ${message.op}` });
      return;
    }
    handler(message.payload as never).then(
      (result) => {
        if (process.connected) send({ type: "reply", id: message.id, result });
      },
      (error: unknown) => {
        if (process.connected) {
          send({
            type: "reply",
            id: message.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          });
        }
      },
    );
  });
  send({ type: "ready", info });
}
