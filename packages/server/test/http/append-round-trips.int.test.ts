/**
 * PostgreSQL: an append costs one round trip to the database when this instance made the run's
 * last write (the batch is decided on the run as that write left it, `ledger/run-cache.ts`, and
 * written with a compare-and-set), two otherwise (one read, one write) — however many events it
 * carries, counted as the statements the server's connections send during it (a number, not a
 * timing). A run's first append changes its status in a transaction (store/changes.ts). The API
 * key comes from the cache of verified keys; the cross-instance announcement is the live feed's
 * coalesced NOTIFY, sent on its own connection after the answer, and not counted here.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { text } from "../helpers/fixtures.ts";
import { createRun, startTestServer, type TestServer } from "../helpers/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";

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
  // Two instances on one database: `b` has never written the runs `a` appends to.
  let location: TestStoreLocation;
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    location = await freshStoreLocation("postgres");
    a = await startTestServer("postgres", {}, { location });
    b = await startTestServer("postgres", {}, { location });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await location?.dispose();
  });

  const eventsUrl = (run: { run_id: string; conversation_id: string }) =>
    `/conversations/${run.conversation_id}/runs/${run.run_id}/events`;

  /** Appends through `server`; returns the statements sent meanwhile. */
  async function appendCounted(
    server: TestServer,
    run: { run_id: string; conversation_id: string },
    body: Record<string, unknown>,
    latest: number,
  ): Promise<string[]> {
    const sent = await statementsDuring(async () => {
      const response = await server.request("POST", eventsUrl(run), body);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.latest_event_id, latest);
    });
    await server.server.authenticator.settled();
    return sent;
  }

  test("1 statement after this instance's own write, 2 where it must read the run, 3 when its copy went stale; a run's first append is one transaction", async () => {
    const run = await createRun(a);
    const first = await appendCounted(
      a,
      run,
      { events: [{ type: "TEXT_MESSAGE_START", messageId: "m", role: "assistant" }] },
      2,
    );
    // pending → running is a status change, recorded for the change journal's writers inside
    // a transaction (store/changes.ts): the read, then BEGIN … COMMIT around the write — which
    // includes the conversation-stream frames (one statement, docs/api.md §8) and the webhook
    // outbox writer's read of the project's subscriptions (docs/api.md §10).
    // (A COMMIT before any BEGIN ends a background loop's transaction begun before the window.)
    const own = first.filter((s, i) => s !== "COMMIT" || first.slice(0, i).includes("BEGIN"));
    assert.equal(own[0]?.includes("BEGIN"), false, own.join("\n---\n"));
    assert.equal(own[1], "BEGIN", own.join("\n---\n"));
    assert.equal(own.at(-1), "COMMIT", own.join("\n---\n"));
    assert.ok(own.length <= 10, own.join("\n---\n"));
    // `b` verifies the key once (its own cache of verified keys), outside the counts.
    assert.equal((await b.request("GET", `/runs/${run.run_id}`)).status, 200);
    await b.server.authenticator.settled();

    const delta = (d: string) => ({
      events: [{ type: "TEXT_MESSAGE_CONTENT", messageId: "m", delta: d }],
    });
    const one = await appendCounted(a, run, { ...delta("x"), expected_previous_event_id: 2 }, 3);
    assert.equal(one.length, 1, one.join("\n---\n"));
    assert.match(one[0]!, /^WITH run AS/);

    const batch = Array.from({ length: 100 }, (_, i) => ({
      type: "TEXT_MESSAGE_CONTENT",
      messageId: "m",
      delta: `token ${i}`,
    }));
    const hundred = await appendCounted(a, run, { events: batch }, 103);
    assert.equal(hundred.length, 1, hundred.join("\n---\n"));

    // Another instance: it reads the run (and the batch's owner records), then writes.
    const cold = await appendCounted(b, run, delta("y"), 104);
    assert.equal(cold.length, 2, cold.join("\n---\n"));
    // Back on `a`, whose copy is now stale: the compare-and-set writes nothing, a read, a write.
    const stale = await appendCounted(a, run, delta("z"), 105);
    assert.equal(stale.length, 3, stale.join("\n---\n"));
    const again = await appendCounted(a, run, delta("w"), 106);
    assert.equal(again.length, 1, again.join("\n---\n"));
    const log = await a.request("GET", `${eventsUrl(run)}?limit=200`);
    assert.equal(log.status, 200, log.text);
    const deltas = (log.body.data as { event: { delta?: string } }[])
      .map((e) => e.event.delta)
      .filter((d) => d !== undefined && d.length === 1);
    assert.deepEqual(deltas, ["x", "y", "z", "w"]);
  });

  test("a stale copy decides nothing: what it would refuse is decided again from a read, what it would accept is refused when the run moved on", async () => {
    const run = await createRun(a);
    const start = (id: string) => ({
      type: "TEXT_MESSAGE_START",
      messageId: id,
      role: "assistant",
    });
    const content = (id: string) => ({ type: "TEXT_MESSAGE_CONTENT", messageId: id, delta: "x" });
    const post = (server: TestServer, events: unknown[]) =>
      server.request("POST", eventsUrl(run), { events });
    assert.equal((await post(a, [start("m")])).status, 200);
    assert.equal((await post(a, [content("m")])).status, 200);
    // Another instance closes m and opens n; `a`'s copy still has m open and no n.
    const moved = await post(b, [{ type: "TEXT_MESSAGE_END", messageId: "m" }, start("n")]);
    assert.equal(moved.status, 200, moved.text);
    // The copy would refuse content for n: decided again from a read, accepted.
    const accepted = await post(a, [content("n")]);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.latest_event_id, 6);
    // `a` wrote last again; `b` ends n. The copy would accept content for n: refused.
    assert.equal((await post(b, [{ type: "TEXT_MESSAGE_END", messageId: "n" }])).status, 200);
    const refused = await post(a, [content("n")]);
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.code, "invalid_event");
    const log = await a.request("GET", `${eventsUrl(run)}?limit=50`);
    assert.deepEqual(
      (log.body.data as { event: { type: string } }[]).map((e) => e.event.type),
      [
        "RUN_STARTED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
      ],
    );
  });

  test("the count is the same on a run with a long history, and for new message ids", async () => {
    const run = await createRun(a);
    for (let m = 0; m < 20; m++) {
      const response = await a.request("POST", eventsUrl(run), {
        events: text(`m${m}`, "hello"),
      });
      assert.equal(response.status, 200);
    }
    await a.server.authenticator.settled();
    // `a` wrote every event of the run, so it knows every owner record: a new id needs no read.
    const sent = await appendCounted(a, run, { events: text("last", "bye") }, 64);
    assert.equal(sent.length, 1, sent.join("\n---\n"));
    const elsewhere = await appendCounted(b, run, { events: text("other", "hi") }, 67);
    assert.equal(elsewhere.length, 2, elsewhere.join("\n---\n"));
  });
});
