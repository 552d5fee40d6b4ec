/**
 * Secrets never reach the logs: the real server process (`src/main.ts`, its own logger and
 * redaction) runs at `trace` level while requests carry every kind of credential — good and bad
 * API keys in both headers, a user JWT, a writer token, JWTs and keys in a stream URL — and its
 * whole output is searched.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { bearer, JWT_SECRET, secretOf, userJwt } from "../auth/fixtures.ts";
import { BOOTSTRAP_KEY } from "../helpers/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

interface RunningProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function startProcess(location: TestStoreLocation): Promise<RunningProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: {
      PATH: process.env.PATH,
      PORT: "0",
      HOST: "127.0.0.1",
      RUNLINE_LOG_LEVEL: "trace",
      RUNLINE_BOOTSTRAP_KEY: BOOTSTRAP_KEY,
      RUNLINE_SQLITE_SYNCHRONOUS: "NORMAL",
      RUNLINE_JWT_SECRET: JWT_SECRET,
      ...(location.dataDir && { RUNLINE_DATA_DIR: location.dataDir }),
      ...(location.databaseUrl && { DATABASE_URL: location.databaseUrl }),
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
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    const look = () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off("data", look);
        resolve(match[1]!);
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

async function stopProcess(running: RunningProcess): Promise<void> {
  if (running.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => running.child.once("exit", () => resolve()));
  running.child.kill("SIGTERM");
  await exited;
}

for (const target of storeTargets()) {
  describe(`secrets in logs [${target.kind}]`, { skip: target.skip }, () => {
    let location: TestStoreLocation;
    let running: RunningProcess;
    before(async () => {
      location = await freshStoreLocation(target.kind);
      running = await startProcess(location);
    });
    after(async () => {
      if (running) await stopProcess(running);
      await location.dispose();
    });

    test("no credential or secret appears in the server's trace-level log output", async () => {
      const send = async (
        method: string,
        path: string,
        headers: Record<string, string>,
        body?: unknown,
      ) => {
        const response = await fetch(running.url + path, {
          method,
          headers: {
            ...headers,
            ...(body !== undefined && { "content-type": "application/json" }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        return {
          status: response.status,
          body: (await response.json()) as Record<string, unknown>,
        };
      };
      const admin = bearer(BOOTSTRAP_KEY);
      const created = await send("POST", "/api-keys", admin, { name: "logged?" });
      assert.equal(created.status, 201);
      const newKey = created.body.key as string;
      const run = await send("POST", "/runs", admin, {
        kind: "agent",
        owner: { kind: "conversation", id: crypto.randomUUID() },
        request: { agent_id: "a" },
      });
      assert.equal(run.status, 202);
      const runId = (run.body.run as { run_id: string }).run_id;
      const writer = (await send("POST", `/runs/${runId}/event-writer-token`, admin)).body
        .run_event_token as string;
      const jwt = await userJwt(
        { sub: "logged-user", project_id: "p-logs" },
        { issuer: null, audience: null },
      );
      const badKey = `${BOOTSTRAP_KEY.slice(0, BOOTSTRAP_KEY.lastIndexOf("_"))}_wrongsecret0123456789wrong`;

      const statuses = [
        (await send("GET", "/runs", { "x-api-key": BOOTSTRAP_KEY })).status,
        (await send("GET", "/runs", bearer(newKey))).status,
        (await send("GET", "/runs", { "x-api-key": newKey })).status,
        (await send("GET", "/runs", bearer(jwt))).status,
        (
          await send("POST", `/runs/${runId}/events`, bearer(writer), {
            events: [{ type: "STEP_STARTED", stepName: "s" }],
          })
        ).status,
        (await send("GET", "/runs", bearer(badKey))).status,
        (await send("GET", "/runs", { "x-api-key": badKey })).status,
        (await send("GET", `/runs/${runId}`, bearer(writer))).status,
      ];
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 401, 401, 403]);
      // Credentials in the URL (EventSource's `?access_token=`): a JWT is used (another
      // project's, so 404), an API key refused — neither is logged with the URL.
      const head = async (token: string) =>
        (
          await fetch(`${running.url}/runs/${runId}/stream?access_token=${token}`, {
            method: "HEAD",
          })
        ).status;
      assert.deepEqual([await head(jwt), await head(newKey)], [404, 401]);

      await stopProcess(running);
      const output = running.output();
      assert.ok(
        (output.match(/incoming request/g) ?? []).length >= statuses.length,
        "the requests were logged at all",
      );
      assert.ok(output.includes("access_token=[redacted]"), "the stream URL is logged, censored");
      const secrets = {
        bootstrapKey: BOOTSTRAP_KEY,
        bootstrapSecret: secretOf(BOOTSTRAP_KEY),
        newKey,
        newSecret: secretOf(newKey),
        badSecret: secretOf(badKey),
        jwt,
        jwtSignature: jwt.split(".")[2]!,
        writer,
        writerSignature: writer.split(".")[2]!,
        jwtSecret: JWT_SECRET,
      };
      for (const [name, secret] of Object.entries(secrets)) {
        assert.ok(!output.includes(secret), `the log contains ${name}`);
      }
    });
  });
}
