/** Appending events over HTTP: every rule of docs/api.md §4.3, on every store. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { text } from "../helpers/fixtures.ts";
import { createRun, describeEachStore, type TestServer } from "../helpers/server.ts";
import { logOf } from "../live/run-fixtures.ts";

const custom = (name: string, value: unknown = 1) => ({ type: "CUSTOM", name, value });

async function runOf(server: TestServer, conversationId: string, runId: string) {
  const response = await server.request("GET", `/conversations/${conversationId}/runs/${runId}`);
  assert.equal(response.status, 200);
  return response.body;
}

describeEachStore("append events", (server) => {
  test("the first append to a pending run writes RUN_STARTED as event 1 without counting it", async () => {
    const run = await createRun(server());
    const response = await server().request(
      "POST",
      `/conversations/${run.conversation_id}/runs/${run.run_id}/events`,
      { events: text("m1", "hello"), expected_previous_event_id: 0 },
    );
    assert.equal(response.status, 200);
    assert.equal(response.body.appended_count, 3);
    assert.equal(response.body.latest_event_id, 4);
    assert.equal(response.body.latest_external_event_sequence, 3);
    assert.equal(response.body.duplicate, false);
    assert.equal(response.body.run.status, "running");
    assert.ok(response.body.run.started_at);
    const events = await logOf(server(), run.run_id);
    assert.deepEqual(events[0]?.event, {
      type: "RUN_STARTED",
      threadId: run.conversation_id,
      runId: run.run_id,
    });
    assert.deepEqual(
      events.map((e) => e.event_id),
      [1, 2, 3, 4],
    );
  });

  test("a first batch that begins with RUN_STARTED has it filled in and stored as event 1", async () => {
    const run = await createRun(server());
    const response = await server().request("POST", `/runs/${run.run_id}/events`, {
      events: [{ type: "RUN_STARTED", elapsedMs: 5 }, custom("a")],
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.appended_count, 2);
    assert.equal(response.body.latest_event_id, 2);
    const events = await logOf(server(), run.run_id);
    assert.deepEqual(events[0]?.event, {
      type: "RUN_STARTED",
      elapsedMs: 5,
      threadId: run.conversation_id,
      runId: run.run_id,
    });
  });

  test("a run created running starts with the server's RUN_STARTED naming its parent", async () => {
    const parent = await createRun(server());
    const child = await createRun(
      server(),
      { parent_run_id: parent.run_id },
      { initial_status: "running" },
    );
    assert.equal(child.status, "running");
    const events = await logOf(server(), child.run_id);
    assert.deepEqual(
      events.map((e) => e.event),
      [
        {
          type: "RUN_STARTED",
          threadId: child.conversation_id,
          runId: child.run_id,
          parentRunId: parent.run_id,
        },
      ],
    );
  });

  test("events are stored verbatim, extra fields kept, and REASONING_MESSAGE_START role normalised", async () => {
    const run = await createRun(server());
    const events = [
      {
        type: "TEXT_MESSAGE_START",
        messageId: "m",
        role: "assistant",
        emittedAt: "x",
        z: { b: 1, a: 2 },
      },
      { type: "REASONING_MESSAGE_START", messageId: "r", role: "assistant" },
    ];
    const response = await server().request("POST", `/runs/${run.run_id}/events`, { events });
    assert.equal(response.status, 200);
    const stored = await logOf(server(), run.run_id);
    assert.deepEqual(stored[1]?.event, events[0]);
    assert.equal(JSON.stringify(stored[1]?.event), JSON.stringify(events[0]), "key order kept");
    assert.deepEqual(stored[2]?.event, {
      type: "REASONING_MESSAGE_START",
      messageId: "r",
      role: "reasoning",
    });
  });

  test("ids holding NUL or a lone surrogate are tracked like any other id across appends", async () => {
    const run = await createRun(server());
    const url = `/runs/${run.run_id}/events`;
    for (const id of ["nul\u0000id", "half \ud800"]) {
      const start = await server().request("POST", url, {
        events: [
          {
            type: "TEXT_MESSAGE_START",
            messageId: id,
            role: "assistant",
            subagentRunId: "s\u0000",
          },
        ],
      });
      assert.equal(start.status, 200, start.text);
      const wrongOwner = await server().request("POST", url, {
        events: [
          { type: "TEXT_MESSAGE_CONTENT", messageId: id, delta: "x", subagentRunId: "other" },
        ],
      });
      assert.equal(wrongOwner.status, 400, wrongOwner.text);
      const end = await server().request("POST", url, {
        events: [{ type: "TEXT_MESSAGE_END", messageId: id }],
      });
      assert.equal(end.status, 200, end.text);
    }
  });

  test("an event that is not valid AG-UI is refused with its index, and nothing is written", async () => {
    const run = await createRun(server());
    const response = await server().request("POST", `/runs/${run.run_id}/events`, {
      events: [custom("ok"), { type: "TEXT_MESSAGE_CONTENT", messageId: "m" }],
    });
    assert.equal(response.status, 400);
    assert.equal(response.body.code, "invalid_event");
    assert.equal(response.body.event_index, 1);
    assert.equal(response.headers.get("content-type"), "application/problem+json; charset=utf-8");
    for (const bad of [{ type: "NOPE" }, "string", null, [1], { noType: true }]) {
      const r = await server().request("POST", `/runs/${run.run_id}/events`, { events: [bad] });
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(r.body.code, "invalid_event");
      assert.equal(r.body.event_index, 0);
    }
    assert.equal((await logOf(server(), run.run_id)).length, 0);
    assert.equal((await runOf(server(), run.conversation_id, run.run_id)).status, "pending");
  });

  test("RUN_FINISHED and RUN_ERROR cannot be appended", async () => {
    const run = await createRun(server());
    for (const terminal of [
      { type: "RUN_FINISHED", threadId: "t", runId: "r" },
      { type: "RUN_ERROR", message: "x" },
    ]) {
      const r = await server().request("POST", `/runs/${run.run_id}/events`, {
        events: [custom("a"), terminal],
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.code, "terminal_event_not_allowed");
      assert.equal(r.body.event_index, 1);
    }
    assert.equal((await logOf(server(), run.run_id)).length, 0);
  });

  test("an event over 240 KiB is refused with the Veryfront detail", async () => {
    const run = await createRun(server());
    const r = await server().request("POST", `/runs/${run.run_id}/events`, {
      events: [custom("big", "x".repeat(240 * 1024 + 1))],
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, "event_too_large");
    assert.match(r.body.detail, /payload must be less than/);
    const fits = await server().request("POST", `/runs/${run.run_id}/events`, {
      events: [custom("fits", "x".repeat(200 * 1024))],
    });
    assert.equal(fits.status, 200);
  });

  test("0 or 101 events, unknown keys and wrong types are invalid requests", async () => {
    const run = await createRun(server());
    const path = `/runs/${run.run_id}/events`;
    const cases: unknown[] = [
      { events: [] },
      { events: Array.from({ length: 101 }, (_, i) => custom(`e${i}`)) },
      { events: [custom("a")], extra: true },
      { events: "nope" },
      {},
      { events: [custom("a")], expected_previous_event_id: -1 },
      { events: [custom("a")], expected_previous_event_id: "0" },
      { events: [custom("a")], expected_previous_external_event_sequence: 1.5 },
    ];
    for (const body of cases) {
      const r = await server().request("POST", path, body);
      assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(r.body.code, "invalid_request");
      assert.ok(Array.isArray(r.body.issues) && r.body.issues.length > 0);
    }
    const ok = await server().request("POST", path, {
      events: Array.from({ length: 100 }, (_, i) => custom(`e${i}`)),
      expected_previous_event_id: null,
      expected_previous_external_event_sequence: null,
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.appended_count, 100);
  });

  test("a cursor mismatch is refused with the current cursors, and nothing is written", async () => {
    const run = await createRun(server());
    const path = `/runs/${run.run_id}/events`;
    await server().request("POST", path, { events: [custom("a")] });
    for (const body of [
      { events: [custom("b")], expected_previous_event_id: 5 },
      { events: [custom("b")], expected_previous_external_event_sequence: 0 },
      {
        events: [custom("b")],
        expected_previous_event_id: 2,
        expected_previous_external_event_sequence: 0,
      },
    ]) {
      const r = await server().request("POST", path, body);
      assert.equal(r.status, 400);
      assert.equal(r.body.code, "event_cursor_conflict");
      assert.equal(r.body.detail, "External run event cursor mismatch");
      assert.equal(r.body.latest_event_id, 2);
      assert.equal(r.body.latest_external_event_sequence, 1);
    }
    const ok = await server().request("POST", path, {
      events: [custom("b")],
      expected_previous_event_id: 2,
      expected_previous_external_event_sequence: 1,
    });
    assert.equal(ok.status, 200);
    assert.equal((await logOf(server(), run.run_id)).length, 3);
  });

  test("a retried committed batch is a 200 duplicate that writes nothing", async () => {
    const run = await createRun(server());
    const path = `/runs/${run.run_id}/events`;
    const body = { events: text("m", "hi"), expected_previous_event_id: 0 };
    const first = await server().request("POST", path, body);
    assert.equal(first.status, 200);
    const again = await server().request("POST", path, body);
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.appended_count, 0);
    assert.equal(again.body.latest_event_id, 4);
    assert.equal(again.body.latest_external_event_sequence, 3);
    const bySeq = await server().request("POST", path, {
      events: text("m", "hi"),
      expected_previous_external_event_sequence: 0,
    });
    assert.equal(bySeq.body.duplicate, true);
    assert.equal((await logOf(server(), run.run_id)).length, 4);
  });

  test("a retry whose prefix was committed appends only the rest", async () => {
    const run = await createRun(server());
    const path = `/runs/${run.run_id}/events`;
    await server().request("POST", path, {
      events: [custom("a"), custom("b")],
      expected_previous_event_id: 0,
    });
    const retry = await server().request("POST", path, {
      events: [custom("a"), custom("b"), custom("c")],
      expected_previous_event_id: 0,
      expected_previous_external_event_sequence: 0,
    });
    assert.equal(retry.status, 200);
    assert.equal(retry.body.duplicate, false);
    assert.equal(retry.body.appended_count, 1);
    assert.equal(retry.body.latest_external_event_sequence, 3);
    const names = (await logOf(server(), run.run_id)).map((e) => e.event.name ?? e.event.type);
    assert.deepEqual(names, ["RUN_STARTED", "a", "b", "c"]);
    const different = await server().request("POST", path, {
      events: [custom("a"), custom("X")],
      expected_previous_event_id: 0,
    });
    assert.equal(different.status, 400);
    assert.equal(different.body.code, "event_cursor_conflict");
  });

  test("the log stays a valid AG-UI stream: sequencing errors are refused with the index", async () => {
    const run = await createRun(server());
    const path = `/runs/${run.run_id}/events`;
    const cases = [
      {
        events: [custom("a"), { type: "TEXT_MESSAGE_CONTENT", messageId: "x", delta: "d" }],
        index: 1,
      },
      { events: [{ type: "TOOL_CALL_END", toolCallId: "t" }], index: 0 },
      {
        events: [
          { type: "TEXT_MESSAGE_START", messageId: "m" },
          { type: "TEXT_MESSAGE_START", messageId: "m" },
        ],
        index: 1,
      },
      { events: [{ type: "STEP_FINISHED", stepName: "s" }], index: 0 },
    ];
    for (const c of cases) {
      const r = await server().request("POST", path, { events: c.events });
      assert.equal(r.status, 400);
      assert.equal(r.body.code, "invalid_event");
      assert.equal(r.body.event_index, c.index);
    }
    assert.equal((await logOf(server(), run.run_id)).length, 0);
    await server().request("POST", path, { events: [custom("a")] });
    const second = await server().request("POST", path, { events: [{ type: "RUN_STARTED" }] });
    assert.equal(second.status, 400);
    assert.equal(second.body.code, "invalid_event");
    assert.equal(second.body.event_index, 0);
  });

  test("appends to a terminal run or a waiting run are refused with the Veryfront details", async () => {
    const waiting = await createRun(server());
    await server().request("POST", `/runs/${waiting.run_id}/wait`, { tool_call_id: "tc1" });
    const w = await server().request("POST", `/runs/${waiting.run_id}/events`, {
      events: [custom("a")],
    });
    assert.equal(w.status, 400);
    assert.equal(w.body.code, "run_waiting_for_tool");
    assert.equal(
      w.body.detail,
      "Cannot append external events while the run is waiting for a tool result",
    );

    const done = await createRun(server());
    await server().request("POST", `/runs/${done.run_id}/complete`, { status: "completed" });
    const t = await server().request("POST", `/runs/${done.run_id}/events`, {
      events: [custom("a")],
    });
    assert.equal(t.status, 400);
    assert.equal(t.body.code, "run_not_appendable");
    assert.equal(t.body.detail, "Cannot append external events to a terminal run");
  });

  test("20 concurrent appends with the same expectation: exactly one wins", async () => {
    const run = await createRun(server());
    const path = `/runs/${run.run_id}/events`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server().request("POST", path, {
          events: [custom(`c${i}`)],
          expected_previous_event_id: 0,
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.equal(statuses.filter((s) => s === 200).length, 1);
    assert.ok(
      results.filter((r) => r.status === 400).every((r) => r.body.code === "event_cursor_conflict"),
    );
    assert.equal((await logOf(server(), run.run_id)).length, 2);
  });

  test("20 concurrent appends without expectation: all stored, ids 1..N without gap or duplicate", async () => {
    const run = await createRun(server());
    const path = `/runs/${run.run_id}/events`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        server().request("POST", path, { events: [custom(`c${i}`), custom(`d${i}`)] }),
      ),
    );
    assert.ok(results.every((r) => r.status === 200));
    const events = await logOf(server(), run.run_id);
    assert.deepEqual(
      events.map((e) => e.event_id),
      Array.from({ length: 41 }, (_, i) => i + 1),
    );
    const names = new Set(events.slice(1).map((e) => e.event.name));
    assert.equal(names.size, 40);
    const record = await runOf(server(), run.conversation_id, run.run_id);
    assert.equal(record.latest_event_id, 41);
    assert.equal(record.latest_external_event_sequence, 40);
  });

  test("a run addressed through another conversation is not found", async () => {
    const run = await createRun(server());
    const r = await server().request(
      "POST",
      `/conversations/00000000-0000-4000-8000-000000000000/runs/${run.run_id}/events`,
      { events: [custom("a")] },
    );
    assert.equal(r.status, 404);
    assert.equal(r.body.code, "not_found");
  });
});
