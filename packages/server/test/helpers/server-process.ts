/**
 * The real server (`src/main.ts`, its own logger and configuration from the environment) as a
 * child process on a free port, its whole output captured — for tests that read what the
 * process itself prints or exports (log redaction, traces). Started from the TypeScript sources
 * with this process's NODE_OPTIONS (the workspace's `runline-source` condition).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BOOTSTRAP_KEY } from "./server.ts";
import type { TestStoreLocation } from "./stores.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
/** A bound on start-up, generous for a loaded machine (tsx compiles on first start). */
const START_LIMIT_MS = 60_000;

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string;
}

/** Starts the server on `location` with `env` over the defaults; resolves once it serves. */
export async function startServerProcess(
  location: TestStoreLocation,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: {
      PATH: process.env.PATH,
      NODE_OPTIONS: process.env.NODE_OPTIONS,
      PORT: "0",
      HOST: "127.0.0.1",
      RUNLINE_BOOTSTRAP_KEY: BOOTSTRAP_KEY,
      RUNLINE_SQLITE_SYNCHRONOUS: "NORMAL",
      ...(location.dataDir && { RUNLINE_DATA_DIR: location.dataDir }),
      ...(location.databaseUrl && { DATABASE_URL: location.databaseUrl }),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${output}`)),
      START_LIMIT_MS,
    );
    const look = () => {
      // The start-up banner, written once the server listens AND bootstrap has created the
      // admin key (Fastify's own "Server listening" line comes before that: a request sent then
      // could meet a 401).
      const match = /Runline is listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", look);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    child.stdout?.on("data", look);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}

/** SIGTERM, then its exit code (a graceful stop flushes what it holds). */
export async function stopServerProcess(running: ServerProcess): Promise<number | null> {
  if (running.child.exitCode !== null) return running.child.exitCode;
  const exited = new Promise<number | null>((resolve) =>
    running.child.once("exit", (code) => resolve(code)),
  );
  running.child.kill("SIGTERM");
  return exited;
}
