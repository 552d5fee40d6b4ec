/**
 * Secrets never reach the logs: the real server process (`src/main.ts`, its own logger and
 * redaction) runs at `trace` level while requests carry every kind of credential — good and bad
 * API keys in both headers, a user JWT, a writer token, JWTs and keys in a stream URL — and its
 * whole output is searched.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bearer, JWT_SECRET, secretOf, userJwt } from "../auth/fixtures.ts";
import { BOOTSTRAP_KEY } from "../helpers/server.ts";
import {
  type ServerProcess,
  startServerProcess,
  stopServerProcess,
} from "../helpers/server-process.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";

for (const target of storeTargets()) {
  describe(`secrets in logs [${target.kind}]`, { skip: target.skip }, () => {
    let location: TestStoreLocation;
    let running: ServerProcess;
    before(async () => {
      location = await freshStoreLocation(target.kind);
      running = await startServerProcess(location, {
        RUNLINE_LOG_LEVEL: "trace",
        RUNLINE_JWT_SECRET: JWT_SECRET,
      });
    });
    after(async () => {
      if (running) await stopServerProcess(running);
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

      await stopServerProcess(running);
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
