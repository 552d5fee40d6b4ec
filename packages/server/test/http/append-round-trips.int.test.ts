/**
 * PostgreSQL: an append costs two round trips to the database, one read and one write, however
 * many events it carries, counted as the statements the server's connections send during it
 * (a number, not a timing) — except a run's first append, which changes its status in a
 * transaction (store/changes.ts). The API key comes from the cache of verified keys; the
 * cross-instance announcement is the live feed's coalesced NOTIFY, sent on its own connection
 * after the answer, and not counted here.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { text } from "../helpers/fixtures.ts";
import { createRun, startTestServer, type TestServer } from "../helpers/server.ts";
import { storeTargets } from "../helpers/stores.ts";

const postgres = storeTargets().find((t) => t.kind === "postgres")!;

/**
 * Statements of the server's background loops, which may land in any window: the input-request
 * expiry sweeper's and the webhook deliverer's looks for due work. Not part of an append.
 */
/** Background loops' statements (input-request expiry, webhook deliveries, retention sweeps). */
const BACKGROUND =
  /FROM input_requests WHERE status = 'open' AND expires_at <=|FROM webhook_deliveries|deleted_at IS NOT NULL|FROM run_tombstones/;

/** The statements sent (by any pg client in this process) while `body` runs. */
async function statementsDuring(body: () => Promise<void>): Promise<string[]> {
  const sent: string[] = [];
  const original = pg.Client.prototype.query;
  const counting = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === "string" ? first : (first as { text?: string }).text;
    // Not the append's: the feed's NOTIFY, and background loops' timers (input-request expiry,
    // webhook deliveries), which fell inside a slow append now and then on a loaded machine.
    if (!text?.includes("pg_notify") && !BACKGROUND.test(text ?? "")) sent.push(text ?? "");
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  pg.Client.prototype.query = counting as typeof original;
  try {
    await body();
  } finally {
    pg.Client.prototype.query = original;
  }
  return sent;
}

describe("round trips of an append [postgres]", { skip: postgres.skip }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer("postgres");
  });
  after(async () => {
    await server?.close();
  });

  const eventsUrl = (run: { run_id: string; conversation_id: string }) =>
    `/conversations/${run.conversation_id}/runs/${run.run_id}/events`;

  test("a 1-event append and a 100-event batch each send 2 statements; the first append, which starts the run, one transaction", async () => {
    const run = await createRun(server);
    const first = await statementsDuring(async () => {
      const response = await server.request("POST", eventsUrl(run), {
        events: [{ type: "TEXT_MESSAGE_START", messageId: "m", role: "assistant" }],
      });
      assert.equal(response.status, 200);
    });
    // pending → running is a status change, recorded for the change journal's writers inside
    // a transaction (store/changes.ts): the read, then BEGIN … COMMIT around the write — which
    // includes the conversation-stream frames (one statement, docs/api.md §8) and the webhook
    // outbox writer's read of the project's subscriptions (docs/api.md §10).
    assert.equal(first[0]?.includes("BEGIN"), false, first.join("\n---\n"));
    assert.equal(first[1], "BEGIN", first.join("\n---\n"));
    assert.equal(first.at(-1), "COMMIT", first.join("\n---\n"));
    assert.ok(first.length <= 10, first.join("\n---\n"));
    await server.server.authenticator.settled();

    const one = await statementsDuring(async () => {
      const response = await server.request("POST", eventsUrl(run), {
        events: [{ type: "TEXT_MESSAGE_CONTENT", messageId: "m", delta: "x" }],
        expected_previous_event_id: 2,
      });
      assert.equal(response.status, 200);
    });
    assert.equal(one.length, 2, one.join("\n---\n"));

    const batch = Array.from({ length: 100 }, (_, i) => ({
      type: "TEXT_MESSAGE_CONTENT",
      messageId: "m",
      delta: `token ${i}`,
    }));
    const hundred = await statementsDuring(async () => {
      const response = await server.request("POST", eventsUrl(run), { events: batch });
      assert.equal(response.status, 200);
      assert.equal(response.body.latest_event_id, 103);
    });
    assert.equal(hundred.length, 2, hundred.join("\n---\n"));
  });

  test("the count is the same on a run with a long history", async () => {
    const run = await createRun(server);
    for (let m = 0; m < 20; m++) {
      const response = await server.request("POST", eventsUrl(run), {
        events: text(`m${m}`, "hello"),
      });
      assert.equal(response.status, 200);
    }
    const sent = await statementsDuring(async () => {
      const response = await server.request("POST", eventsUrl(run), {
        events: text("last", "bye"),
      });
      assert.equal(response.status, 200);
    });
    assert.equal(sent.length, 2, sent.join("\n---\n"));
  });
});
