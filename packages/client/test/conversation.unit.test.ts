/**
 * `conversation(cid).follow()` against a scripted conversation stream (docs/api.md §8 frames):
 * every frame kind decoded, ids that skip (deleted runs) accepted, nothing twice across
 * reconnects, and a stream that never ends by itself. The real server's behaviour is covered
 * in conversation.int.test.ts.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import { type ConversationFrame, RunlineClient } from "../src/index.ts";

const FAST = { initialDelayMs: 1, maxDelayMs: 5 };

interface WireFrame {
  id: number;
  event: string;
  data: unknown;
}

const summary = (status: string) => ({
  run_id: "run_a",
  kind: "agent",
  status,
  owner: { kind: "conversation", id: "c" },
  parent_run_id: null,
  root_run_id: "run_a",
  waiting_reason: null,
  created_at: "2026-01-01T00:00:00.000Z",
  started_at: null,
  completed_at: null,
  metadata: null,
});

const WIRE: WireFrame[] = [
  { id: 1, event: "run.created", data: summary("pending") },
  { id: 2, event: "run.status", data: summary("running") },
  {
    id: 3,
    event: "RunStarted",
    data: { run_id: "run_a", event_id: 1, event: { type: "RUN_STARTED", runId: "run_a" } },
  },
  // 4 and 5 belonged to a deleted run: the ids skip.
  { id: 6, event: "input_request.created", data: { id: "ir1", run_id: "run_a", status: "open" } },
  { id: 7, event: "interrupt.opened", data: { run_id: "run_a", status: "open", interrupt: {} } },
  { id: 8, event: "something.new", data: { run_id: "run_a" } },
  {
    id: 9,
    event: "TextMessageContent",
    data: {
      run_id: "run_a",
      event_id: 2,
      event: { type: "TEXT_MESSAGE_CONTENT", messageId: "m", delta: "hi" },
    },
  },
];

/** Serves WIRE on `/conversations/c/stream`; connection n sends frames from `from[n]` (replaying). */
async function fakeConversation(
  plan: (n: number, after: number) => { from?: number; to?: number },
) {
  const lastEventIds: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = http.createServer((request, response) => {
    if (request.url !== "/conversations/c/stream") {
      response.writeHead(404).end();
      return;
    }
    const header = request.headers["last-event-id"];
    lastEventIds.push(typeof header === "string" ? header : "");
    for (const waiter of waiters) if (lastEventIds.length >= waiter.count) waiter.resolve();
    const after = Number(header ?? 0);
    const { from = after + 1, to = Number.POSITIVE_INFINITY } = plan(
      lastEventIds.length - 1,
      after,
    );
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.write("retry: 2000\n\n: ping\n\n");
    for (const frame of WIRE) {
      if (frame.id < from || frame.id > to) continue;
      response.write(
        `id: ${frame.id}\nevent: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`,
      );
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    lastEventIds,
    /** Resolves once `count` stream requests arrived. */
    connected: (count: number) =>
      new Promise<void>((resolve) => {
        if (lastEventIds.length >= count) resolve();
        else waiters.push({ count, resolve });
      }),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The first `count` frames of a follow, then it is stopped (it never ends by itself). */
async function take(url: string, count: number, after?: number): Promise<ConversationFrame[]> {
  const client = new RunlineClient({ baseUrl: url });
  const out: ConversationFrame[] = [];
  for await (const frame of client.conversation("c").follow({ after, reconnect: FAST })) {
    out.push(frame);
    if (out.length === count) break;
  }
  return out;
}

test("follow() decodes run, input-request, interrupt and event frames, each with its conversation id; unknown lifecycle names are skipped", async () => {
  const fake = await fakeConversation(() => ({}));
  try {
    const frames = await take(fake.url, 6);
    assert.deepEqual(
      frames.map((f) => [f.id, f.type, f.run_id]),
      [
        [1, "run.created", "run_a"],
        [2, "run.status", "run_a"],
        [3, "event", "run_a"],
        [6, "input_request.created", "run_a"],
        [7, "interrupt.opened", "run_a"],
        [9, "event", "run_a"],
      ],
    );
    const [created, , started, input, interrupt, content] = frames;
    assert.equal(created?.type === "run.created" && created.run.status, "pending");
    assert.deepEqual(started?.type === "event" && [started.event_id, started.event_type], [
      1,
      "RUN_STARTED",
    ]);
    assert.equal(input?.type === "input_request.created" && input.input_request.id, "ir1");
    assert.equal(interrupt?.type === "interrupt.opened" && interrupt.interrupt.status, "open");
    assert.deepEqual(content?.type === "event" && content.event, {
      type: "TEXT_MESSAGE_CONTENT",
      messageId: "m",
      delta: "hi",
    });
  } finally {
    await fake.close();
  }
});

test("after a close, follow() reconnects with Last-Event-ID and never yields an id twice, even when the server replays", async () => {
  // Connection 0 stops after id 3; connection 1 replays from 1 up to 7; connection 2 goes on.
  const fake = await fakeConversation((n) => [{ to: 3 }, { from: 1, to: 7 }, {}][n] ?? {});
  try {
    const frames = await take(fake.url, 6);
    assert.deepEqual(
      frames.map((f) => f.id),
      [1, 2, 3, 6, 7, 9],
    );
    assert.deepEqual(fake.lastEventIds.slice(0, 3), ["", "3", "7"]);
  } finally {
    await fake.close();
  }
});

test("follow({ after }) starts after that conversation event id", async () => {
  const fake = await fakeConversation(() => ({}));
  try {
    const frames = await take(fake.url, 2, 6);
    assert.deepEqual(
      frames.map((f) => f.id),
      [7, 9],
    );
    assert.equal(fake.lastEventIds[0], "6");
  } finally {
    await fake.close();
  }
});

test("a conversation stream that closes with nothing new is followed again rather than ended; aborting stops it", async () => {
  const fake = await fakeConversation(() => ({}));
  try {
    const controller = new AbortController();
    const iterator = new RunlineClient({ baseUrl: fake.url })
      .conversation("c")
      .follow({ reconnect: FAST, signal: controller.signal });
    for (let i = 0; i < 6; i++) assert.equal((await iterator.next()).done, false);
    const pending = iterator.next();
    await fake.connected(3); // two more connections after the one that delivered everything
    const reason = new Error("enough");
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.deepEqual(fake.lastEventIds.slice(1, 3), ["9", "9"]);
  } finally {
    await fake.close();
  }
});
