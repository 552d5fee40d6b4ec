/** Finishing and waiting over HTTP (docs/api.md §4.7, §4.8), on every store. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createRun, describeEachStore } from "../helpers/server.ts";
import { logOf } from "../live/run-fixtures.ts";

const hasNoNulls = (value: unknown): boolean =>
  value !== null && (typeof value !== "object" || Object.values(value as object).every(hasNoNulls));

describeEachStore("run lifecycle", (server) => {
  test("complete writes RUN_FINISHED with the usage metadata, closing what is still open", async () => {
    const run = await createRun(server());
    await server().request("POST", `/runs/${run.run_id}/events`, {
      events: [
        { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" },
        { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "partial" },
        {
          type: "TOOL_CALL_START",
          toolCallId: "tc",
          toolCallName: "search",
          parentMessageId: "m1",
        },
      ],
    });
    const done = await server().request("POST", `/runs/${run.run_id}/complete`, {
      status: "completed",
      metadata: { usage: { tokens: 5 } },
    });
    assert.equal(done.status, 200);
    assert.equal(done.body.completed, true);
    assert.equal(done.body.run.status, "completed");
    assert.ok(done.body.run.completed_at);
    const events = await logOf(server(), run.run_id);
    assert.deepEqual(
      events.slice(-3).map((e) => e.event),
      [
        { type: "TOOL_CALL_END", toolCallId: "tc" },
        { type: "TEXT_MESSAGE_END", messageId: "m1" },
        {
          type: "RUN_FINISHED",
          threadId: run.conversation_id,
          runId: run.run_id,
          metadata: { usage: { tokens: 5 } },
        },
      ],
    );
    const record = await server().request(
      "GET",
      `/conversations/${run.conversation_id}/runs/${run.run_id}`,
    );
    assert.equal(record.body.latest_external_event_sequence, 3, "server events do not advance it");
    assert.equal(record.body.latest_event_id, 7);
    assert.ok(record.body.finished_at);
  });

  test("complete is idempotent for the same status and refuses a different one", async () => {
    const run = await createRun(server());
    const first = await server().request("POST", `/runs/${run.run_id}/complete`, {
      status: "failed",
      terminal_error_code: "boom",
      terminal_error_message: "it broke",
    });
    assert.equal(first.body.completed, true);
    const events = await logOf(server(), run.run_id);
    assert.deepEqual(
      events.map((e) => e.event),
      [
        { type: "RUN_STARTED", threadId: run.conversation_id, runId: run.run_id },
        { type: "RUN_ERROR", message: "it broke", code: "boom" },
      ],
    );
    const again = await server().request("POST", `/runs/${run.run_id}/complete`, {
      status: "failed",
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.completed, false);
    const other = await server().request("POST", `/runs/${run.run_id}/complete`, {
      status: "completed",
    });
    assert.equal(other.status, 409);
    assert.equal(other.body.code, "run_already_terminal");
    assert.equal((await logOf(server(), run.run_id)).length, 2);
    const record = await server().request(
      "GET",
      `/conversations/${run.conversation_id}/runs/${run.run_id}`,
    );
    assert.equal(record.body.terminal_error_code, "boom");
    assert.equal(record.body.terminal_error_message, "it broke");
  });

  test("RUN_FINISHED without metadata carries no metadata key and no nulls", async () => {
    const run = await createRun(server(), {}, { initial_status: "running" });
    await server().request("POST", `/runs/${run.run_id}/complete`, {
      status: "completed",
      metadata: null,
    });
    const events = await logOf(server(), run.run_id);
    const last = events[events.length - 1]?.event;
    assert.deepEqual(last, {
      type: "RUN_FINISHED",
      threadId: run.conversation_id,
      runId: run.run_id,
    });
    assert.ok(events.every((e) => hasNoNulls(e.event)));
  });

  test("cancel writes RUN_ERROR cancelled; cascade cancels active descendants only", async () => {
    const root = await createRun(server());
    const child = await createRun(
      server(),
      { parent_run_id: root.run_id },
      { initial_status: "running" },
    );
    const grandchild = await createRun(server(), { parent_run_id: child.run_id });
    const finished = await createRun(server(), { parent_run_id: root.run_id });
    await server().request("POST", `/runs/${finished.run_id}/complete`, { status: "completed" });

    const response = await server().request("POST", `/runs/${root.run_id}/cancel`, {
      cascade: true,
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.cancelled, true);
    assert.equal(response.body.run.status, "cancelled");
    for (const id of [root.run_id, child.run_id, grandchild.run_id]) {
      const r = await server().request("GET", `/runs/${id}`);
      assert.equal(r.body.status, "cancelled", id);
      const events = await logOf(server(), id);
      assert.deepEqual(events[events.length - 1]?.event, {
        type: "RUN_ERROR",
        message: "Run cancelled",
        code: "cancelled",
      });
    }
    assert.equal(
      (await server().request("GET", `/runs/${finished.run_id}`)).body.status,
      "completed",
    );
    const again = await server().request("POST", `/runs/${root.run_id}/cancel`);
    assert.equal(again.status, 200);
    assert.equal(again.body.cancelled, false);
  });

  test("cancel without cascade leaves children running", async () => {
    const root = await createRun(server());
    const child = await createRun(server(), { parent_run_id: root.run_id });
    const r = await server().request(
      "POST",
      `/runs/${root.run_id}/cancel`,
      {},
      { "content-type": "application/json" },
    );
    assert.equal(r.status, 200);
    assert.equal((await server().request("GET", `/runs/${child.run_id}`)).body.status, "pending");
  });

  test("wait parks the run; the tool result resumes it once; a repeat is a duplicate", async () => {
    const run = await createRun(server());
    const base = `/conversations/${run.conversation_id}/runs/${run.run_id}`;
    await server().request("POST", `${base}/events`, {
      events: [
        { type: "TOOL_CALL_START", toolCallId: "tc1", toolCallName: "lookup" },
        { type: "TOOL_CALL_ARGS", toolCallId: "tc1", delta: "{}" },
        { type: "TOOL_CALL_END", toolCallId: "tc1" },
      ],
    });
    const waiting = await server().request("POST", `${base}/wait`, {
      tool_call_id: "tc1",
      tool_name: "lookup",
    });
    assert.equal(waiting.status, 200);
    assert.equal(waiting.body.run.status, "waiting_for_tool");
    assert.equal(waiting.body.run.waiting_reason, "tool");
    assert.equal(waiting.body.run.waiting_tool_call_id, "tc1");
    assert.equal(waiting.body.run.waiting_tool_name, "lookup");
    assert.equal((await server().request("GET", `/runs/${run.run_id}`)).body.status, "waiting");

    const wrong = await server().request("POST", `${base}/tool-result`, {
      toolCallId: "other",
      result: 1,
    });
    assert.equal(wrong.status, 409);
    assert.equal(wrong.body.code, "run_not_waiting");

    const result = await server().request("POST", `${base}/tool-result`, {
      toolCallId: "tc1",
      result: { rows: 2 },
    });
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { accepted: true, duplicate: false });
    const resumed = await server().request("GET", base);
    assert.equal(resumed.body.status, "running");
    assert.equal(resumed.body.waiting_tool_call_id, null);
    assert.equal(resumed.body.waiting_reason, null);

    const events = await logOf(server(), run.run_id);
    const last = events[events.length - 1]?.event;
    assert.equal(last?.type, "TOOL_CALL_RESULT");
    assert.equal(last?.toolCallId, "tc1");
    assert.equal(last?.content, '{"rows":2}');
    assert.equal(last?.role, "tool");
    assert.equal(typeof last?.messageId, "string");

    const repeat = await server().request(
      "POST",
      `/conversations/${run.conversation_id}/agent-stream/${run.run_id}/tool-result`,
      { toolCallId: "tc1", result: { rows: 2 } },
    );
    assert.deepEqual(repeat.body, { accepted: true, duplicate: true });
    const conflicting = await server().request("POST", `${base}/tool-result`, {
      toolCallId: "tc1",
      result: "different",
    });
    assert.equal(conflicting.status, 409);
    assert.equal((await logOf(server(), run.run_id)).length, events.length);
  });

  test("wait on a pending run starts it; waiting again on the same call is idempotent, on another is a conflict", async () => {
    const run = await createRun(server());
    const base = `/conversations/${run.conversation_id}/agent-runs/${run.run_id}`;
    const w = await server().request("POST", `${base}/wait`, {
      reason: "approval",
      tool_call_id: "a1",
    });
    assert.equal(w.status, 200);
    assert.equal(w.body.run.waiting_reason, "approval");
    assert.ok(w.body.run.started_at);
    assert.equal((await logOf(server(), run.run_id))[0]?.event_type, "RUN_STARTED");
    const same = await server().request("POST", `${base}/wait`, {
      reason: "approval",
      tool_call_id: "a1",
    });
    assert.equal(same.status, 200);
    const other = await server().request("POST", `${base}/wait`, { tool_call_id: "a2" });
    assert.equal(other.status, 409);
    assert.equal(other.body.code, "conflict");
  });

  test("finishing a waiting run clears the waiting fields; waiting on a finished run is refused", async () => {
    const run = await createRun(server());
    await server().request("POST", `/runs/${run.run_id}/wait`, { tool_call_id: "x" });
    const done = await server().request(
      "POST",
      `/conversations/${run.conversation_id}/runs/${run.run_id}/cancel`,
    );
    assert.equal(done.body.run.status, "cancelled");
    assert.equal(done.body.run.waiting_tool_call_id, null);
    const w = await server().request("POST", `/runs/${run.run_id}/wait`, { tool_call_id: "x" });
    assert.equal(w.status, 409);
    assert.equal(w.body.code, "run_already_terminal");
  });

  test("bad finishing and waiting bodies are invalid requests", async () => {
    const run = await createRun(server());
    for (const [path, body] of [
      [`/runs/${run.run_id}/complete`, { status: "done" }],
      [`/runs/${run.run_id}/complete`, {}],
      [`/runs/${run.run_id}/cancel`, { cascade: "yes" }],
      [`/runs/${run.run_id}/wait`, { reason: "tool" }],
      [`/runs/${run.run_id}/wait`, { tool_call_id: "x", reason: "sleep" }],
      [`/runs/${run.run_id}/tool-result`, { result: 1 }],
    ] as const) {
      const r = await server().request("POST", path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(r.body.code, "invalid_request");
    }
    assert.equal((await server().request("GET", `/runs/${run.run_id}`)).body.status, "pending");
  });
});
