/**
 * The conversation timeline model, without a browser: runs nested under their parents in
 * creation order, bars from the records' own timestamps, status changes, and marks for tool
 * calls, waits, input requests and interrupts — placed at their arrival when live, and by their
 * position in the run's log when replayed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AgentRunRecord, ConversationFrame, RunSummary } from "@runline/client";
import { ConversationTimeline } from "../src/lib/timeline.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const iso = (ms: number) => new Date(T0 + ms).toISOString();

function summary(runId: string, over: Partial<RunSummary> = {}): RunSummary {
  return {
    run_id: runId,
    kind: "agent",
    status: "pending",
    owner: { kind: "conversation", id: "c" },
    parent_run_id: null,
    root_run_id: runId,
    waiting_reason: null,
    created_at: iso(0),
    started_at: null,
    completed_at: null,
    metadata: null,
    ...over,
  } as RunSummary;
}

let nextId = 0;
const run = (type: "run.created" | "run.status", s: RunSummary): ConversationFrame => ({
  id: ++nextId,
  type,
  run_id: s.run_id,
  run: s,
});
const event = (
  runId: string,
  eventId: number,
  body: Record<string, unknown>,
): ConversationFrame => ({
  id: ++nextId,
  type: "event",
  run_id: runId,
  event_id: eventId,
  event_type: String(body.type),
  event: body as { type: string } & Record<string, unknown>,
});

test("children are nested under their parent, siblings oldest first, runs of other parents at the top", () => {
  const timeline = new ConversationTimeline(T0);
  timeline.apply(run("run.created", summary("p", { created_at: iso(0) })), T0);
  timeline.apply(
    run("run.created", summary("c2", { parent_run_id: "p", created_at: iso(20) })),
    T0,
  );
  timeline.apply(
    run("run.created", summary("c1", { parent_run_id: "p", created_at: iso(10) })),
    T0,
  );
  timeline.apply(
    run("run.created", summary("g", { parent_run_id: "c1", created_at: iso(30) })),
    T0,
  );
  timeline.apply(
    run("run.created", summary("x", { parent_run_id: "elsewhere", created_at: iso(5) })),
    T0,
  );
  assert.deepEqual(
    timeline.rows(T0 + 100).map((r) => [r.run.runId, r.depth]),
    [
      ["p", 0],
      ["c1", 1],
      ["g", 2],
      ["c2", 1],
      ["x", 0],
    ],
  );
});

test("a bar runs from the record's times; status frames move it, and it is open until the run ends", () => {
  const timeline = new ConversationTimeline(T0);
  timeline.apply(run("run.created", summary("r")), T0);
  timeline.apply(run("run.status", summary("r", { status: "running", started_at: iso(100) })), T0);
  let [row] = timeline.rows(T0 + 500);
  assert.equal(row?.run.status, "running");
  assert.equal(row?.run.startedAt, T0 + 100);
  assert.equal(row?.run.endedAt, undefined);
  assert.deepEqual(timeline.span(timeline.rows(T0 + 500), T0 + 500), { from: T0, to: T0 + 500 });
  timeline.apply(
    run(
      "run.status",
      summary("r", { status: "completed", started_at: iso(100), completed_at: iso(900) }),
    ),
    T0,
  );
  [row] = timeline.rows(T0 + 5000);
  assert.equal(row?.run.status, "completed");
  assert.equal(row?.run.endedAt, T0 + 900);
  assert.deepEqual(timeline.span(timeline.rows(T0 + 5000), T0 + 5000), { from: T0, to: T0 + 900 });
});

test("live tool calls and waits are marks from their arrival to their end; input requests and interrupts use their records' times", () => {
  const timeline = new ConversationTimeline(T0);
  const running = summary("r", { status: "running", started_at: iso(0) });
  timeline.apply(run("run.created", running), T0);
  timeline.apply(
    event("r", 1, { type: "TOOL_CALL_START", toolCallId: "t1", toolCallName: "search" }),
    T0 + 100,
  );
  timeline.apply(event("r", 2, { type: "TOOL_CALL_END", toolCallId: "t1" }), T0 + 150);
  timeline.apply(
    event("r", 3, { type: "TOOL_CALL_RESULT", toolCallId: "t1", content: "ok" }),
    T0 + 300,
  );
  timeline.apply(
    run("run.status", { ...running, status: "waiting", waiting_reason: "input" }),
    T0 + 400,
  );
  timeline.apply(
    {
      id: ++nextId,
      type: "input_request.created",
      run_id: "r",
      input_request: { id: "ir", title: "Approve?", status: "open", created_at: iso(410) } as never,
    },
    T0 + 420,
  );
  timeline.apply(
    {
      id: ++nextId,
      type: "input_request.submitted",
      run_id: "r",
      input_request: {
        id: "ir",
        title: "Approve?",
        status: "submitted",
        created_at: iso(410),
        submitted_at: iso(700),
      } as never,
    },
    T0 + 710,
  );
  timeline.apply(run("run.status", running), T0 + 720);
  timeline.apply(
    {
      id: ++nextId,
      type: "interrupt.opened",
      run_id: "r",
      interrupt: {
        interrupt: { id: "i1", reason: "confirm" },
        run_id: "r",
        status: "open",
        created_at: iso(800),
      } as never,
    },
    T0 + 805,
  );
  const marks = timeline
    .rows(T0 + 1000)[0]
    ?.marks.map((m) => [m.kind, m.from - T0, m.to - T0, m.open]);
  assert.deepEqual(marks, [
    ["tool", 100, 300, false],
    ["wait", 400, 720, false],
    ["input", 410, 700, false],
    ["interrupt", 800, 800, true],
  ]);
});

test("replayed events are placed by their position in the run's log between its start and end; an event's own timestamp wins", () => {
  const timeline = new ConversationTimeline(T0);
  const record = {
    run_id: "r",
    parent_run_id: null,
    status: "completed",
    waiting_reason: null,
    created_at: iso(0),
    started_at: iso(0),
    finished_at: iso(1000),
    latest_event_id: 10,
    agent_id: "a",
  } as unknown as AgentRunRecord;
  const loadedAt = T0 + 60_000;
  timeline.seed([record], loadedAt);
  const done = summary("r", { status: "completed", started_at: iso(0), completed_at: iso(1000) });
  timeline.apply(run("run.created", summary("r")), loadedAt);
  timeline.apply(
    event("r", 5, { type: "TOOL_CALL_START", toolCallId: "a", toolCallName: "x" }),
    loadedAt,
  );
  timeline.apply(event("r", 6, { type: "TOOL_CALL_END", toolCallId: "a" }), loadedAt);
  timeline.apply(
    event("r", 7, {
      type: "TOOL_CALL_START",
      toolCallId: "b",
      toolCallName: "y",
      timestamp: T0 + 123,
    }),
    loadedAt,
  );
  timeline.apply(
    event("r", 8, { type: "TOOL_CALL_END", toolCallId: "b", timestamp: T0 + 456 }),
    loadedAt,
  );
  timeline.apply(run("run.status", done), loadedAt);
  const [row] = timeline.rows(loadedAt);
  assert.equal(row?.run.agentId, "a");
  assert.deepEqual(
    row?.marks.map((m) => [m.label, m.from - T0, m.to - T0]),
    [
      ["Tool call: x", 500, 600],
      ["Tool call: y", 123, 456],
    ],
  );
});

test("a run still active at load places its replayed events against the time of its latest event then, not the load; frames after its replay caught up are live", () => {
  const timeline = new ConversationTimeline(T0);
  const record = {
    run_id: "r",
    parent_run_id: null,
    status: "waiting_for_tool",
    waiting_reason: "tool",
    created_at: iso(0),
    started_at: iso(0),
    finished_at: null,
    latest_event_id: 4,
    agent_id: "a",
  } as unknown as AgentRunRecord;
  const loadedAt = T0 + 60_000;
  timeline.seed([record], loadedAt, new Map([["r", T0 + 400]]));
  const running = summary("r", { status: "running", started_at: iso(0) });
  timeline.apply(run("run.created", running), loadedAt);
  timeline.apply(
    event("r", 2, { type: "TOOL_CALL_START", toolCallId: "a", toolCallName: "x" }),
    loadedAt,
  );
  timeline.apply(event("r", 3, { type: "TOOL_CALL_END", toolCallId: "a" }), loadedAt);
  timeline.apply(event("r", 4, { type: "CUSTOM", name: "n", value: 1 }), loadedAt);
  // Replayed: the listing said the run was waiting at load, so this is where it caught up.
  timeline.apply(
    run("run.status", { ...running, status: "waiting", waiting_reason: "tool" }),
    loadedAt,
  );
  // Live from here: the wait ends when this status frame arrives; the run's end later does not
  // move what was replayed.
  timeline.apply(run("run.status", running), loadedAt + 50);
  const ended = { ...running, status: "completed", completed_at: iso(90_000) } as RunSummary;
  timeline.apply(run("run.status", ended), loadedAt + 30_000);
  const [row] = timeline.rows(loadedAt + 100);
  assert.deepEqual(
    row?.marks.map((m) => [m.kind, m.from - T0, m.to - T0]),
    [
      ["tool", 200, 300],
      ["wait", 400, 60_050],
    ],
  );
});
