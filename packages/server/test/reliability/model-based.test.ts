/**
 * Promise: a run behaves as the contract says, whatever sequence of operations it receives.
 *
 * fast-check generates random command sequences — create (new or same public_id, new or older
 * route), append (valid and invalid events; each cursor omitted, null, right, stale, ahead or
 * zero), retry of the last accepted batch (alone or extended), wait, tool result (awaited,
 * repeated, unknown), complete (each status), cancel — and runs each against a real server over
 * HTTP and against a small model of docs/api.md §4.3/§4.7/§4.8 written here, independently of the
 * server's code. After every command the response (status, code, the fields that matter) and
 * the run's observable state (status, cursors, waiting fields, the log's ids, types and
 * appended events verbatim) must equal the model's.
 *
 * Size: 50 sequences of at most 30 commands per store (× RELIABILITY_SCALE);
 * RELIABILITY_SEED replays.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { startTestServer, type TestResponse, type TestServer } from "../helpers/server.ts";
import { storeTargets } from "../helpers/stores.ts";
import { SEED, scaled } from "./harness/scale.ts";

// ── The model ──────────────────────────────────────────────────────────────────────────────

type Status = "pending" | "running" | "waiting_for_tool" | "completed" | "failed" | "cancelled";
type Json = Record<string, unknown>;

interface LogEntry {
  type: string;
  /** Caller-appended (counts in the external sequence). */
  external: boolean;
  /** Canonical JSON of an appended event (compared verbatim with the stored one). */
  canon: string | undefined;
}

interface ModelRun {
  runId: string;
  conversationId: string;
  status: Status;
  started: boolean;
  log: LogEntry[];
  /** Open text messages, in opening order. */
  open: string[];
  waiting: { toolCallId: string; reason: string } | undefined;
  /** Tool call id → content of its latest TOOL_CALL_RESULT. */
  results: Map<string, string>;
  /** The last accepted batch, as sent, with its expectations (for retries). */
  lastAccepted: { events: Json[]; expId: Cursor; expSeq: Cursor } | undefined;
}

/** An expectation as sent: a number, null, or left out. */
type Cursor = number | null | undefined;

interface Model {
  runs: ModelRun[];
  counter: number;
}

/** What the model says a command answers. */
interface Outcome {
  status: number;
  code?: string;
  fields?: Json;
}

const TERMINAL: ReadonlySet<Status> = new Set(["completed", "failed", "cancelled"]);

/** Object keys sorted, recursively: the comparison the contract's retry rule uses. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Json)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const latestEventId = (run: ModelRun) => run.log.length;
const latestSeq = (run: ModelRun) => run.log.filter((e) => e.external).length;
const serverEntry = (type: string): LogEntry => ({ type, external: false, canon: undefined });

const BAD_SHAPE = "__bad_shape__";

function conflict(run: ModelRun): Outcome {
  return {
    status: 400,
    code: "event_cursor_conflict",
    fields: {
      detail: "External run event cursor mismatch",
      latest_event_id: latestEventId(run),
      latest_external_event_sequence: latestSeq(run),
    },
  };
}

/** Appended events stored after a position, at most `limit`. */
function externalAfter(run: ModelRun, position: "id" | "seq", after: number, limit: number) {
  const out: LogEntry[] = [];
  let seq = 0;
  for (const [index, entry] of run.log.entries()) {
    if (entry.external) seq++;
    if (!entry.external) continue;
    const beyond = position === "id" ? index + 1 > after : seq > after;
    if (beyond) out.push(entry);
    if (out.length >= limit) break;
  }
  return out;
}

/** docs/api.md §4.3 on the model: the outcome, and the run changed when accepted. */
function modelAppend(run: ModelRun, raw: readonly Json[], expId: Cursor, expSeq: Cursor): Outcome {
  // 1. Shape.
  const batch: Json[] = [];
  for (const [index, event] of raw.entries()) {
    if (
      event.type === BAD_SHAPE ||
      (event.type === "TEXT_MESSAGE_CONTENT" && !("delta" in event))
    ) {
      return { status: 400, code: "invalid_event", fields: { event_index: index } };
    }
    batch.push(
      event.type === "RUN_STARTED"
        ? {
            ...event,
            threadId: event.threadId ?? run.conversationId,
            runId: event.runId ?? run.runId,
          }
        : event,
    );
  }
  // 2. Run state.
  if (TERMINAL.has(run.status)) {
    return {
      status: 400,
      code: "run_not_appendable",
      fields: { detail: "Cannot append external events to a terminal run" },
    };
  }
  if (run.status === "waiting_for_tool") {
    return {
      status: 400,
      code: "run_waiting_for_tool",
      fields: {
        detail: "Cannot append external events while the run is waiting for a tool result",
      },
    };
  }
  // 3. Cursors, with the committed-retry rule.
  let skip: number | undefined;
  const checks: { expected: number; current: number; position: "id" | "seq" }[] = [];
  if (typeof expId === "number")
    checks.push({ expected: expId, current: latestEventId(run), position: "id" });
  if (typeof expSeq === "number")
    checks.push({ expected: expSeq, current: latestSeq(run), position: "seq" });
  for (const check of checks) {
    let k: number | undefined;
    if (check.expected === check.current) k = 0;
    else if (check.expected < check.current) {
      const stored = externalAfter(run, check.position, check.expected, batch.length + 1);
      const matches =
        stored.length > 0 &&
        stored.length <= batch.length &&
        stored.every((entry, i) => entry.canon === canonical(batch[i]));
      k = matches ? stored.length : undefined;
    }
    if (k === undefined || (skip !== undefined && skip !== k)) return conflict(run);
    skip = k;
  }
  const skipped = skip ?? 0;
  const fresh = batch.slice(skipped);
  if (fresh.length === 0) {
    return {
      status: 200,
      fields: {
        duplicate: true,
        appended_count: 0,
        latest_event_id: latestEventId(run),
        latest_external_event_sequence: latestSeq(run),
      },
    };
  }
  // 4. The log stays a valid AG-UI stream.
  const start: LogEntry[] =
    fresh[0]?.type === "RUN_STARTED" || run.started ? [] : [serverEntry("RUN_STARTED")];
  let started = run.started || start.length > 0;
  const open = [...run.open];
  for (const [j, event] of fresh.entries()) {
    const index = j + skipped;
    const invalid: Outcome = { status: 400, code: "invalid_event", fields: { event_index: index } };
    const id = String(event.messageId);
    switch (event.type) {
      case "RUN_STARTED":
        if (started) return invalid;
        started = true;
        break;
      case "TEXT_MESSAGE_START":
        if (open.includes(id)) return invalid;
        open.push(id);
        break;
      case "TEXT_MESSAGE_CONTENT":
        if (!open.includes(id)) return invalid;
        break;
      case "TEXT_MESSAGE_END":
        if (!open.includes(id)) return invalid;
        open.splice(open.indexOf(id), 1);
        break;
    }
  }
  // 5. Store.
  run.log.push(
    ...start,
    ...fresh.map((event) => ({
      type: String(event.type),
      external: true,
      canon: canonical(event),
    })),
  );
  run.started = true;
  run.open = open;
  if (run.status === "pending") run.status = "running";
  run.lastAccepted = { events: [...raw], expId, expSeq };
  return {
    status: 200,
    fields: {
      duplicate: false,
      appended_count: fresh.length,
      latest_event_id: latestEventId(run),
      latest_external_event_sequence: latestSeq(run),
    },
  };
}

function startIfNeeded(run: ModelRun): void {
  if (!run.started) {
    run.log.push(serverEntry("RUN_STARTED"));
    run.started = true;
  }
}

function modelFinish(run: ModelRun, status: "completed" | "failed" | "cancelled"): void {
  startIfNeeded(run);
  for (const _ of [...run.open].reverse()) run.log.push(serverEntry("TEXT_MESSAGE_END"));
  run.log.push(serverEntry(status === "completed" ? "RUN_FINISHED" : "RUN_ERROR"));
  run.open = [];
  run.status = status;
  run.waiting = undefined;
}

// ── The real side ──────────────────────────────────────────────────────────────────────────

interface Real {
  server: TestServer;
  figures: Figures;
}

interface Figures {
  sequences: number;
  /** Appends and retries the server accepted, by kind. */
  accepted: { fresh: number; duplicate: number; partial: number };
  commands: Record<string, number>;
  statuses: Record<string, number>;
  fiveHundreds: number;
}

function record(real: Real, name: string, response: TestResponse, batchLength = 0): void {
  if ((name === "append" || name === "retry") && response.status === 200) {
    const appended = response.body?.appended_count;
    const accepted = real.figures.accepted;
    if (appended === 0) accepted.duplicate++;
    else if (appended < batchLength) accepted.partial++;
    else accepted.fresh++;
  }
  real.figures.commands[name] = (real.figures.commands[name] ?? 0) + 1;
  const key = `${response.status}${response.body?.code ? ` ${response.body.code}` : ""}`;
  real.figures.statuses[key] = (real.figures.statuses[key] ?? 0) + 1;
  if (response.status >= 500) real.figures.fiveHundreds++;
}

/** The response must be what the model said. */
function expectOutcome(what: string, response: TestResponse, outcome: Outcome): void {
  const context = `${what} → ${response.status} ${response.text.slice(0, 300)}`;
  assert.equal(response.status, outcome.status, `status of ${context}`);
  if (outcome.code !== undefined) {
    assert.equal(response.body?.code, outcome.code, `code of ${context}`);
    assert.ok(
      (response.headers.get("content-type") ?? "").startsWith("application/problem+json"),
      `problem JSON for ${context}`,
    );
  }
  for (const [field, value] of Object.entries(outcome.fields ?? {})) {
    assert.deepEqual(response.body?.[field], value, `${field} of ${context}`);
  }
}

/** The run's observable state must be the model's. */
async function expectState(server: TestServer, run: ModelRun, after: string): Promise<void> {
  const recordResponse = await server.request(
    "GET",
    `/conversations/${run.conversationId}/runs/${run.runId}`,
  );
  assert.equal(recordResponse.status, 200, `reading ${run.runId} after ${after}`);
  const body = recordResponse.body;
  const context = `run ${run.runId} after ${after}`;
  assert.equal(body.status, run.status, `status of ${context}`);
  assert.equal(body.latest_event_id, latestEventId(run), `latest_event_id of ${context}`);
  assert.equal(
    body.latest_external_event_sequence,
    latestSeq(run),
    `latest_external_event_sequence of ${context}`,
  );
  assert.equal(body.waiting_tool_call_id, run.waiting?.toolCallId ?? null, `waiting of ${context}`);
  assert.equal(body.waiting_reason, run.waiting?.reason ?? null, `waiting_reason of ${context}`);
  const log = await server.request("GET", `/runs/${run.runId}/events?limit=500`);
  assert.equal(log.status, 200);
  const events = log.body.data as { event_id: number; event_type: string; event: Json }[];
  assert.deepEqual(
    events.map((e) => e.event_id),
    run.log.map((_, i) => i + 1),
    `ids of ${context}`,
  );
  assert.deepEqual(
    events.map((e) => e.event_type),
    run.log.map((e) => e.type),
    `event types of ${context}`,
  );
  for (const [i, entry] of run.log.entries()) {
    if (entry.canon !== undefined) {
      assert.equal(canonical(events[i]?.event), entry.canon, `event ${i + 1} of ${context}`);
    }
  }
}

// ── Commands ───────────────────────────────────────────────────────────────────────────────

type CursorMode = "omit" | "null" | "right" | "stale" | "ahead" | "zero";
type ItemKind = "custom" | "start" | "content" | "end" | "stray" | "runStarted" | "badShape";

function cursorValue(mode: CursorMode, current: number, delta: number): Cursor {
  switch (mode) {
    case "omit":
      return undefined;
    case "null":
      return null;
    case "right":
      return current;
    case "stale":
      return Math.max(0, current - 1 - delta);
    case "ahead":
      return current + 1 + delta;
    case "zero":
      return 0;
  }
}

function appendBody(events: Json[], expId: Cursor, expSeq: Cursor): Json {
  return {
    events,
    ...(expId !== undefined && { expected_previous_event_id: expId }),
    ...(expSeq !== undefined && { expected_previous_external_event_sequence: expSeq }),
  };
}

/**
 * The run a command acts on: indexes are taken modulo the runs that exist. Most commands
 * prefer runs where they can succeed (an append, a running run), so sequences go deep instead
 * of hammering ended runs; the rest pick among all runs.
 */
function pickRun(model: Readonly<Model>, n: number, prefer?: (run: ModelRun) => boolean): ModelRun {
  const preferred = prefer && n % 4 !== 3 ? model.runs.filter(prefer) : [];
  const pool = preferred.length > 0 ? preferred : model.runs;
  const run = pool[n % pool.length];
  if (!run) throw new Error("no run");
  return run;
}

const appendable = (run: ModelRun) => run.status === "pending" || run.status === "running";
const waiting = (run: ModelRun) => run.status === "waiting_for_tool";

const hasRuns = (m: Readonly<Model>) => m.runs.length > 0;

class CreateRun implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly running: boolean,
    readonly olderRoute: boolean,
    readonly reuse: number | null,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const existing = this.reuse !== null && m.runs.length > 0 ? pickRun(m, this.reuse) : undefined;
    const run: ModelRun = existing ?? {
      runId: `mb-${++m.counter}-${randomUUID().slice(0, 8)}`,
      conversationId: randomUUID(),
      status: this.running && !this.olderRoute ? "running" : "pending",
      started: false,
      log: [],
      open: [],
      waiting: undefined,
      results: new Map(),
      lastAccepted: undefined,
    };
    const response = this.olderRoute
      ? await r.server.request(
          "POST",
          `/conversations/${run.conversationId}/agent-runs/${run.runId}/start`,
          { agent_id: "model", messages: [] },
        )
      : await r.server.request("POST", "/runs", {
          kind: "agent",
          owner: { kind: "conversation", id: run.conversationId },
          public_id: run.runId,
          request: { agent_id: "model", ...(this.running && { initial_status: "running" }) },
        });
    record(r, "create", response);
    expectOutcome(this.toString(), response, {
      status: 202,
      fields: { accepted: true, duplicate: existing !== undefined },
    });
    if (!existing) {
      if (run.status === "running") startIfNeeded(run);
      m.runs.push(run);
    }
    await expectState(r.server, run, this.toString());
  }
  toString = () =>
    `create(${this.running ? "running" : "pending"}${this.olderRoute ? ", older route" : ""}${
      this.reuse !== null ? `, same id as #${this.reuse}` : ""
    })`;
}

class Append implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly runIndex: number,
    readonly items: ItemKind[],
    readonly idMode: CursorMode,
    readonly seqMode: CursorMode,
    readonly delta: number,
  ) {}
  check = hasRuns;
  async run(m: Model, r: Real): Promise<void> {
    const run = pickRun(m, this.runIndex, appendable);
    const open = [...run.open];
    const events: Json[] = this.items.map((kind) => {
      const n = ++m.counter;
      switch (kind) {
        case "custom":
          return { type: "CUSTOM", name: "model", value: { n, z: { b: 1, a: [n] } } };
        case "start": {
          const id = `msg-${n}`;
          open.push(id);
          return { type: "TEXT_MESSAGE_START", messageId: id, role: "assistant" };
        }
        // Content and end go to an open message; with none open they become a CUSTOM event
        // (invalid sequences come from the "stray" and "runStarted" kinds).
        case "content": {
          const id = open.at(-1);
          return id === undefined
            ? { type: "CUSTOM", name: "model", value: n }
            : { type: "TEXT_MESSAGE_CONTENT", messageId: id, delta: `d${n} ✓` };
        }
        case "end": {
          const id = open.pop();
          return id === undefined
            ? { type: "CUSTOM", name: "model", value: n }
            : { type: "TEXT_MESSAGE_END", messageId: id };
        }
        case "stray":
          return { type: "TEXT_MESSAGE_CONTENT", messageId: `stray-${n}`, delta: "x" };
        case "runStarted":
          return { type: "RUN_STARTED" };
        case "badShape":
          return { type: "TEXT_MESSAGE_CONTENT", messageId: "m" };
        default:
          throw new Error(`unknown item kind ${String(kind)}`);
      }
    });
    const expId = cursorValue(this.idMode, latestEventId(run), this.delta);
    const expSeq = cursorValue(this.seqMode, latestSeq(run), this.delta);
    const response = await r.server.request(
      "POST",
      `/conversations/${run.conversationId}/runs/${run.runId}/events`,
      appendBody(events, expId, expSeq),
    );
    record(r, "append", response, events.length);
    const what = `${this}: ${JSON.stringify(appendBody(events, expId, expSeq)).slice(0, 400)}`;
    expectOutcome(what, response, modelAppend(run, events, expId, expSeq));
    await expectState(r.server, run, this.toString());
  }
  toString = () =>
    `append(#${this.runIndex}, [${this.items.join(" ")}], id ${this.idMode}, seq ${this.seqMode}, Δ${this.delta})`;
}

class RetryLastBatch implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly runIndex: number,
    readonly extra: number,
  ) {}
  check = (m: Readonly<Model>) => m.runs.some((run) => run.lastAccepted !== undefined);
  async run(m: Model, r: Real): Promise<void> {
    const candidates = m.runs.filter((run) => run.lastAccepted !== undefined);
    const run = candidates[this.runIndex % candidates.length]!;
    const last = run.lastAccepted!;
    const events = [
      ...last.events,
      ...Array.from({ length: this.extra }, () => ({
        type: "CUSTOM",
        name: "model-extra",
        value: ++m.counter,
      })),
    ];
    const response = await r.server.request(
      "POST",
      `/runs/${run.runId}/events`,
      appendBody(events, last.expId, last.expSeq),
    );
    record(r, "retry", response, events.length);
    const what = `${this}: ${JSON.stringify(appendBody(events, last.expId, last.expSeq)).slice(0, 400)}`;
    expectOutcome(what, response, modelAppend(run, events, last.expId, last.expSeq));
    await expectState(r.server, run, this.toString());
  }
  toString = () => `retry-last-batch(#${this.runIndex}, +${this.extra})`;
}

class Wait implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly runIndex: number,
    readonly which: "new" | "same",
    readonly reason: "tool" | "approval",
  ) {}
  check = hasRuns;
  async run(m: Model, r: Real): Promise<void> {
    const run = pickRun(m, this.runIndex, appendable);
    const toolCallId =
      this.which === "same" && run.waiting ? run.waiting.toolCallId : `tc-${++m.counter}`;
    const response = await r.server.request(
      "POST",
      `/conversations/${run.conversationId}/runs/${run.runId}/wait`,
      { tool_call_id: toolCallId, tool_name: "lookup", reason: this.reason },
    );
    record(r, "wait", response);
    let outcome: Outcome;
    if (TERMINAL.has(run.status)) outcome = { status: 409, code: "run_already_terminal" };
    else if (run.waiting) {
      outcome =
        run.waiting.toolCallId === toolCallId && run.waiting.reason === this.reason
          ? { status: 200 }
          : { status: 409, code: "conflict" };
    } else {
      startIfNeeded(run);
      run.status = "waiting_for_tool";
      run.waiting = { toolCallId, reason: this.reason };
      outcome = { status: 200 };
    }
    expectOutcome(`${this} (${toolCallId})`, response, outcome);
    if (outcome.status === 200) assert.equal(response.body.run.status, "waiting_for_tool");
    await expectState(r.server, run, this.toString());
  }
  toString = () => `wait(#${this.runIndex}, ${this.which}, ${this.reason})`;
}

class ToolResult implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly runIndex: number,
    readonly which: "awaited" | "previous" | "unknown",
    readonly sameContent: boolean,
    readonly asObject: boolean,
  ) {}
  check = hasRuns;
  async run(m: Model, r: Real): Promise<void> {
    const run = pickRun(m, this.runIndex, waiting);
    const previous = [...run.results.entries()].at(-1);
    let toolCallId: string;
    let result: unknown;
    const n = ++m.counter;
    const fresh = this.asObject ? { value: n, nested: { b: 1, a: "ü" } } : `result ${n}`;
    if (this.which === "awaited" && run.waiting) {
      toolCallId = run.waiting.toolCallId;
      result = fresh;
    } else if (this.which === "previous" && previous) {
      toolCallId = previous[0];
      result = this.sameContent ? previous[1] : fresh;
    } else {
      toolCallId = `unknown-${n}`;
      result = fresh;
    }
    const content = typeof result === "string" ? result : canonical(result);
    const response = await r.server.request(
      "POST",
      `/conversations/${run.conversationId}/runs/${run.runId}/tool-result`,
      { toolCallId, result },
    );
    record(r, "tool-result", response);
    let outcome: Outcome;
    if (run.status === "waiting_for_tool" && run.waiting?.toolCallId === toolCallId) {
      run.log.push(serverEntry("TOOL_CALL_RESULT"));
      run.results.set(toolCallId, content);
      run.status = "running";
      run.waiting = undefined;
      outcome = { status: 200, fields: { accepted: true, duplicate: false } };
    } else if (run.results.get(toolCallId) === content) {
      outcome = { status: 200, fields: { accepted: true, duplicate: true } };
    } else {
      outcome = { status: 409, code: "run_not_waiting" };
    }
    expectOutcome(`${this} (${toolCallId})`, response, outcome);
    await expectState(r.server, run, this.toString());
  }
  toString = () =>
    `tool-result(#${this.runIndex}, ${this.which}${this.sameContent ? ", same content" : ""}${
      this.asObject ? ", object" : ""
    })`;
}

class Complete implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly runIndex: number,
    readonly status: "completed" | "failed" | "cancelled",
  ) {}
  check = hasRuns;
  async run(m: Model, r: Real): Promise<void> {
    const run = pickRun(m, this.runIndex);
    const response = await r.server.request("POST", `/runs/${run.runId}/complete`, {
      status: this.status,
      ...(this.status !== "completed" && { terminal_error_code: "model_error" }),
    });
    record(r, "complete", response);
    let outcome: Outcome;
    if (TERMINAL.has(run.status)) {
      outcome =
        run.status === this.status
          ? { status: 200, fields: { completed: false } }
          : { status: 409, code: "run_already_terminal" };
    } else {
      modelFinish(run, this.status);
      outcome = { status: 200, fields: { completed: true } };
    }
    expectOutcome(this.toString(), response, outcome);
    await expectState(r.server, run, this.toString());
  }
  toString = () => `complete(#${this.runIndex}, ${this.status})`;
}

class Cancel implements fc.AsyncCommand<Model, Real> {
  constructor(readonly runIndex: number) {}
  check = hasRuns;
  async run(m: Model, r: Real): Promise<void> {
    const run = pickRun(m, this.runIndex);
    const response = await r.server.request("POST", `/runs/${run.runId}/cancel`, {});
    record(r, "cancel", response);
    const active = !TERMINAL.has(run.status);
    if (active) modelFinish(run, "cancelled");
    expectOutcome(this.toString(), response, { status: 200, fields: { cancelled: active } });
    await expectState(r.server, run, this.toString());
  }
  toString = () => `cancel(#${this.runIndex})`;
}

const runIndex = fc.nat({ max: 11 });
const cursorMode = fc.constantFrom<CursorMode>(
  "omit",
  "null",
  "right",
  "right",
  "right",
  "stale",
  "ahead",
  "zero",
);
const itemKind = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.constantFrom<ItemKind>("custom", "start", "content", "content", "end"),
  },
  { weight: 1, arbitrary: fc.constantFrom<ItemKind>("stray", "runStarted", "badShape") },
);

const create = fc
  .tuple(fc.boolean(), fc.boolean(), fc.option(runIndex, { freq: 4 }))
  .map(([running, older, reuse]) => new CreateRun(running, older, reuse));
const append = fc
  .tuple(
    runIndex,
    fc.array(itemKind, { minLength: 1, maxLength: 6 }),
    cursorMode,
    cursorMode,
    fc.nat({ max: 2 }),
  )
  .map(([i, items, idMode, seqMode, delta]) => new Append(i, items, idMode, seqMode, delta));
const retry = fc
  .tuple(runIndex, fc.nat({ max: 2 }))
  .map(([i, extra]) => new RetryLastBatch(i, extra));
const wait = fc
  .tuple(
    runIndex,
    fc.constantFrom<"new" | "same">("new", "same"),
    fc.constantFrom<"tool" | "approval">("tool", "approval"),
  )
  .map(([i, which, reason]) => new Wait(i, which, reason));
const toolResult = fc
  .tuple(
    runIndex,
    fc.constantFrom<"awaited" | "previous" | "unknown">(
      "awaited",
      "awaited",
      "previous",
      "unknown",
    ),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([i, which, same, object]) => new ToolResult(i, which, same, object));
const finish = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        runIndex,
        fc.constantFrom<"completed" | "failed" | "cancelled">("completed", "failed", "cancelled"),
      )
      .map(([i, status]) => new Complete(i, status)),
  },
  { weight: 1, arbitrary: runIndex.map((i) => new Cancel(i)) },
);

/** fc.commands picks among these uniformly: repeats are weights. */
const commandArbitraries: fc.Arbitrary<fc.AsyncCommand<Model, Real>>[] = [
  create,
  create,
  append,
  append,
  append,
  append,
  append,
  append,
  retry,
  retry,
  wait,
  toolResult,
  toolResult,
  finish,
];

describe("a run behaves as the contract's model says, whatever sequence of operations it receives", () => {
  for (const target of storeTargets()) {
    test(`model-based command sequences [${target.kind}]`, {
      skip: target.skip,
      timeout: 900_000,
    }, async (t) => {
      const server = await startTestServer(target.kind);
      const figures: Figures = {
        sequences: 0,
        accepted: { fresh: 0, duplicate: 0, partial: 0 },
        commands: {},
        statuses: {},
        fiveHundreds: 0,
      };
      const numRuns = scaled(50);
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.commands(commandArbitraries, { maxCommands: 30, size: "max" }),
            async (commands) => {
              figures.sequences++;
              await fc.asyncModelRun(
                () => ({ model: { runs: [], counter: 0 }, real: { server, figures } }),
                commands,
              );
            },
          ),
          { numRuns, seed: SEED },
        );
      } finally {
        await server.close();
      }
      const commandCount = Object.values(figures.commands).reduce((a, b) => a + b, 0);
      t.diagnostic(
        `seed ${SEED}; ${figures.sequences} sequences (${numRuns} planned), ${commandCount} commands checked`,
      );
      t.diagnostic(`commands: ${JSON.stringify(figures.commands)}`);
      t.diagnostic(
        `appends accepted: ${figures.accepted.fresh} fresh, ${figures.accepted.duplicate} retries answered duplicate, ${figures.accepted.partial} partial`,
      );
      t.diagnostic(`answers: ${JSON.stringify(figures.statuses)}`);
      t.diagnostic(`5xx seen: ${figures.fiveHundreds}`);
      assert.equal(figures.fiveHundreds, 0);
    });
  }
});
