/**
 * `RunHandle.append` against a real server: cursors kept by the handle, batching, call-order
 * serialisation, conflicts surfaced (never papered over), and retries after a response was
 * lost on the way back (a proxy drops it) that store the batch exactly once.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type AguiEvent,
  EventCursorConflictError,
  type FetchLike,
  RunlineError,
} from "../src/index.ts";
import { startChaosProxy } from "./helpers/chaos-proxy.ts";
import { custom, newRun, textMessage, useServer } from "./helpers/setup.ts";

const customs = (prefix: string, count: number, pad = 0): AguiEvent[] =>
  Array.from({ length: count }, (_, i) => custom(`${prefix}-${i}`, "x".repeat(pad)));

/** A fetch that records the bodies of append requests. */
function recordingFetch(): { fetch: FetchLike; appendBodies: string[] } {
  const appendBodies: string[] = [];
  return {
    appendBodies,
    fetch: (input, init) => {
      if (init.method === "POST" && input.endsWith("/events")) appendBodies.push(String(init.body));
      return fetch(input, init);
    },
  };
}

describe("RunHandle.append against a real server", () => {
  const suite = useServer();

  async function logOf(conversationId: string, runId: string) {
    const events = [];
    for await (const e of suite().client.run(conversationId, runId).allEvents()) events.push(e);
    return events;
  }

  test("cursors start from the run record and follow every answer", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    assert.equal(run.cursors, undefined);
    const first = await run.append(textMessage("m1", "a", "b"));
    assert.deepEqual(run.cursors, { latestEventId: 5, latestExternalEventSequence: 4 });
    assert.equal(first.stored, 4);
    assert.equal(first.requests, 1);
    assert.equal(first.run?.status, "running");
    await run.append([custom("c")]);
    assert.deepEqual(run.cursors, { latestEventId: 6, latestExternalEventSequence: 5 });
    assert.equal(run.record?.latest_event_id, 6);
  });

  test("a large append is split into ≤100-event requests under the byte cap, stored in order", async () => {
    const { server, clientAt } = suite();
    const recorder = recordingFetch();
    const client = clientAt(server.url, { fetch: recorder.fetch });
    const { conversationId, runId } = await newRun(client);
    const events = customs("e", 250);
    const outcome = await client.run(conversationId, runId).append(events);
    assert.equal(outcome.requests, 3);
    assert.deepEqual(
      recorder.appendBodies.map((b) => JSON.parse(b).events.length),
      [100, 100, 50],
    );

    const capped = client.run(conversationId, runId, { maxBatchBytes: 4096 });
    const big = customs("big", 30, 500);
    recorder.appendBodies.length = 0;
    await capped.append(big);
    assert.ok(recorder.appendBodies.length >= 5, `${recorder.appendBodies.length} requests`);
    for (const body of recorder.appendBodies) {
      assert.ok(Buffer.byteLength(body) <= 4096, `body of ${Buffer.byteLength(body)} bytes`);
    }
    const log = await logOf(conversationId, runId);
    assert.deepEqual(
      log.slice(1).map((e) => e.event),
      [...events, ...big],
    );
  });

  test("concurrent appends on one handle are stored in call order", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    const calls = Array.from({ length: 12 }, (_, i) =>
      run.append(customs(`call${i}`, 1 + (i % 4))),
    );
    await Promise.all(calls);
    const log = await logOf(conversationId, runId);
    const expected = Array.from({ length: 12 }, (_, i) => customs(`call${i}`, 1 + (i % 4))).flat();
    assert.deepEqual(
      log.slice(1).map((e) => e.event),
      expected,
    );
  });

  test("a cursor conflict surfaces with the server's cursors and the handle does not skip ahead", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const record = await client.getConversationRun(conversationId, runId);
    const mine = client.run(conversationId, runId, { record });
    const theirs = client.run(conversationId, runId, { record });
    await theirs.append([custom("theirs")]);

    const error = await mine.append([custom("mine")]).then(
      () => assert.fail("expected a conflict"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EventCursorConflictError);
    assert.equal(error.latestEventId, 2);
    assert.equal(error.latestExternalEventSequence, 1);
    assert.equal(error.appended, 0);
    assert.deepEqual(mine.cursors, { latestEventId: 0, latestExternalEventSequence: 0 });
    assert.deepEqual(
      (await logOf(conversationId, runId)).map((e) => e.event_type),
      ["RUN_STARTED", "CUSTOM"],
    );

    mine.adoptConflict(error);
    await mine.append([custom("mine")]);
    assert.deepEqual(
      (await logOf(conversationId, runId)).map((e) => e.event.name ?? e.event_type),
      ["RUN_STARTED", "theirs", "mine"],
    );
  });

  test("events the server wrote in between (a tool result) do not stop the producer", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const producer = client.run(conversationId, runId);
    await producer.append([
      { type: "TOOL_CALL_START", toolCallId: "tc1", toolCallName: "lookup" },
      { type: "TOOL_CALL_END", toolCallId: "tc1" },
    ]);
    await producer.wait({ tool_call_id: "tc1" });
    await client.submitToolResult(conversationId, runId, { toolCallId: "tc1", result: "ok" });
    const outcome = await producer.append([custom("after-tool")]);
    assert.equal(outcome.latestEventId, 5);
    assert.equal(outcome.latestExternalEventSequence, 3);
    assert.deepEqual(
      (await logOf(conversationId, runId)).map((e) => e.event_type),
      ["RUN_STARTED", "TOOL_CALL_START", "TOOL_CALL_END", "TOOL_CALL_RESULT", "CUSTOM"],
    );
  });

  test("a failing batch reports how many events of the call were stored before it", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const events = [...customs("ok", 100), { type: "TEXT_MESSAGE_END", messageId: "never" }];
    const error = await client
      .run(conversationId, runId)
      .append(events)
      .then(
        () => assert.fail("expected invalid_event"),
        (e: unknown) => e,
      );
    assert.ok(error instanceof RunlineError);
    assert.equal(error.code, "invalid_event");
    assert.equal(error.appended, 100);
  });

  test("a retried append after a cut response stores the batch once", async () => {
    const { server, clientAt } = suite();
    let cutsLeft = 1;
    const proxy = await startChaosProxy(server.url, (line) => {
      if (!line.startsWith("POST ") || !line.endsWith("/events") || cutsLeft === 0) return;
      cutsLeft -= 1;
      return { cutResponseAfterBytes: 0 };
    });
    try {
      const client = clientAt(proxy.url, { timeoutMs: 10_000 });
      const { conversationId, runId } = await newRun(suite().client);
      const run = client.run(conversationId, runId, { retry: { initialDelayMs: 1 } });
      const batch = textMessage("m1", "one", "two");
      const outcome = await run.append(batch);
      assert.equal(proxy.cuts, 1, "the first answer was dropped");
      assert.equal(outcome.requests, 2, "the same batch was sent again");
      assert.deepEqual(run.cursors, { latestEventId: 5, latestExternalEventSequence: 4 });
      const log = await logOf(conversationId, runId);
      assert.deepEqual(
        log.map((e) => e.event),
        [{ type: "RUN_STARTED", threadId: conversationId, runId }, ...batch],
      );
    } finally {
      await proxy.close();
    }
  });

  test("cut answers in the middle of a multi-request append lose and double nothing", async () => {
    const { server, clientAt } = suite();
    let posts = 0;
    const proxy = await startChaosProxy(server.url, (line) => {
      if (!line.startsWith("POST ") || !line.endsWith("/events")) return;
      posts += 1;
      // Drop the answers of the 2nd, 3rd (its retry) and 5th requests.
      return [2, 3, 5].includes(posts)
        ? { cutResponseAfterBytes: posts === 5 ? 20 : 0 }
        : undefined;
    });
    try {
      const client = clientAt(proxy.url);
      const { conversationId, runId } = await newRun(suite().client);
      const run = client.run(conversationId, runId, { retry: { initialDelayMs: 1 } });
      const events = customs("e", 350);
      const outcome = await run.append(events);
      assert.equal(proxy.cuts, 3);
      assert.equal(outcome.requests, 7, "4 batches + 3 retries");
      const log = await logOf(conversationId, runId);
      assert.deepEqual(
        log.slice(1).map((e) => e.event),
        events,
      );
      assert.deepEqual(run.cursors, { latestEventId: 351, latestExternalEventSequence: 350 });
    } finally {
      await proxy.close();
    }
  });
});
