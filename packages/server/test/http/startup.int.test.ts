/**
 * What a person sees when starting the real process (`node --import tsx src/main.ts`, what
 * `npm start` runs): where it listens, where the inspector and docs are, which database it
 * uses — and, on a port that is taken, one clear line and no wasted one-time admin key.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { describeStore } from "../../src/store/open-store.ts";
import { SERVER_DIR } from "../reliability/harness/runline-process.ts";

const KEY_LINE = /^ {2}(vf_\S+)$/m;

interface Started {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs main.ts with `env` until its stdout matches `until` (then SIGTERM) or it exits by itself.
 */
function runMain(env: Record<string, string>, until: RegExp): Promise<Started> {
  const child = spawn(process.execPath, ["--import", "tsx", join(SERVER_DIR, "src", "main.ts")], {
    cwd: SERVER_DIR,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      ...(process.env.HOME && { HOME: process.env.HOME }),
      RUNLINE_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (until.test(stdout)) child.kill("SIGTERM");
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) => {
    child.on("exit", (code) => resolve({ stdout, stderr, code }));
  });
}

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({ server, port: (server.address() as { port: number }).port });
    });
  });
}

describe("server start-up output", () => {
  const dirs: string[] = [];
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "runline-startup-"));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test("start-up prints where it listens, the /ui and /docs addresses and the database file, then the admin key", async () => {
    const dataDir = freshDir();
    const run = await runMain(
      { PORT: "0", HOST: "127.0.0.1", RUNLINE_DATA_DIR: dataDir },
      KEY_LINE,
    );
    const port = /listening on 127\.0\.0\.1:(\d+)/.exec(run.stdout)?.[1];
    assert.ok(port, run.stdout);
    assert.match(run.stdout, new RegExp(`inspector +http://127\\.0\\.0\\.1:${port}/ui\\n`));
    assert.match(run.stdout, new RegExp(`API docs +http://127\\.0\\.0\\.1:${port}/docs\\n`));
    assert.ok(
      run.stdout.includes(`database   SQLite ${join(dataDir, "runline.db")}\n`),
      run.stdout,
    );
    assert.match(run.stdout, KEY_LINE);
  });

  test("a taken port gives one clear line on stderr and exit status 1, and the one-time admin key is not spent", async () => {
    const dataDir = freshDir();
    const { server, port } = await occupy();
    let failed: Started;
    try {
      failed = await runMain(
        { PORT: String(port), HOST: "127.0.0.1", RUNLINE_DATA_DIR: dataDir },
        /(?!)/,
      );
    } finally {
      server.close();
    }
    assert.equal(failed.code, 1);
    assert.equal(
      failed.stderr,
      `runline: cannot listen on 127.0.0.1:${port}: it is already in use (another Runline?); set PORT to another port\n`,
    );
    assert.doesNotMatch(failed.stdout, /vf_/);
    // The database is still empty of keys: the next start, on a free port, creates and shows one.
    const retry = await runMain(
      { PORT: "0", HOST: "127.0.0.1", RUNLINE_DATA_DIR: dataDir },
      KEY_LINE,
    );
    assert.match(retry.stdout, KEY_LINE);
  });

  test("a PostgreSQL URL is described with its password redacted", () => {
    assert.equal(
      describeStore({
        databaseUrl: "postgres://app:s3cret@db.internal:5432/runline",
        dataDir: "x",
      }),
      "PostgreSQL postgres://app:***@db.internal:5432/runline",
    );
    assert.equal(
      describeStore({ databaseUrl: "postgresql://db/runline?password=s3cret", dataDir: "x" }),
      "PostgreSQL postgresql://db/runline?password=***",
    );
  });
});
