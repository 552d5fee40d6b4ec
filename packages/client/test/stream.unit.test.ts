/**
 * The stream's own guarantees, against a scripted SSE server that misbehaves on purpose:
 * no id twice, no id skipped, reconnects with Last-Event-ID after closes, errors and silence,
 * and a clear end (terminal event, fully seen ended run, or a bounded number of attempts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  RunlineClient,
  RunlineConnectionError,
  RunlineError,
  type StreamedEvent,
  type StreamOptions,
} from "../src/index.ts";
import {
  type ConnectionPlan,
  type FakeSseServer,
  fakeLog,
  startFakeSseServer,
} from "./helpers/fake-sse-server.ts";

const FAST = { initialDelayMs: 1, maxDelayMs: 5 };

async function follow(
  plan: (connection: number, after: number) => ConnectionPlan,
  options: StreamOptions & { count?: number; status?: string } = {},
): Promise<{ events: StreamedEvent[]; fake: FakeSseServer; log: ReturnType<typeof fakeLog> }> {
  const log = fakeLog(options.count ?? 10);
  const fake = await startFakeSseServer({ events: log, status: options.status ?? "running", plan });
  try {
    const client = new RunlineClient({ baseUrl: fake.url, apiKey: "vf_test_key" });
    const events: StreamedEvent[] = [];
    for await (const e of client.stream("c", "r", { reconnect: FAST, ...options })) events.push(e);
    return { events, fake, log };
  } finally {
    await fake.close();
  }
}

const idsOf = (events: StreamedEvent[]) => events.map((e) => e.event_id);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

test("ids at or below the last one are never yielded again, even when the server replays them", async () => {
  const { events, fake, log } = await follow(
    (n) => [{ to: 5 }, { from: 3, to: 8 }, { from: 1 }][n] ?? {},
  );
  assert.deepEqual(idsOf(events), range(1, log.length));
  assert.deepEqual(
    events.map((e) => e.event),
    log,
  );
  assert.deepEqual(fake.lastEventIds, ["", "5", "8"]);
});

test("a gap in the ids makes the stream resume from the last id rather than skip one", async () => {
  const { events, fake, log } = await follow((n) => (n === 0 ? { skip: 4 } : {}));
  assert.deepEqual(idsOf(events), range(1, log.length));
  assert.deepEqual(fake.lastEventIds, ["", "3"]);
});

test("transient error answers are retried (Retry-After respected) and the stream goes on", async () => {
  const { events, fake, log } = await follow((n) =>
    n === 0 ? { to: 2 } : n < 3 ? { status: 503, retryAfterSeconds: 0 } : {},
  );
  assert.deepEqual(idsOf(events), range(1, log.length));
  assert.deepEqual(fake.lastEventIds, ["", "2", "2", "2"]);
});

test("a connection that goes silent is dropped after idleTimeoutMs and resumed", async () => {
  const { events, fake, log } = await follow((n) => (n === 0 ? { to: 4, hang: true } : {}), {
    idleTimeoutMs: 100,
  });
  assert.deepEqual(idsOf(events), range(1, log.length));
  assert.deepEqual(fake.lastEventIds, ["", "4"]);
});

test("the iterator ends right after the terminal event, even if the server keeps the stream open", async () => {
  const { events, fake } = await follow(() => ({ hang: true }));
  assert.equal(events.at(-1)?.event_type, "RUN_FINISHED");
  assert.equal(fake.lastEventIds.length, 1);
});

test("resuming after the whole log of an ended run ends at once, without reconnecting", async () => {
  const { events, fake } = await follow(() => ({}), { afterEventId: 12, status: "completed" });
  assert.deepEqual(events, []);
  assert.deepEqual(fake.lastEventIds, ["12"]);
  assert.equal(fake.recordReads, 1);
});

test("reconnects without progress stop after reconnect.maxAttempts with the last error", async () => {
  const log = fakeLog(3);
  const fake = await startFakeSseServer({
    events: log,
    status: "running",
    plan: () => ({ to: 0 }),
  });
  try {
    const client = new RunlineClient({ baseUrl: fake.url });
    const stream = client.stream("c", "r", { reconnect: { ...FAST, maxAttempts: 4 } });
    await assert.rejects(async () => {
      for await (const _ of stream) assert.fail("no event expected");
    }, RunlineConnectionError);
    assert.equal(fake.lastEventIds.length, 4);
  } finally {
    await fake.close();
  }
});

test("an error answer that is not transient is thrown at once", async () => {
  const log = fakeLog(3);
  const fake = await startFakeSseServer({
    events: log,
    status: "running",
    plan: () => ({ status: 403 }),
  });
  try {
    const stream = new RunlineClient({ baseUrl: fake.url }).stream("c", "r", { reconnect: FAST });
    await assert.rejects(stream.next(), (e) => e instanceof RunlineError && e.status === 403);
    assert.equal(fake.lastEventIds.length, 1);
  } finally {
    await fake.close();
  }
});
