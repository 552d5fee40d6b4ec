/**
 * The sequence tracker must refuse exactly what `verifyEvents` from `@ag-ui/client` refuses
 * (plus Runline's one-run-per-log rule), at the same event, however the log is split into
 * appends, and its closing events must always let the server end a run cleanly.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { verifyEvents } from "@ag-ui/client";
import type { BaseEvent } from "@ag-ui/core";
import fc from "fast-check";
import { from } from "rxjs";
import {
  advanceSequence,
  closingEvents,
  hasRunStarted,
  initialSequenceState,
  mentionedIds,
  type OwnerRecord,
  openStreamIds,
  openToolCallIds,
  type SequenceState,
} from "../../src/domain/agui/sequence.ts";
import type { AguiEvent } from "../../src/domain/agui/types.ts";

// ---------------------------------------------------------------------------------------------
// Event builders

type Tag = string | null | undefined;

function ev(type: string, fields: Record<string, unknown> = {}, tag?: Tag): AguiEvent {
  return { type, ...fields, ...(tag !== undefined && { subagentRunId: tag }) };
}

const runStarted = (fields: Record<string, unknown> = {}) =>
  ev("RUN_STARTED", { threadId: "t", runId: "r", ...fields });
const runFinished = (fields: Record<string, unknown> = {}) =>
  ev("RUN_FINISHED", { threadId: "t", runId: "r", ...fields });
const runError = () => ev("RUN_ERROR", { message: "boom" });
const textStart = (id: string, tag?: Tag, extra: Record<string, unknown> = {}) =>
  ev("TEXT_MESSAGE_START", { messageId: id, role: "assistant", ...extra }, tag);
const textContent = (id: string, tag?: Tag) =>
  ev("TEXT_MESSAGE_CONTENT", { messageId: id, delta: "x" }, tag);
const textEnd = (id: string, tag?: Tag) => ev("TEXT_MESSAGE_END", { messageId: id }, tag);
const toolStart = (id: string, tag?: Tag, parentMessageId?: string) =>
  ev(
    "TOOL_CALL_START",
    {
      toolCallId: id,
      toolCallName: "f",
      ...(parentMessageId !== undefined && { parentMessageId }),
    },
    tag,
  );
const toolArgs = (id: string, tag?: Tag) =>
  ev("TOOL_CALL_ARGS", { toolCallId: id, delta: "{" }, tag);
const toolEnd = (id: string, tag?: Tag) => ev("TOOL_CALL_END", { toolCallId: id }, tag);
const toolResult = (messageId: string, toolCallId: string, tag?: Tag) =>
  ev("TOOL_CALL_RESULT", { messageId, toolCallId, content: "ok" }, tag);
const stepStart = (name: string, tag?: Tag) => ev("STEP_STARTED", { stepName: name }, tag);
const stepEnd = (name: string, tag?: Tag) => ev("STEP_FINISHED", { stepName: name }, tag);
const spanStart = (id: string, tag?: Tag) => ev("REASONING_START", { messageId: id }, tag);
const spanEnd = (id: string, tag?: Tag) => ev("REASONING_END", { messageId: id }, tag);
const thinkStart = (id: string, tag?: Tag) =>
  ev("REASONING_MESSAGE_START", { messageId: id, role: "reasoning" }, tag);
const thinkContent = (id: string, tag?: Tag) =>
  ev("REASONING_MESSAGE_CONTENT", { messageId: id, delta: "hm" }, tag);
const thinkEnd = (id: string, tag?: Tag) => ev("REASONING_MESSAGE_END", { messageId: id }, tag);
const encrypted = (subtype: string, entityId: string, tag?: Tag) =>
  ev("REASONING_ENCRYPTED_VALUE", { subtype, entityId, encryptedValue: "e" }, tag);
const activity = (id: string, tag?: Tag, replace?: boolean) =>
  ev(
    "ACTIVITY_SNAPSHOT",
    { messageId: id, activityType: "plan", content: {}, ...(replace !== undefined && { replace }) },
    tag,
  );
const activityDelta = (id: string, tag?: Tag) =>
  ev("ACTIVITY_DELTA", { messageId: id, activityType: "plan", patch: [] }, tag);
const subStart = (id: string, fields: Record<string, unknown> = {}) =>
  ev("SUBAGENT_STARTED", { subagentRunId: id, name: "helper", ...fields });
const subFinish = (id: string, fields: Record<string, unknown> = {}) =>
  ev("SUBAGENT_FINISHED", { subagentRunId: id, ...fields });
const subError = (id: string, fields: Record<string, unknown> = { message: "failed" }) =>
  ev("SUBAGENT_ERROR", { subagentRunId: id, ...fields });
const snapshot = (messages: unknown[]) => ev("MESSAGES_SNAPSHOT", { messages });
const message = (id: string, role: string, tag?: Tag, toolCallIds: string[] = []) => ({
  id,
  role,
  content: "",
  ...(tag !== undefined && { subagentRunId: tag }),
  ...(toolCallIds.length > 0 && {
    toolCalls: toolCallIds.map((tc) => ({
      id: tc,
      type: "function",
      function: { name: "f", arguments: "{}" },
    })),
  }),
});
const withInput = (messages: unknown[]) => ({ input: { threadId: "t", runId: "r", messages } });

// ---------------------------------------------------------------------------------------------
// Oracles and helpers

interface Rejection {
  index: number;
  message: string;
}

/** What `verifyEvents` itself says about `events` (it runs synchronously over an array). */
function verifyRejection(events: readonly AguiEvent[]): Rejection | undefined {
  let accepted = 0;
  let rejection: Rejection | undefined;
  // AguiEvent's `type` is a plain string where BaseEvent's is the EventType enum; the events are
  // schema-shaped either way, which is all verifyEvents reads.
  from(events as unknown as BaseEvent[])
    .pipe(verifyEvents(false))
    .subscribe({
      next: () => {
        accepted += 1;
      },
      error: (error: unknown) => {
        rejection = {
          index: accepted,
          message: error instanceof Error ? error.message : String(error),
        };
      },
    });
  return rejection;
}

const isTerminal = (e: AguiEvent) => e.type === "RUN_FINISHED" || e.type === "RUN_ERROR";

/**
 * verifyEvents' verdict plus Runline's one-run-per-log rule: nothing may follow the first
 * terminal event. `runline` marks a rejection that rule owns (its wording is Runline's).
 */
function expectedRejection(
  events: readonly AguiEvent[],
): (Rejection & { runline: boolean }) | undefined {
  const verdict = verifyRejection(events);
  const terminal = events.findIndex(isTerminal);
  const afterEnd = terminal !== -1 && terminal + 1 < events.length ? terminal + 1 : undefined;
  if (afterEnd !== undefined && (verdict === undefined || afterEnd <= verdict.index)) {
    return { index: afterEnd, message: "", runline: true };
  }
  return verdict && { ...verdict, runline: false };
}

/**
 * Messages compared with verifyEvents' own. Where a message lists open steps, only the order of
 * the listing may differ; where verifyEvents suggests starting a new run, Runline's wording
 * differs (one run per log).
 */
function comparable(text: string): string {
  return text
    .replace(/^(Cannot send 'RUN_FINISHED' while steps are still active):.*$/, "$1")
    .replace(/^(Cannot send 'STEP_FINISHED' for step .*?): that step is open under .*$/, "$1")
    .replace(/^Cannot send 'RUN_STARTED' while a run is still active\..*$/, "second RUN_STARTED")
    .replace(/^(.*The run has already finished with 'RUN_FINISHED'\.).*$/, "$1");
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * A run's sequence as the stores keep it: the state (a JSON column) and the owner records (the
 * `run_owners` table, keyed by kind and id).
 */
interface Stored {
  state: SequenceState;
  owners: ReadonlyMap<string, OwnerRecord>;
}

type Advanced = ({ ok: true } & Stored) | { ok: false; index: number; message: string };

const ownerKey = (r: { kind: string; id: string }) => `${r.kind}\u0000${r.id}`;

const fresh = (): Stored => ({ state: initialSequenceState(), owners: new Map() });

/** The stored owner records of `ids`, of every kind: what a store's lookup returns. */
function lookup(run: Stored, ids: readonly string[]): OwnerRecord[] {
  const wanted = new Set(ids);
  return [...run.owners.values()].filter((r) => wanted.has(r.id));
}

/**
 * One append as the ledger makes it: the batch sees only the owner records of the ids it
 * mentions (so an id `mentionedIds` missed would show up as a wrong verdict), and the records
 * it returns are written back.
 */
function advance(run: Stored, events: readonly AguiEvent[]): Advanced {
  const result = advanceSequence(run.state, events, lookup(run, mentionedIds(events)));
  if (!result.ok) return result;
  const owners = new Map(run.owners);
  for (const record of result.owners) owners.set(ownerKey(record), record);
  return { ok: true, state: result.state, owners };
}

/** closingEvents as the server calls it: with the records of the open streams' ids. */
function closersOf(run: Stored): AguiEvent[] {
  return closingEvents(run.state, lookup(run, openStreamIds(run.state)));
}

/**
 * Feeds `events` as consecutive appends cut at `cuts`, storing the state as JSON text between
 * appends (as the database does) and freezing it so any mutation throws.
 */
function feed(events: readonly AguiEvent[], cuts: readonly number[] = []): Advanced {
  const bounds = [...new Set([0, ...cuts.map((c) => c % (events.length + 1)), events.length])];
  bounds.sort((a, b) => a - b);
  let run = fresh();
  for (let i = 0; i + 1 < bounds.length; i += 1) {
    const [start, end] = [bounds[i] ?? 0, bounds[i + 1] ?? 0];
    const stored = JSON.stringify(run.state);
    const result = advance(
      { state: deepFreeze(JSON.parse(stored) as SequenceState), owners: run.owners },
      events.slice(start, end),
    );
    if (!result.ok) return { ...result, index: start + result.index };
    assert.deepEqual(JSON.parse(JSON.stringify(result.state)), result.state, "state is plain JSON");
    run = result;
  }
  return { ok: true, ...run };
}

/** The events of `events` the tracker accepts, each appended in turn (a valid log). */
function validSubsequence(events: readonly AguiEvent[]): { log: AguiEvent[]; run: Stored } {
  let run = fresh();
  const log: AguiEvent[] = [];
  for (const event of events) {
    const result = advance(run, [event]);
    if (result.ok) {
      log.push(event);
      run = result;
    }
  }
  return { log, run };
}

// ---------------------------------------------------------------------------------------------
// 1. Hand-written sequences

interface Case {
  name: string;
  events: AguiEvent[];
  /** Index of the first refused event; absent when the whole sequence is accepted. */
  rejects?: number;
  /** The verdict comes from Runline's one-run-per-log rule, where verifyEvents would accept. */
  runlineOnly?: true;
}

const RS = runStarted();
const RF = runFinished();

const accepted: Case[] = [
  { name: "a run that starts and finishes", events: [RS, RF] },
  { name: "a log that opens with RUN_ERROR", events: [runError()] },
  { name: "an error that ends a run with things open", events: [RS, textStart("m"), runError()] },
  {
    name: "a text message, a tool call under it and the tool's result",
    events: [
      RS,
      textStart("m"),
      textContent("m"),
      toolStart("c", undefined, "m"),
      toolArgs("c"),
      toolEnd("c"),
      textEnd("m"),
      toolResult("r", "c"),
      RF,
    ],
  },
  {
    name: "a reasoning span and a reasoning message sharing one id",
    events: [
      RS,
      spanStart("r"),
      thinkStart("r"),
      thinkContent("r"),
      thinkEnd("r"),
      spanEnd("r"),
      RF,
    ],
  },
  {
    name: "parent and subagent each holding a step of the same name",
    events: [
      RS,
      subStart("s1"),
      stepStart("tools"),
      stepStart("tools", "s1"),
      stepEnd("tools", "s1"),
      stepEnd("tools"),
      subFinish("s1"),
      RF,
    ],
  },
  {
    name: "a nested subagent and tagged work",
    events: [
      RS,
      subStart("s1"),
      subStart("s2", { parentSubagentRunId: "s1" }),
      textStart("m", "s2"),
      textContent("m", "s2"),
      textContent("m"),
      textEnd("m", "s2"),
      subError("s2"),
      subFinish("s1", { outcome: { type: "suspended", interruptIds: ["i"] } }),
      RF,
    ],
  },
  {
    name: "a subagent's parent that has already finished",
    events: [RS, subStart("s1"), subFinish("s1"), subStart("s2", { parentSubagentRunId: "s1" })],
  },
  {
    name: "an untagged reopen of a subagent-owned message",
    events: [RS, textStart("m", "s1"), textEnd("m"), textStart("m"), textContent("m", "s1")],
  },
  {
    name: "an encrypted value for a closed tool call by its owner",
    events: [RS, toolStart("c", "s1"), toolEnd("c"), encrypted("tool-call", "c", "s1")],
  },
  {
    name: "an encrypted value for a reasoning message by its owner",
    events: [RS, thinkStart("r", "s1"), encrypted("message", "r", "s1")],
  },
  {
    name: "a replacing activity snapshot re-owning the activity",
    events: [RS, activity("a", "s1"), activity("a", "s2"), activityDelta("a", "s2")],
  },
  {
    name: "chunks, state, custom and raw events, untracked",
    events: [
      RS,
      ev("TEXT_MESSAGE_CHUNK", { messageId: "m", delta: "hi" }),
      ev("TOOL_CALL_CHUNK", { toolCallId: "c", toolCallName: "f", delta: "{" }),
      ev("REASONING_MESSAGE_CHUNK", { delta: "hm" }),
      ev("STATE_DELTA", { delta: [] }),
      ev("STATE_SNAPSHOT", { snapshot: {} }),
      ev("CUSTOM", { name: "n", value: 1 }),
      ev("RAW", { event: {} }),
      RF,
    ],
  },
  {
    name: "ids that are Object.prototype keys",
    events: [
      RS,
      textStart("__proto__", "s1"),
      textStart("toString"),
      toolStart("constructor"),
      textContent("__proto__", "s1"),
      textEnd("__proto__"),
      textEnd("toString"),
      toolEnd("constructor"),
      RF,
    ],
  },
  {
    name: "a snapshot re-owning a message for a later reopen",
    events: [
      RS,
      textStart("m", "s1"),
      textEnd("m"),
      snapshot([message("m", "assistant", "s2")]),
      textStart("m", "s2"),
    ],
  },
];

const refused: Case[] = [
  {
    name: "a first event other than RUN_STARTED or RUN_ERROR",
    events: [textStart("m")],
    rejects: 0,
  },
  { name: "a second RUN_STARTED while the run is active", events: [RS, RS], rejects: 1 },
  { name: "a RUN_STARTED after RUN_FINISHED", events: [RS, RF, RS], rejects: 2, runlineOnly: true },
  {
    name: "a RUN_ERROR after RUN_FINISHED",
    events: [RS, RF, runError()],
    rejects: 2,
    runlineOnly: true,
  },
  {
    name: "a RUN_STARTED after RUN_ERROR",
    events: [RS, runError(), RS],
    rejects: 2,
    runlineOnly: true,
  },
  {
    name: "any event after RUN_FINISHED",
    events: [RS, RF, ev("CUSTOM", { name: "n" })],
    rejects: 2,
  },
  { name: "any event after RUN_ERROR", events: [runError(), textStart("m")], rejects: 1 },
  {
    name: "a 'subagentRunId: null' tag",
    events: [RS, ev("CUSTOM", { name: "n" }, null)],
    rejects: 1,
  },
  {
    name: "a null-tagged chunk",
    events: [RS, ev("TEXT_MESSAGE_CHUNK", { delta: "x" }, null)],
    rejects: 1,
  },
  {
    name: "a text message started twice",
    events: [RS, textStart("m"), textStart("m")],
    rejects: 2,
  },
  { name: "text content without a start", events: [RS, textContent("m")], rejects: 1 },
  {
    name: "a text end after the message ended",
    events: [RS, textStart("m"), textEnd("m"), textEnd("m")],
    rejects: 3,
  },
  {
    name: "a tagged continuation of a parent-owned message",
    events: [RS, textStart("m"), textContent("m", "s1")],
    rejects: 2,
  },
  {
    name: "a message reopened by another owner",
    events: [RS, textStart("m", "s1"), textEnd("m"), textStart("m", "s2")],
    rejects: 3,
  },
  {
    name: "the empty subagent id continuing a parent message",
    events: [RS, textStart("m"), textEnd("m", "")],
    rejects: 2,
  },
  { name: "a tool call started twice", events: [RS, toolStart("c"), toolStart("c")], rejects: 2 },
  { name: "tool args without a start", events: [RS, toolArgs("c")], rejects: 1 },
  { name: "a tool end without a start", events: [RS, toolEnd("c")], rejects: 1 },
  {
    name: "a tool end by another owner",
    events: [RS, toolStart("c", "s1"), toolEnd("c", "s2")],
    rejects: 2,
  },
  {
    name: "a tool call tagged against its parent message's owner",
    events: [RS, textStart("m", "s1"), toolStart("c", "s2", "m")],
    rejects: 2,
  },
  {
    name: "an untagged tool call reopened under a differently-owned parent",
    events: [
      RS,
      textStart("m1", "s1"),
      textStart("m2"),
      toolStart("c", undefined, "m1"),
      toolEnd("c"),
      toolStart("c", undefined, "m2"),
    ],
    rejects: 5,
  },
  {
    name: "a tool call inheriting its owner then continued by another",
    events: [RS, textStart("m", "s1"), toolStart("c", undefined, "m"), toolArgs("c", "s2")],
    rejects: 3,
  },
  {
    name: "a message re-owned by a tool result then continued by its old owner",
    events: [RS, textStart("m", "s1"), toolResult("m", "c"), textEnd("m", "s1")],
    rejects: 3,
  },
  {
    name: "a step started twice by one owner",
    events: [RS, stepStart("x"), stepStart("x")],
    rejects: 2,
  },
  { name: "a step finished that was not started", events: [RS, stepEnd("x")], rejects: 1 },
  {
    name: "a parent step finished under a subagent's tag",
    events: [RS, stepStart("x"), stepEnd("x", "s1")],
    rejects: 2,
  },
  {
    name: "a parent step finished by the empty subagent id",
    events: [RS, stepStart("x"), stepEnd("x", "")],
    rejects: 2,
  },
  {
    name: "a subagent's step finished untagged",
    events: [RS, stepStart("x", "s1"), stepEnd("x")],
    rejects: 2,
  },
  {
    name: "a reasoning span started twice",
    events: [RS, spanStart("r"), spanStart("r")],
    rejects: 2,
  },
  {
    name: "a reasoning end without a span",
    events: [RS, thinkStart("r"), spanEnd("r")],
    rejects: 2,
  },
  {
    name: "reasoning content inside a span but no message",
    events: [RS, spanStart("r"), thinkContent("r")],
    rejects: 2,
  },
  {
    name: "a reasoning message started twice",
    events: [RS, thinkStart("r"), thinkStart("r")],
    rejects: 2,
  },
  {
    name: "a reasoning message end after it ended",
    events: [RS, thinkStart("r"), thinkEnd("r"), thinkEnd("r")],
    rejects: 3,
  },
  {
    name: "a reasoning message opened by another owner than its span",
    events: [RS, spanStart("r", "s1"), thinkStart("r", "s2")],
    rejects: 2,
  },
  {
    name: "an encrypted tool-call value by another owner",
    events: [RS, toolStart("c", "s1"), toolEnd("c"), encrypted("tool-call", "c", "s2")],
    rejects: 3,
  },
  {
    name: "an encrypted message value on another's reasoning message",
    events: [RS, thinkStart("r", "s1"), encrypted("message", "r", "s2")],
    rejects: 2,
  },
  {
    name: "an activity delta by another owner",
    events: [RS, activity("a", "s1"), activityDelta("a", "s2")],
    rejects: 2,
  },
  {
    name: "a non-replacing snapshot not re-owning the activity",
    events: [RS, activity("a", "s1"), activity("a", "s2", false), activityDelta("a", "s2")],
    rejects: 3,
  },
  { name: "a subagent started twice", events: [RS, subStart("s1"), subStart("s1")], rejects: 2 },
  {
    name: "a subagent id reused after it finished",
    events: [RS, subStart("s1"), subFinish("s1"), subStart("s1")],
    rejects: 3,
  },
  {
    name: "a subagent with an unknown parent",
    events: [RS, subStart("s2", { parentSubagentRunId: "s1" })],
    rejects: 1,
  },
  { name: "a subagent finished that never started", events: [RS, subFinish("s1")], rejects: 1 },
  {
    name: "a subagent errored twice",
    events: [RS, subStart("s1"), subError("s1"), subError("s1")],
    rejects: 3,
  },
  {
    name: "a subagent start without a name",
    events: [RS, ev("SUBAGENT_STARTED", { subagentRunId: "s1" })],
    rejects: 1,
  },
  {
    name: "a subagent error without a message",
    events: [RS, subStart("s1"), subError("s1", {})],
    rejects: 2,
  },
  {
    name: "a subagent start with a null optional field",
    events: [RS, subStart("s1", { description: null })],
    rejects: 1,
  },
  {
    name: "a subagent finish with a null outcome",
    events: [RS, subStart("s1"), subFinish("s1", { outcome: null })],
    rejects: 2,
  },
  {
    name: "a subagent finish with an unknown outcome type",
    events: [RS, subStart("s1"), subFinish("s1", { outcome: { type: "done" } })],
    rejects: 2,
  },
  {
    name: "a subagent outcome with null interruptIds",
    events: [
      RS,
      subStart("s1"),
      subFinish("s1", { outcome: { type: "suspended", interruptIds: null } }),
    ],
    rejects: 2,
  },
  {
    name: "a subagent outcome with a non-string interrupt id",
    events: [
      RS,
      subStart("s1"),
      subFinish("s1", { outcome: { type: "suspended", interruptIds: [1] } }),
    ],
    rejects: 2,
  },
  {
    name: "a snapshot message with a null tag",
    events: [RS, snapshot([message("m", "user", null)])],
    rejects: 1,
  },
  {
    name: "an input message with a null tag",
    events: [runStarted(withInput([message("m", "user", null)]))],
    rejects: 0,
  },
  {
    name: "a reopen disagreeing with the RUN_STARTED input echo",
    events: [runStarted(withInput([message("m", "assistant", "s1")])), textStart("m", "s2")],
    rejects: 1,
  },
  {
    name: "a tool call disagreeing with its snapshot owner",
    events: [RS, snapshot([message("m", "assistant", "s1", ["c"])]), toolStart("c", "s2")],
    rejects: 2,
  },
  {
    name: "a reasoning message disagreeing with its snapshot owner",
    events: [RS, snapshot([message("r", "reasoning", "s1")]), thinkStart("r", "s2")],
    rejects: 2,
  },
  { name: "RUN_FINISHED with a step open", events: [RS, stepStart("x"), RF], rejects: 2 },
  { name: "RUN_FINISHED with a text message open", events: [RS, textStart("m"), RF], rejects: 2 },
  {
    name: "RUN_FINISHED with a reasoning message open",
    events: [RS, thinkStart("r"), RF],
    rejects: 2,
  },
  { name: "RUN_FINISHED with a reasoning span open", events: [RS, spanStart("r"), RF], rejects: 2 },
  { name: "RUN_FINISHED with a tool call open", events: [RS, toolStart("c"), RF], rejects: 2 },
  { name: "RUN_FINISHED with a subagent active", events: [RS, subStart("s1"), RF], rejects: 2 },
  {
    name: "RUN_FINISHED with a null-tagged interrupt",
    events: [
      RS,
      runFinished({
        outcome: { type: "interrupt", interrupts: [{ id: "i", reason: "r", subagentRunId: null }] },
      }),
    ],
    rejects: 1,
  },
];

describe("advanceSequence on hand-written sequences", () => {
  for (const c of [...accepted, ...refused]) {
    const verdict = c.rejects === undefined ? "accepts" : `refuses at ${c.rejects}`;
    test(`${verdict}: ${c.name}`, () => {
      const result = advance(fresh(), c.events);
      if (c.rejects === undefined) {
        assert.ok(result.ok, result.ok ? "" : `refused at ${result.index}: ${result.message}`);
      } else {
        assert.ok(!result.ok, "accepted");
        assert.equal(result.index, c.rejects, result.message);
      }
      // The same verdict, one event per append.
      assert.deepEqual(
        feed(
          c.events,
          c.events.map((_, i) => i),
        ).ok,
        result.ok,
      );
      // And the same verdict as verifyEvents, unless Runline's one-run rule decides.
      if (!c.runlineOnly) {
        const reference = verifyRejection(c.events);
        assert.equal(reference?.index, result.ok ? undefined : result.index);
        if (reference && !result.ok)
          assert.equal(comparable(result.message), comparable(reference.message));
      }
    });
  }
});

describe("run status and open tool calls", () => {
  test("hasRunStarted is false before RUN_STARTED and true after it", () => {
    assert.equal(hasRunStarted(initialSequenceState()), false);
    const started = advance(fresh(), [RS]);
    assert.ok(started.ok);
    assert.equal(hasRunStarted(started.state), true);
    const finished = advance(started, [RF]);
    assert.ok(finished.ok);
    assert.equal(hasRunStarted(finished.state), true);
  });

  test("hasRunStarted stays false for a log that opened with RUN_ERROR", () => {
    const result = advance(fresh(), [runError()]);
    assert.ok(result.ok);
    assert.equal(hasRunStarted(result.state), false);
  });

  test("openToolCallIds lists started tool calls until they end", () => {
    const result = advance(fresh(), [RS, toolStart("a"), toolStart("b"), toolEnd("a")]);
    assert.ok(result.ok);
    assert.deepEqual(openToolCallIds(result.state), ["b"]);
  });

  test("advanceSequence leaves its input state untouched, even on refusal", () => {
    const before = advance(fresh(), [RS, textStart("m")]);
    assert.ok(before.ok);
    const snapshotText = JSON.stringify(before.state);
    deepFreeze(before.state);
    assert.ok(advance(before, [textEnd("m"), stepStart("x")]).ok);
    assert.ok(!advance(before, [textEnd("m"), textEnd("m")]).ok);
    assert.equal(JSON.stringify(before.state), snapshotText);
  });

  test("an empty batch is accepted and changes nothing", () => {
    const result = advanceSequence(initialSequenceState(), [], []);
    assert.ok(result.ok);
    assert.deepEqual(result.state, initialSequenceState());
    assert.deepEqual(result.owners, []);
  });
});

describe("closingEvents on hand-written states", () => {
  const stateAfter = (events: AguiEvent[]): Stored => {
    const result = advance(fresh(), events);
    assert.ok(result.ok, result.ok ? "" : result.message);
    return result;
  };

  test("closingEvents closes innermost first and copies the openers' identifying fields", () => {
    const state = stateAfter([
      RS,
      subStart("s1"),
      stepStart("plan", "s1"),
      spanStart("r", "s1"),
      thinkStart("r", "s1"),
      textStart("m", "s1", { contentId: "c-1" }),
      toolStart("c", "s1", "m"),
    ]);
    assert.deepEqual(closersOf(state), [
      { type: "TOOL_CALL_END", toolCallId: "c", subagentRunId: "s1" },
      { type: "TEXT_MESSAGE_END", messageId: "m", subagentRunId: "s1", contentId: "c-1" },
      { type: "REASONING_MESSAGE_END", messageId: "r", subagentRunId: "s1" },
      { type: "REASONING_END", messageId: "r", subagentRunId: "s1" },
      { type: "STEP_FINISHED", stepName: "plan", subagentRunId: "s1" },
      { type: "SUBAGENT_FINISHED", subagentRunId: "s1" },
    ]);
  });

  test("closingEvents drops an opener's tag once the entity was re-owned", () => {
    const state = stateAfter([RS, textStart("m", "s1"), toolResult("m", "c")]);
    const closers = closersOf(state);
    assert.deepEqual(closers, [{ type: "TEXT_MESSAGE_END", messageId: "m" }]);
    assert.equal(
      verifyRejection([RS, textStart("m", "s1"), toolResult("m", "c"), ...closers, RF]),
      undefined,
    );
  });

  test("closingEvents is empty before the run and after it ended", () => {
    assert.deepEqual(closersOf(fresh()), []);
    assert.deepEqual(closersOf(stateAfter([RS, textStart("m"), runError()])), []);
  });
});

// ---------------------------------------------------------------------------------------------
// 2 and 3. Properties against verifyEvents

const ID = fc.constantFrom("a", "b", "__proto__");
const STEP = fc.constantFrom("x", "y");
const SUBAGENT = fc.constantFrom("s1", "s2", "");
/** Mostly untagged or tagged with a small set of ids; rarely the refused `null`. */
const TAG: fc.Arbitrary<Tag> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(undefined) },
  { weight: 10, arbitrary: SUBAGENT },
  { weight: 1, arbitrary: fc.constant(null) },
);
const MAYBE = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

const MESSAGE_ARB = fc
  .tuple(
    ID,
    fc.constantFrom("assistant", "user", "reasoning", "activity"),
    TAG,
    fc.subarray(["a", "b"]),
  )
  .map(([id, role, tag, calls]) => message(id, role, tag, calls));
const MESSAGES_ARB = fc.array(MESSAGE_ARB, { maxLength: 3 });

const OUTCOME_ARB = fc.constantFrom<unknown>(
  undefined,
  { type: "success" },
  { type: "suspended", interruptIds: ["i"] },
  { type: "suspended", interruptIds: null },
  { type: "weird" },
);

/** One event from a small alphabet of ids: some valid next steps, some not. */
const EVENT_ARB: fc.Arbitrary<AguiEvent> = fc.oneof(
  { weight: 1, arbitrary: MESSAGES_ARB.map((ms) => runStarted(withInput(ms))) },
  { weight: 2, arbitrary: fc.constant(RF) },
  { weight: 1, arbitrary: fc.constant(runError()) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(ID, TAG, fc.boolean())
      .map(([id, tag, hasContentId]) =>
        textStart(id, tag, hasContentId ? { contentId: `c-${id}` } : {}),
      ),
  },
  { weight: 5, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => textContent(id, tag)) },
  { weight: 5, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => textEnd(id, tag)) },
  {
    weight: 6,
    arbitrary: fc.tuple(ID, TAG, MAYBE(ID)).map(([id, tag, parent]) => toolStart(id, tag, parent)),
  },
  { weight: 4, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => toolArgs(id, tag)) },
  { weight: 5, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => toolEnd(id, tag)) },
  { weight: 2, arbitrary: fc.tuple(ID, ID, TAG).map(([m, c, tag]) => toolResult(m, c, tag)) },
  { weight: 5, arbitrary: fc.tuple(STEP, TAG).map(([name, tag]) => stepStart(name, tag)) },
  { weight: 5, arbitrary: fc.tuple(STEP, TAG).map(([name, tag]) => stepEnd(name, tag)) },
  { weight: 4, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => spanStart(id, tag)) },
  { weight: 4, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => spanEnd(id, tag)) },
  { weight: 4, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => thinkStart(id, tag)) },
  { weight: 3, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => thinkContent(id, tag)) },
  { weight: 4, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => thinkEnd(id, tag)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom("tool-call", "message"), ID, TAG)
      .map(([subtype, id, tag]) => encrypted(subtype, id, tag)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(ID, TAG, MAYBE(fc.boolean()))
      .map(([id, tag, replace]) => activity(id, tag, replace)),
  },
  { weight: 3, arbitrary: fc.tuple(ID, TAG).map(([id, tag]) => activityDelta(id, tag)) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(SUBAGENT, MAYBE(SUBAGENT), fc.boolean())
      .map(([id, parent, nullDescription]) =>
        subStart(id, {
          ...(parent !== undefined && { parentSubagentRunId: parent }),
          ...(nullDescription && { description: null }),
        }),
      ),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(SUBAGENT, OUTCOME_ARB)
      .map(([id, outcome]) => subFinish(id, outcome === undefined ? {} : { outcome })),
  },
  { weight: 1, arbitrary: SUBAGENT.map((id) => subError(id)) },
  { weight: 1, arbitrary: MESSAGES_ARB.map((ms) => snapshot(ms)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(MAYBE(ID), TAG)
      .map(([id, tag]) =>
        ev("TEXT_MESSAGE_CHUNK", { ...(id !== undefined && { messageId: id }), delta: "x" }, tag),
      ),
  },
  { weight: 1, arbitrary: TAG.map((tag) => ev("CUSTOM", { name: "n", value: 1 }, tag)) },
);

/** Mostly runs opened properly, sometimes anything at all. */
const SEQUENCE_ARB = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.array(EVENT_ARB, { maxLength: 30, size: "max" }).map((es) => [RS, ...es]),
  },
  { weight: 1, arbitrary: fc.array(EVENT_ARB, { maxLength: 10 }) },
);
/** Long enough for the valid log built from them to reach deep states. */
const CANDIDATES_ARB = fc
  .array(EVENT_ARB, { minLength: 20, maxLength: 60, size: "max" })
  .map((es) => [RS, ...es]);
const CUTS_ARB = fc.array(fc.nat({ max: 60 }), { maxLength: 6 });

describe("agreement with verifyEvents", () => {
  test("the tracker refuses a random sequence iff verifyEvents (one run per log) does, at the same index, however it is split into appends", () => {
    fc.assert(
      fc.property(SEQUENCE_ARB, CUTS_ARB, (events, cuts) => {
        const expected = expectedRejection(events);
        const actual = feed(events, cuts);
        if (expected === undefined) {
          assert.ok(actual.ok, actual.ok ? "" : `refused at ${actual.index}: ${actual.message}`);
          return;
        }
        assert.ok(
          !actual.ok,
          `accepted; verifyEvents refused at ${expected.index}: ${expected.message}`,
        );
        assert.equal(actual.index, expected.index, actual.message);
        if (!expected.runline)
          assert.equal(comparable(actual.message), comparable(expected.message));
      }),
      { numRuns: 300 },
    );
  });

  test("at every point of a valid log the tracker accepts exactly the next events verifyEvents accepts", () => {
    fc.assert(
      fc.property(CANDIDATES_ARB, CUTS_ARB, (candidates, cuts) => {
        // Each candidate is tried against the log so far and kept when accepted, so the states
        // probed lie deep inside a run rather than at its first mistake.
        const log: AguiEvent[] = [];
        let state = fresh();
        for (const candidate of candidates) {
          const expected = expectedRejection([...log, candidate]);
          const actual = advance(state, [candidate]);
          if (expected === undefined) {
            assert.ok(actual.ok, actual.ok ? "" : actual.message);
            log.push(candidate);
            state = actual;
            continue;
          }
          assert.equal(expected.index, log.length, "verifyEvents accepts the log so far");
          assert.ok(!actual.ok, `accepted; verifyEvents refused: ${expected.message}`);
          if (!expected.runline)
            assert.equal(comparable(actual.message), comparable(expected.message));
        }
        // The valid log, however it is split into appends, is accepted to the same state.
        const fed = feed(log, cuts);
        assert.ok(fed.ok, fed.ok ? "" : fed.message);
        assert.deepEqual(fed.state, state.state);
        assert.deepEqual(fed.owners, state.owners, "the same owner records, however split");
      }),
      { numRuns: 300 },
    );
  });

  test("a valid log, its closingEvents and a RUN_FINISHED pass verifyEvents, and closers carry no null or undefined fields", () => {
    let withOpenItems = 0;
    fc.assert(
      fc.property(CANDIDATES_ARB, (raw) => {
        const { log, run } = validSubsequence(raw.filter((e) => !isTerminal(e)));
        assert.equal(verifyRejection(log), undefined, "the log itself is valid");
        const closers = closersOf(run);
        if (closers.length > 0) withOpenItems += 1;
        for (const closer of closers) {
          for (const [field, value] of Object.entries(closer)) {
            assert.ok(value !== null && value !== undefined, `${closer.type}.${field} is ${value}`);
          }
        }
        const end = [...closers, RF];
        const reference = verifyRejection([...log, ...end]);
        assert.equal(reference, undefined, reference?.message);
        assert.ok(advance(run, end).ok, "the tracker accepts the closers and RUN_FINISHED");
      }),
      { numRuns: 300 },
    );
    assert.ok(withOpenItems > 100, `only ${withOpenItems} of 300 states had anything open`);
  });

  test("leaving out any one closing event gets RUN_FINISHED refused, as verifyEvents refuses it", () => {
    fc.assert(
      fc.property(CANDIDATES_ARB, fc.nat(), (raw, pick) => {
        const { log, run } = validSubsequence(raw.filter((e) => !isTerminal(e)));
        const closers = closersOf(run);
        fc.pre(closers.length > 0);
        const skipped = pick % closers.length;
        const end = [...closers.filter((_, i) => i !== skipped), RF];
        const reference = verifyRejection([...log, ...end]);
        const actual = advance(run, end);
        assert.equal(
          reference?.index,
          log.length + end.length - 1,
          "verifyEvents refuses RUN_FINISHED",
        );
        assert.ok(!actual.ok, "the tracker accepted RUN_FINISHED");
        assert.equal(actual.index, end.length - 1);
        assert.equal(comparable(actual.message), comparable(reference?.message ?? ""));
      }),
      { numRuns: 300 },
    );
  });
});
