/**
 * Following a conversation over SSE (docs/api.md §8): one stream with every run's events and the
 * lifecycle frames, numbered 1, 2, 3… per conversation, resumable with Last-Event-ID.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { eventName } from "../../src/live/sse-frames.ts";
import {
  createOtherProject,
  createRun,
  describeEachStore,
  type TestServer,
} from "../helpers/server.ts";
import { inputRequestBody, requestPath } from "../human-input/fixtures.ts";
import { append, complete, custom, logOf } from "../live/run-fixtures.ts";
import { type ParsedEvent, SseStream } from "../live/sse-client.ts";

const streamPath = (conversationId: string) => `/conversations/${conversationId}/stream`;

/** Creates the conversation explicitly (so it can be followed before its first run). */
async function newConversation(server: TestServer): Promise<string> {
  const id = randomUUID();
  const response = await server.request("POST", "/conversations", { id });
  assert.equal(response.status, 201, response.text);
  return id;
}

async function follow(
  server: TestServer,
  conversationId: string,
  options: { lastEventId?: number; query?: string } = {},
): Promise<SseStream> {
  const stream = await SseStream.open(
    `${server.url}${streamPath(conversationId)}${options.query ?? ""}`,
    options.lastEventId === undefined ? {} : { lastEventId: options.lastEventId },
  );
  assert.equal(stream.status, 200);
  return stream;
}

/** Reads the whole conversation from the start: waits for `count` frames, then disconnects. */
async function replay(server: TestServer, conversationId: string, count: number) {
  const stream = await follow(server, conversationId);
  assert.ok(
    await stream.untilCount(count),
    `expected ${count} frames, got ${stream.messages.length}`,
  );
  stream.abort();
  await stream.done;
  return stream;
}

/** Per run, the event ids its event frames carry, in stream order. */
function eventIdsByRun(events: readonly ParsedEvent[]): Map<string, number[]> {
  const byRun = new Map<string, number[]>();
  for (const e of events) {
    if (e.event.includes(".")) continue;
    const runId = e.data.run_id as string;
    byRun.set(runId, [...(byRun.get(runId) ?? []), e.data.event_id as number]);
  }
  return byRun;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describeEachStore("following a conversation over SSE (docs/api.md §8)", (server) => {
  test("a run's life arrives as frames 1, 2, 3…: run.created, its events verbatim with run_id and event_id, run.status", async () => {
    const cid = await newConversation(server());
    const stream = await follow(server(), cid);
    const run = await createRun(server(), { conversationId: cid }, { initial_status: "running" });
    await append(server(), run.run_id, [custom("a", { x: "\n\u2028ü" })]);
    await complete(server(), run.run_id);
    const log = await logOf(server(), run.run_id);
    // run.created, RUN_STARTED, run.status running, CUSTOM, RUN_FINISHED, run.status completed
    assert.ok(await stream.untilCount(6));
    stream.abort();
    await stream.done;
    assert.ok(stream.raw.startsWith("retry: 2000\n\n"));
    assert.ok(!stream.raw.includes("\r"));
    assert.deepEqual(stream.ids, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(
      stream.events.map((e) => e.event),
      ["run.created", "RunStarted", "run.status", "Custom", "RunFinished", "run.status"],
    );
    const created = stream.events[0]!.data;
    assert.equal(created.run_id, run.run_id);
    assert.equal(created.kind, "agent");
    assert.deepEqual(created.owner, { kind: "conversation", id: cid });
    assert.equal(created.queued_behind, null);
    assert.equal(stream.events[2]!.data.status, "running");
    assert.equal(stream.events[5]!.data.status, "completed");
    // Event frames: {run_id, event_id, event} with the event byte-for-byte as the run's log has it.
    const eventFrames = stream.messages.filter((m) => !m.event?.includes("."));
    assert.deepEqual(
      eventFrames.map((m) => m.data),
      log.map(
        (row) =>
          `{"run_id":${JSON.stringify(run.run_id)},"event_id":${row.event_id},"event":${JSON.stringify(row.event)}}`,
      ),
    );
    assert.deepEqual(
      eventFrames.map((m) => m.event),
      log.map((row) => eventName(row.event_type)),
    );
  });

  test("the stream never closes by itself: after a run ends it stays open for the next run", async () => {
    const cid = await newConversation(server());
    const stream = await follow(server(), cid);
    const first = await createRun(server(), { conversationId: cid }, { initial_status: "running" });
    await complete(server(), first.run_id);
    const second = await createRun(server(), { conversationId: cid });
    assert.ok(await stream.until((s) => s.events.some((e) => e.data.run_id === second.run_id)));
    assert.equal(stream.finished, false);
    stream.abort();
    assert.equal(await stream.done, "aborted");
  });

  test("Last-Event-ID (or ?after=) resumes right after that frame: nothing lost, nothing repeated", async () => {
    const cid = await newConversation(server());
    const run = await createRun(server(), { conversationId: cid }, { initial_status: "running" });
    for (let i = 0; i < 5; i++) await append(server(), run.run_id, [custom(`e${i}`)]);
    const all = await replay(server(), cid, 8);
    assert.deepEqual(all.ids, range(1, 8));
    for (const k of [0, 1, 4, 7]) {
      const resumed = await follow(server(), cid, { lastEventId: k });
      assert.ok(await resumed.untilCount(8 - k));
      const byQuery = await follow(server(), cid, { query: `?after=${k}` });
      assert.ok(await byQuery.untilCount(8 - k));
      for (const s of [resumed, byQuery]) {
        s.abort();
        await s.done;
        assert.deepEqual(s.ids, range(k + 1, 8));
        assert.deepEqual(
          s.messages.map((m) => m.data),
          all.messages.slice(k).map((m) => m.data),
        );
      }
    }
  });

  test("on a busy conversation, followers joining and resuming mid-way get every frame exactly once, in id order", async () => {
    const cid = await newConversation(server());
    const runs = await Promise.all(
      [0, 1, 2].map(() =>
        createRun(server(), { conversationId: cid }, { initial_status: "running" }),
      ),
    );
    const early = await follow(server(), cid);
    let resumed: SseStream | undefined;
    let late: SseStream | undefined;
    await Promise.all(
      runs.map(async (run, r) => {
        for (let i = 0; i < 20; i++) {
          await append(server(), run.run_id, [custom(`r${r}e${i}`), custom(`r${r}e${i}b`)]);
          if (r === 0 && i === 5) late = await follow(server(), cid);
          if (r === 1 && i === 10) {
            await early.untilCount(10);
            resumed = await follow(server(), cid, { lastEventId: 10 });
          }
        }
      }),
    );
    for (const run of runs) await complete(server(), run.run_id);
    // 3 × (run.created, RUN_STARTED, run.status, 40 events, RUN_FINISHED, run.status)
    const total = 3 * 45;
    for (const [stream, from] of [
      [early, 1],
      [late!, 1],
      [resumed!, 11],
    ] as const) {
      assert.ok(await stream.untilCount(total - from + 1));
      stream.abort();
      await stream.done;
      assert.deepEqual(stream.ids, range(from, total));
    }
    const byRun = eventIdsByRun(early.events);
    for (const run of runs) {
      const log = await logOf(server(), run.run_id);
      assert.deepEqual(byRun.get(run.run_id), range(1, log.length));
    }
    // Every follower saw the same frames under the same ids.
    assert.deepEqual(
      late!.messages.map((m) => m.data),
      early.messages.map((m) => m.data),
    );
    assert.deepEqual(
      resumed!.messages.map((m) => m.data),
      early.messages.slice(10).map((m) => m.data),
    );
  });

  test("input request lifecycle frames carry the record without secret values", async () => {
    const cid = await newConversation(server());
    const run = await createRun(server(), { conversationId: cid }, { initial_status: "running" });
    const stream = await follow(server(), cid);
    const created = await server().request(
      "POST",
      `/conversations/${cid}/input-requests`,
      inputRequestBody(run.run_id, {
        fields: [
          { type: "password", name: "token", label: "Token", secret: true },
          { type: "text", name: "note", label: "Note" },
        ],
      }),
    );
    assert.equal(created.status, 201, created.text);
    const answered = await server().request(
      "POST",
      `${requestPath(cid, created.body.id)}/responses`,
      { values: { token: "s3cret", note: "hello" } },
    );
    assert.equal(answered.status, 200, answered.text);
    const other = await server().request(
      "POST",
      `/conversations/${cid}/input-requests`,
      inputRequestBody(run.run_id),
    );
    const cancelled = await server().request(
      "POST",
      `${requestPath(cid, other.body.id)}/cancel`,
      {},
    );
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.ok(
      await stream.until((s) => s.events.some((e) => e.event === "input_request.cancelled")),
    );
    stream.abort();
    await stream.done;
    const lifecycle = stream.events.filter((e) => e.event.startsWith("input_request."));
    assert.deepEqual(
      lifecycle.map((e) => [e.event, e.data.id, e.data.status]),
      [
        ["input_request.created", created.body.id, "open"],
        ["input_request.submitted", created.body.id, "submitted"],
        ["input_request.created", other.body.id, "open"],
        ["input_request.cancelled", other.body.id, "cancelled"],
      ],
    );
    const submitted = lifecycle[1]!.data.latest_response as { values: Record<string, unknown> };
    assert.deepEqual(submitted.values, { token: null, note: "hello" });
    assert.ok(!stream.raw.includes("s3cret"));
  });

  test("interrupts: completing with an interrupt outcome gives interrupt.opened frames after RunFinished; the resuming run's creation gives interrupt.closed", async () => {
    const cid = await newConversation(server());
    const stream = await follow(server(), cid);
    const run = await createRun(server(), { conversationId: cid }, { initial_status: "running" });
    const interrupt = { id: "i-1", reason: "tool_approval", message: "Approve?", toolCallId: "tc" };
    const done = await server().request("POST", `/runs/${run.run_id}/complete`, {
      status: "completed",
      outcome: { type: "interrupt", interrupts: [interrupt] },
    });
    assert.equal(done.status, 200, done.text);
    const resumed = await server().request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: cid },
      request: {
        agent_id: "agent-1",
        resume: [{ interruptId: "i-1", status: "resolved", payload: { ok: true } }],
      },
    });
    assert.equal(resumed.status, 202, resumed.text);
    assert.ok(await stream.until((s) => s.events.some((e) => e.event === "interrupt.closed")));
    stream.abort();
    await stream.done;
    const names = stream.events.map((e) => e.event);
    assert.deepEqual(names.slice(0, 3), ["run.created", "RunStarted", "run.status"]);
    const opened = names.indexOf("interrupt.opened");
    assert.ok(opened > names.indexOf("RunFinished"));
    const openedFrame = stream.events[opened]!.data;
    assert.equal(openedFrame.run_id, run.run_id);
    assert.equal(openedFrame.status, "open");
    assert.deepEqual(openedFrame.interrupt, interrupt);
    const closed = stream.events.find((e) => e.event === "interrupt.closed")!.data;
    assert.equal(closed.status, "resolved");
    assert.equal(closed.resolved_by_run_id, resumed.body.run.run_id);
    // The resuming run's creation comes first in its transaction.
    assert.equal(names.indexOf("interrupt.closed"), names.lastIndexOf("run.created") + 1);
    assert.deepEqual(stream.ids, range(1, stream.ids.length));
  });

  test("a batch's events are one frame each: resuming inside a batch and reading pages that split one give each frame once, in order", async () => {
    // A batch's frames are stored as one range row (migration 009); readers expand it.
    const cid = await newConversation(server());
    const run = await createRun(server(), { conversationId: cid }, { initial_status: "running" });
    const other = await createRun(server(), { conversationId: cid }, { initial_status: "running" });
    const batch = (tag: string, n: number) =>
      Array.from({ length: n }, (_, i) => custom(`${tag}${i}`));
    await append(server(), run.run_id, batch("a", 100));
    await append(server(), other.run_id, batch("b", 3));
    await append(server(), run.run_id, batch("c", 37));
    // 2 × (run.created, RUN_STARTED, run.status) + 100 + 3 + 37
    const total = 6 + 140;
    const all = await replay(server(), cid, total);
    assert.deepEqual(all.ids, range(1, total));
    assert.deepEqual(eventIdsByRun(all.events).get(run.run_id), range(1, 138));
    for (const k of [7, 50, 105, 107, 120, total - 1]) {
      const resumed = await follow(server(), cid, { lastEventId: k });
      assert.ok(await resumed.untilCount(total - k));
      resumed.abort();
      await resumed.done;
      assert.deepEqual(resumed.ids, range(k + 1, total));
      assert.deepEqual(
        resumed.messages.map((m) => m.data),
        all.messages.slice(k).map((m) => m.data),
      );
    }
    const store = server().server.store;
    const projectId = await store.transaction((tx) => tx.firstProjectId());
    assert.ok(projectId);
    const stream = await store.conversationFrames.stream(projectId, cid);
    assert.ok(stream);
    for (const limit of [1, 2, 3, 7, 64]) {
      const ids: number[] = [];
      for (let after = 0; ; ) {
        const page = await store.conversationFrames.readFrames(stream.pk, after, limit);
        if (page.length === 0) break;
        assert.ok(page.length <= limit, `a page of ${page.length} frames for limit ${limit}`);
        ids.push(...page.map((f) => f.event_id));
        after = page.at(-1)!.event_id;
      }
      assert.deepEqual(ids, range(1, total), `pages of ${limit}`);
    }
  });

  test("a deleted run's frames are gone from the stream; the others keep their ids", async () => {
    const cid = await newConversation(server());
    const gone = await createRun(server(), { conversationId: cid }, { initial_status: "running" });
    await complete(server(), gone.run_id);
    const kept = await createRun(server(), { conversationId: cid }, { initial_status: "running" });
    await complete(server(), kept.run_id);
    const before = await replay(server(), cid, 10);
    const deleted = await server().request("DELETE", `/runs/${gone.run_id}`);
    assert.equal(deleted.status, 204, deleted.text);
    const after = await replay(server(), cid, 5);
    assert.deepEqual(
      after.messages,
      before.messages.filter((m) => !m.data.includes(JSON.stringify(gone.run_id))),
    );
    assert.deepEqual(after.ids, range(6, 10));
  });

  test("refusals come before the stream, as problem JSON: unknown, deleted or foreign conversation 404, bad Last-Event-ID or ?after= 400", async () => {
    const missing = await server().request("GET", streamPath(randomUUID()));
    assert.equal(missing.status, 404);
    const cid = await newConversation(server());
    const otherKey = await createOtherProject(server());
    const foreign = await server().request("GET", streamPath(cid), undefined, {
      authorization: `Bearer ${otherKey}`,
    });
    assert.equal(foreign.status, 404);
    for (const bad of ["1e2", "-1", "0x10", "5.0"]) {
      const header = await server().request("GET", streamPath(cid), undefined, {
        "last-event-id": bad,
      });
      assert.equal(header.status, 400, bad);
      assert.equal(header.body.code, "invalid_request");
      const query = await server().request("GET", `${streamPath(cid)}?after=${bad}`);
      assert.equal(query.status, 400, bad);
    }
    const notUuid = await server().request("GET", streamPath("not-a-uuid"));
    assert.equal(notUuid.status, 400);
    const deleted = await server().request("DELETE", `/conversations/${cid}`);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal((await server().request("GET", streamPath(cid))).status, 404);
  });
});
