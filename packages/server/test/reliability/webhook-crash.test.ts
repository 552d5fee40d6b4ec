/**
 * Promise (docs/api.md §10): a SIGKILL while webhooks are being delivered loses none. Deliveries
 * are at least once: after restarts over the same storage, the receiver has seen every
 * `webhook-id` whose change committed — here, `run.created` of every run that exists — at
 * least once (duplicates allowed: receivers deduplicate by `webhook-id`).
 *
 * The server runs as a process; runs are created concurrently while the receiver answers
 * slowly enough that claims and attempts are in flight, and the server is SIGKILLed once the
 * receiver has seen a random number of requests. A request whose answer was lost with the
 * process may or may not have created its run: whatever exists afterwards must be delivered.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { eventually, Receiver } from "../webhooks/receiver.ts";
import { PROCESS_KEY, RunlineProcess } from "./harness/runline-process.ts";
import { Rng, SEED, scaled } from "./harness/scale.ts";
import { postgresSkip, processStorage } from "./harness/storage.ts";

const WEBHOOK_ENV = {
  RUNLINE_WEBHOOKS_ALLOW_PRIVATE: "true",
  RUNLINE_WEBHOOK_POLL_MS: "20",
  // A claim lasts 2 × timeout + 1 s: rows claimed by the killed process come back after 2 s.
  RUNLINE_WEBHOOK_TIMEOUT_MS: "500",
  RUNLINE_WEBHOOK_RETRY_SCHEDULE: "10ms,10ms,10ms,10ms,10ms,10ms,10ms,10ms",
  RUNLINE_LOG_LEVEL: "info",
};

async function call(server: RunlineProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(server.url + path, {
    method,
    headers: {
      authorization: `Bearer ${PROCESS_KEY}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const targets = [
  { kind: "sqlite" as const, skip: false as string | false },
  { kind: "postgres" as const, skip: postgresSkip() },
];

describe("a SIGKILL during webhook deliveries loses none (at least once)", () => {
  for (const [index, target] of targets.entries()) {
    const kills = scaled(3);
    test(`${target.kind}: ${kills} SIGKILLs while runs are created and delivered`, {
      skip: target.skip,
      timeout: 300_000,
    }, async () => {
      const rng = new Rng(SEED + index);
      const storage = await processStorage(target.kind);
      const receiver = await Receiver.start();
      receiver.respond = async () => {
        // Slow enough that claims and attempts are in flight when the kill lands.
        await new Promise((resolve) => setTimeout(resolve, rng.int(1, 20)));
        return 200;
      };
      let server = await RunlineProcess.start({ env: { ...storage.env, ...WEBHOOK_ENV } });
      const attempted = new Set<string>();
      try {
        const hook = await call(server, "POST", "/webhooks", {
          url: receiver.url,
          events: ["run.created"],
        });
        assert.equal(hook.status, 201, JSON.stringify(hook.body));
        for (let kill = 0; kill < kills; kill++) {
          const target = receiver.received.length + rng.int(3, 15);
          const killed = receiver
            .waitFor((all) => all.length >= target, 60_000)
            .then(() => {
              server.kill("SIGKILL");
            });
          // Producers create runs until the kill ends their connection.
          const producers = Array.from({ length: 4 }, async () => {
            while (server.running) {
              const runId = `crash-${randomUUID()}`;
              attempted.add(runId);
              try {
                await call(server, "POST", "/runs", {
                  kind: "agent",
                  owner: { kind: "conversation", id: randomUUID() },
                  request: { agent_id: "a" },
                  public_id: runId,
                });
              } catch {
                return; // the process died under this request: the run may or may not exist
              }
            }
          });
          await killed;
          const exit = await server.exited;
          assert.equal(exit.signal, "SIGKILL");
          await Promise.all(producers);
          server = await RunlineProcess.start({ env: { ...storage.env, ...WEBHOOK_ENV } });
        }
        // Which runs exist (committed) after the last restart: each must have been delivered.
        const existing: string[] = [];
        for (const runId of attempted) {
          const response = await call(server, "GET", `/runs/${runId}`);
          if (response.status === 200) existing.push(runId);
          else assert.equal(response.status, 404, `${runId}: ${JSON.stringify(response.body)}`);
        }
        assert.ok(existing.length > 0);
        const delivered = () =>
          new Set(
            receiver.received
              .filter((r) => r.json.type === "run.created")
              .map((r) => r.json.data.run_id as string),
          );
        await eventually(async () => existing.every((id) => delivered().has(id)), 120_000).catch(
          () => {
            const missing = existing.filter((id) => !delivered().has(id));
            assert.fail(
              `${missing.length} of ${existing.length} runs never delivered: ${missing.slice(0, 5)}`,
            );
          },
        );
        const extra = [...delivered()].filter((id) => !existing.includes(id));
        assert.deepEqual(extra, [], "a delivery for a run that does not exist");
        const ids = receiver.received.map((r) => r.id);
        console.log(
          `seed ${SEED + index}: ${existing.length} runs, ${ids.length} requests, ${ids.length - new Set(ids).size} repeated after kills`,
        );
      } finally {
        await server.stop();
        await receiver.close();
        await storage.dispose();
      }
    });
  }
});
