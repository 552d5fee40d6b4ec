/**
 * The runnable receiver of docs/operations.md (`docs/examples/webhook-receiver.ts`), run as a
 * process against a real server: it verifies real deliveries, refuses a forged one and
 * recognises a repeated `webhook-id` — the page stays true.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { webhookSignature } from "../../src/webhooks/signature.ts";
import { createRun, describeEachStore } from "../helpers/server.ts";
import { freePort } from "../reliability/harness/runline-process.ts";

const ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
const EXAMPLE = "docs/examples/webhook-receiver.ts";

describeEachStore(
  "docs/examples/webhook-receiver.ts",
  (server) => {
    test("verifies real deliveries, refuses a forged one, and handles a repeated webhook-id once", {
      timeout: 60_000,
    }, async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/hook`;
      const created = await server().request("POST", "/webhooks", {
        url,
        events: ["run.created"],
      });
      assert.equal(created.status, 201, created.text);
      const child = spawn(process.execPath, ["--import", "tsx", EXAMPLE], {
        cwd: ROOT,
        env: { ...process.env, PORT: String(port), RUNLINE_WEBHOOK_SECRET: created.body.secret },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const guard = setTimeout(() => child.kill("SIGKILL"), 50_000);
      let stdout = "";
      const printed = (pattern: RegExp) =>
        new Promise<RegExpExecArray>((resolve, reject) => {
          const check = () => {
            const match = pattern.exec(stdout);
            if (match) resolve(match);
            return match;
          };
          if (check()) return;
          child.stdout.on("data", () => check());
          child.on("close", () => reject(new Error(`exited before ${pattern}:\n${stdout}`)));
        });
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
      });
      try {
        await printed(/listening on/);
        const run = await createRun(server());
        const [, id] = await printed(new RegExp(`verified run\\.created (\\S+) ${run.run_id}`));
        // The same delivery again (a retry after a lost answer): handled once.
        const body = JSON.stringify({ type: "run.created", timestamp: "x", data: {} });
        const timestamp = Math.floor(Date.now() / 1000);
        const send = (signature: string, webhookId = id!) =>
          fetch(url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "webhook-id": webhookId,
              "webhook-timestamp": String(timestamp),
              "webhook-signature": signature,
            },
            body,
          });
        const again = await send(webhookSignature(created.body.secret, id!, timestamp, body));
        assert.equal(again.status, 200);
        await printed(/duplicate msg_/);
        const forged = await send(
          webhookSignature(
            `whsec_${Buffer.alloc(24, 1).toString("base64")}`,
            "msg_x",
            timestamp,
            body,
          ),
          "msg_x",
        );
        assert.equal(forged.status, 401);
        await printed(/refused a request with a bad signature/);
      } finally {
        clearTimeout(guard);
        child.kill("SIGTERM");
        await server().request("DELETE", `/webhooks/${created.body.id}`);
      }
    });
  },
  { RUNLINE_WEBHOOKS_ALLOW_PRIVATE: "true", RUNLINE_WEBHOOK_POLL_MS: "50" },
);
