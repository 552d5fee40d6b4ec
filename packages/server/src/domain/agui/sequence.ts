/**
 * Incremental AG-UI sequence checking for a run's append-only event log.
 *
 * Before a batch is appended, Runline must refuse exactly what `verifyEvents` from
 * `@ag-ui/client` would refuse among the new events, given everything already in the log.
 * Replaying the log on every append is too slow, so the verifier's state is kept as a small,
 * JSON-serialisable {@link SequenceState} (stored with the run) and advanced one accepted batch
 * at a time by {@link advanceSequence}. {@link closingEvents} lists what the server must write to
 * close whatever is still open before it ends a run itself.
 *
 * The state holds only what is open, so its size does not grow with the run's history. Who owns
 * each message / tool-call / activity / reasoning id is remembered for the whole run, though (a
 * reopen or a late continuation must agree with the first owner): those {@link OwnerRecord}s are
 * kept apart (the stores' `run_owners` table). A batch is checked against the records of just
 * the ids it mentions ({@link mentionedIds}), and returns the records it changed.
 *
 * The rules mirror `verifyEvents` (`@ag-ui/client`, `src/verify/verify.ts`) one for one, and so
 * do the error texts (except where a rule below differs), with these deliberate differences:
 *
 * - One run per log. `verifyEvents` lets a stream start a new run after RUN_FINISHED / RUN_ERROR
 *   and take a RUN_ERROR after RUN_FINISHED; a Runline log holds exactly one run, so once the run
 *   has ended nothing more is accepted, and a second RUN_STARTED is always refused.
 * - Chunk events (TEXT_MESSAGE_CHUNK, TOOL_CALL_CHUNK, REASONING_MESSAGE_CHUNK) are accepted
 *   without being tracked. The client runs `verifyEvents` after `transformChunks`, which expands
 *   chunks into START / CONTENT / END events and closes a chunk-opened stream by itself when the
 *   next unrelated event or the run's end arrives. Modelling that exactly needs the transform's
 *   per-lane state as well; it is not attempted. Chunks still go through the checks every event
 *   goes through (run phase, `subagentRunId: null`), and `verifyEvents` applied to the raw stream
 *   treats them the same way. A chunk-opened stream needs no closing event: the transform closes
 *   it before the run's terminal event.
 * - Events are assumed to have passed the `@ag-ui/core` schemas: ids are strings and tags are
 *   strings or absent. The verifier's own null checks, which exist for in-process producers that
 *   bypass the schemas, are mirrored anyway.
 */
import { EventType } from "@ag-ui/core";
import { STREAM_KINDS, type StreamKind, streamEventOf } from "./stream-kinds.ts";
import type { AguiEvent } from "./types.ts";

/** Where the run stands: before its first event, between RUN_STARTED and its end, or ended. */
export type RunPhase = "new" | "running" | "finished" | "errored";

/**
 * Who owns an entity: the opener's `subagentRunId`, or `false` for the parent agent (an untagged
 * opener). Not `undefined` (JSON has none) and not `""`, which is a legal subagent id.
 */
export type OwnerTag = string | false;

/** Owner kinds: an id is only unique within its kind. */
export type OwnerKind = "message" | "toolCall" | "activity" | "reasoning";

/** The recorded owner of one entity id of one kind. */
export interface OwnerRecord {
  readonly kind: OwnerKind;
  readonly id: string;
  readonly owner: OwnerTag;
}

/** An open text message, tool call, reasoning message or reasoning span, as the state keeps it. */
export interface OpenStream {
  readonly id: string;
  /** The opener's own `subagentRunId`, when it carried one. */
  readonly subagentRunId?: string;
  /** The opener's `contentId`, when it carried one (copied onto the closing event). */
  readonly contentId?: string;
}

/** An open step. Steps are keyed by owner and name: a subagent may reuse its parent's names. */
export interface OpenStep {
  readonly stepName: string;
  /** Absent for the parent agent's steps. */
  readonly subagentRunId?: string;
}

/** Everything currently open, each list in opening order. */
export interface OpenEntities {
  readonly textMessages: readonly OpenStream[];
  readonly toolCalls: readonly OpenStream[];
  readonly reasoningMessages: readonly OpenStream[];
  readonly reasoningSpans: readonly OpenStream[];
  readonly steps: readonly OpenStep[];
  /** `subagentRunId`s of subagents started and not yet finished or errored. */
  readonly subagents: readonly string[];
}

/**
 * What `verifyEvents` remembers about a run, as plain JSON (objects, arrays, strings, booleans),
 * apart from entity owners (see the module comment). Once the run has ended nothing can follow,
 * so everything but the phase is dropped.
 */
export interface SequenceState {
  readonly phase: RunPhase;
  /** A RUN_STARTED has been accepted (a log may also begin, and end, with RUN_ERROR). */
  readonly runStarted: boolean;
  readonly open: OpenEntities;
  /**
   * Subagents that finished or errored: their ids cannot be started again in this run. (Bounded
   * by the subagents a run starts, which are few next to its messages and tool calls.)
   */
  readonly closedSubagents: readonly string[];
}

export type SequenceResult =
  /** `owners`: the records the batch created or changed (final values), to be stored. */
  | { ok: true; state: SequenceState; owners: OwnerRecord[] }
  | { ok: false; index: number; message: string };

/** The state's list of each stream kind's open streams (the stored JSON's keys: do not rename). */
type OpenStreamList = "textMessages" | "toolCalls" | "reasoningMessages" | "reasoningSpans";

const OPEN_LIST: Readonly<Record<StreamKind, OpenStreamList>> = {
  text: "textMessages",
  tool: "toolCalls",
  reasoning: "reasoningMessages",
  reasoningSpan: "reasoningSpans",
};

const OWNER_KINDS: readonly OwnerKind[] = ["message", "toolCall", "activity", "reasoning"];

/** A kind's owners as far as this batch knows them; `changed` lists the ids it set. */
class OwnerMap {
  private readonly owners = new Map<string, OwnerTag>();
  readonly changed = new Set<string>();
  get(id: string): OwnerTag | undefined {
    return this.owners.get(id);
  }
  has(id: string): boolean {
    return this.owners.has(id);
  }
  /** A record read from storage. */
  load(id: string, owner: OwnerTag): void {
    this.owners.set(id, owner);
  }
  set(id: string, owner: OwnerTag): void {
    this.owners.set(id, owner);
    this.changed.add(id);
  }
}

/** The mutable working copy `advanceSequence` folds events into. */
interface Tracker {
  phase: RunPhase;
  runStarted: boolean;
  open: { [K in OpenStreamList]: OpenStream[] } & { steps: OpenStep[]; subagents: string[] };
  closedSubagents: string[];
  owners: Record<OwnerKind, OwnerMap>;
}

/** An error message, or `undefined` when the event is accepted. */
type Verdict = string | undefined;

const PARENT_LABEL = "(the parent agent)";

export function initialSequenceState(): SequenceState {
  return toState(emptyTracker("new", false));
}

/**
 * Pure: never mutates `state`; returns the state after all `events` or the first violation.
 * `owners` must hold the stored records of the ids in `mentionedIds(events)` (of every kind);
 * records of other ids may be present and are ignored.
 */
export function advanceSequence(
  state: SequenceState,
  events: readonly AguiEvent[],
  owners: readonly OwnerRecord[],
): SequenceResult {
  const tracker = toTracker(state, owners);
  for (const [index, event] of events.entries()) {
    const message =
      runPhaseError(tracker, event.type) ?? nullFieldError(event) ?? applyEvent(tracker, event);
    if (message !== undefined) return { ok: false, index, message };
  }
  return { ok: true, state: toState(tracker), owners: changedOwners(tracker) };
}

/**
 * Every entity id whose owner `events` may read: ids named by the events' id fields and by the
 * messages they replay. Events come from the schemas, but anything non-string is skipped.
 */
export function mentionedIds(events: readonly AguiEvent[]): string[] {
  const ids = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === "string") ids.add(value);
  };
  const addMessages = (messages: unknown) => {
    if (!Array.isArray(messages)) return;
    for (const msg of messages) {
      add(fieldOf(msg, "id"));
      const calls = fieldOf(msg, "toolCalls");
      if (Array.isArray(calls)) for (const call of calls) add(fieldOf(call, "id"));
    }
  };
  for (const event of events) {
    add(event.messageId);
    add(event.toolCallId);
    add(event.parentMessageId);
    add(event.entityId);
    if (event.type === EventType.RUN_STARTED) addMessages(fieldOf(event.input, "messages"));
    if (event.type === EventType.MESSAGES_SNAPSHOT) addMessages(event.messages);
  }
  return [...ids];
}

/** Ids of open streams: `closingEvents` needs their owners' records. */
export function openStreamIds(state: SequenceState): string[] {
  const lists = Object.values(OPEN_LIST).map((list) => state.open[list]);
  return [...new Set(lists.flatMap((streams) => streams.map((s) => s.id)))];
}

/** True once a RUN_STARTED has been accepted. */
export function hasRunStarted(state: SequenceState): boolean {
  return state.runStarted;
}

/**
 * The events that close everything still open, in a valid order, so that a terminal event
 * (RUN_FINISHED / RUN_ERROR) can follow and the whole log still passes verifyEvents:
 * TOOL_CALL_END for open tool calls, TEXT_MESSAGE_END for open text messages,
 * REASONING_MESSAGE_END / REASONING_END for open reasoning, STEP_FINISHED for open steps,
 * SUBAGENT_FINISHED for active subagents. Each closing event copies the identifying fields
 * of its start event (messageId / toolCallId / stepName / subagentRunId, and `contentId`
 * when the start event had one) and carries NO null or undefined-valued fields.
 *
 * Innermost first (latest opened first within each kind). A stream's closer repeats its
 * opener's `subagentRunId` only while that still names the entity's owner: TOOL_CALL_RESULT and
 * MESSAGES_SNAPSHOT can re-own an open entity, and a disagreeing tag would be refused, whereas an
 * absent tag never is.
 */
export function closingEvents(
  state: SequenceState,
  ownerRecords: readonly OwnerRecord[],
): AguiEvent[] {
  const { open } = state;
  const { owners } = toTracker(state, ownerRecords);
  return [
    ...CLOSING_ORDER.flatMap((spec) =>
      latestFirst(open[OPEN_LIST[spec.kind]]).map((s) =>
        streamCloser(spec, s, owners[spec.owners]),
      ),
    ),
    ...latestFirst(open.steps).map(
      ({ stepName, subagentRunId }): AguiEvent => ({
        type: EventType.STEP_FINISHED,
        stepName,
        ...(subagentRunId !== undefined && { subagentRunId }),
      }),
    ),
    ...latestFirst(open.subagents).map(
      (subagentRunId): AguiEvent => ({ type: EventType.SUBAGENT_FINISHED, subagentRunId }),
    ),
  ];
}

function streamCloser(spec: StreamSpec, stream: OpenStream, owners: OwnerMap): AguiEvent {
  const owner = owners.get(stream.id);
  const { subagentRunId, contentId } = stream;
  const { end, idField } = STREAM_KINDS[spec.kind];
  return {
    type: end,
    [idField]: stream.id,
    ...(subagentRunId !== undefined && subagentRunId === owner && { subagentRunId }),
    ...(contentId !== undefined && { contentId }),
  };
}

/** Ids of tool calls currently open (started, not ended). */
export function openToolCallIds(state: SequenceState): string[] {
  return state.open.toolCalls.map((s) => s.id);
}

// ---------------------------------------------------------------------------------------------
// State conversion

function emptyTracker(phase: RunPhase, runStarted: boolean): Tracker {
  return {
    phase,
    runStarted,
    open: {
      textMessages: [],
      toolCalls: [],
      reasoningMessages: [],
      reasoningSpans: [],
      steps: [],
      subagents: [],
    },
    closedSubagents: [],
    owners: {
      message: new OwnerMap(),
      toolCall: new OwnerMap(),
      activity: new OwnerMap(),
      reasoning: new OwnerMap(),
    },
  };
}

/**
 * A working copy of `state` with the given owner records. Open items are immutable, so copying
 * the lists is enough. (Maps, not objects: ids such as "__proto__" stay plain data.)
 */
function toTracker(state: SequenceState, owners: readonly OwnerRecord[]): Tracker {
  const { open } = state;
  const tracker: Tracker = {
    ...emptyTracker(state.phase, state.runStarted),
    open: {
      textMessages: [...open.textMessages],
      toolCalls: [...open.toolCalls],
      reasoningMessages: [...open.reasoningMessages],
      reasoningSpans: [...open.reasoningSpans],
      steps: [...open.steps],
      subagents: [...open.subagents],
    },
    closedSubagents: [...state.closedSubagents],
  };
  for (const { kind, id, owner } of owners) tracker.owners[kind].load(id, owner);
  return tracker;
}

/** The plain-JSON form of a working copy, which hands its lists over (it is not used again). */
function toState(t: Tracker): SequenceState {
  return {
    phase: t.phase,
    runStarted: t.runStarted,
    open: t.open,
    closedSubagents: t.closedSubagents,
  };
}

/** The owner records the batch set, with their final values. */
function changedOwners(t: Tracker): OwnerRecord[] {
  const records: OwnerRecord[] = [];
  for (const kind of OWNER_KINDS) {
    const owners = t.owners[kind];
    for (const id of owners.changed) {
      const owner = owners.get(id);
      if (owner !== undefined) records.push({ kind, id, owner });
    }
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Field access. Events passed the schemas, so ids are strings; the fallbacks only keep this total.

function idOf(event: AguiEvent, field: string): string {
  const value = event[field];
  return typeof value === "string" ? value : String(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The event's attribution tag (`null` was refused earlier). */
function tagOf(event: AguiEvent): string | undefined {
  return optionalString(event.subagentRunId);
}

function fieldOf(value: unknown, field: string): unknown {
  return typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[field]
    : undefined;
}

function ownerOf(tag: string | undefined): OwnerTag {
  return tag ?? false;
}

function ownerLabel(owner: OwnerTag): string {
  return owner === false ? PARENT_LABEL : owner;
}

function latestFirst<T>(items: readonly T[]): T[] {
  return [...items].reverse();
}

// ---------------------------------------------------------------------------------------------
// Checks every event goes through, before its type-specific rule

/** One run per log: the first event opens it, and nothing follows its end. */
function runPhaseError(t: Tracker, type: string): Verdict {
  switch (t.phase) {
    case "new":
      return type === EventType.RUN_STARTED || type === EventType.RUN_ERROR
        ? undefined
        : `First event must be 'RUN_STARTED'`;
    case "running":
      return type === EventType.RUN_STARTED
        ? `Cannot send 'RUN_STARTED' while a run is still active. A run's log holds exactly one 'RUN_STARTED'.`
        : undefined;
    case "finished":
      return `Cannot send event type '${type}': The run has already finished with 'RUN_FINISHED'. No further events can be sent.`;
    case "errored":
      return `Cannot send event type '${type}': The run has already errored with 'RUN_ERROR'. No further events can be sent.`;
  }
}

const LIFECYCLE_OPTIONALS: Readonly<Record<string, readonly string[]>> = {
  [EventType.SUBAGENT_STARTED]: [
    "description",
    "parentSubagentRunId",
    "parentToolCallId",
    "parentMessageId",
  ],
  [EventType.SUBAGENT_FINISHED]: ["outcome"],
  [EventType.SUBAGENT_ERROR]: ["code"],
};

/** Absent is the only spelling of an unset optional on the subagent surface; null is refused. */
function nullFieldError(event: AguiEvent): Verdict {
  const type = event.type;
  if (event.subagentRunId === null) {
    return `Cannot send '${type}' with 'subagentRunId: null'. The field is optional — omit it entirely.`;
  }
  const optionals = Object.hasOwn(LIFECYCLE_OPTIONALS, type)
    ? LIFECYCLE_OPTIONALS[type]
    : undefined;
  if (optionals !== undefined) {
    const nullField = optionals.find((field) => event[field] === null);
    if (nullField !== undefined) {
      return `Cannot send '${type}' with '${nullField}: null'. The field is optional — omit it entirely.`;
    }
    return subagentOutcomeError(type, event.outcome);
  }
  if (type === EventType.RUN_FINISHED) return interruptTagError(event.outcome);
  return undefined;
}

/** Any outcome present on a subagent lifecycle event must be a valid SubagentFinishedOutcome. */
function subagentOutcomeError(type: string, outcome: unknown): Verdict {
  if (outcome === undefined || outcome === null) return undefined;
  const outcomeType = fieldOf(outcome, "type");
  if (outcomeType !== "success" && outcomeType !== "suspended") {
    return `Cannot send '${type}' with outcome type '${String(outcomeType)}'. The outcome is either { type: "success" } or { type: "suspended" }.`;
  }
  const interruptIds = fieldOf(outcome, "interruptIds");
  if (interruptIds === null) {
    return `Cannot send '${type}' with 'outcome.interruptIds: null'. The field is optional — omit it entirely.`;
  }
  if (Array.isArray(interruptIds) && interruptIds.some((id) => typeof id !== "string")) {
    return `Cannot send '${type}' with a non-string entry in 'outcome.interruptIds'. Interrupt ids are strings.`;
  }
  return undefined;
}

function interruptTagError(outcome: unknown): Verdict {
  const interrupts = fieldOf(outcome, "interrupts");
  if (fieldOf(outcome, "type") !== "interrupt" || !Array.isArray(interrupts)) return undefined;
  const bad: unknown = interrupts.find((i) => fieldOf(i, "subagentRunId") === null);
  if (bad === undefined) return undefined;
  return `Cannot send 'RUN_FINISHED' with an interrupt (id '${String(fieldOf(bad, "id"))}') carrying 'subagentRunId: null'. The field is optional — omit it entirely.`;
}

// ---------------------------------------------------------------------------------------------
// Type-specific rules

function applyEvent(t: Tracker, event: AguiEvent): Verdict {
  const stream = streamEventOf(event.type);
  if (stream !== undefined) {
    const spec = STREAM_SPECS[stream.kind];
    if (stream.phase !== "start") return continueStream(t, event, spec);
    return stream.kind === "tool" ? startToolCall(t, event) : openStream(t, event, spec);
  }
  switch (event.type) {
    case EventType.TOOL_CALL_RESULT:
      return recordToolResult(t, event);
    case EventType.REASONING_ENCRYPTED_VALUE:
      return checkEncryptedValue(t, event);
    case EventType.ACTIVITY_SNAPSHOT:
      return recordActivity(t, event);
    case EventType.ACTIVITY_DELTA:
      return ownerMismatch(event, t.owners.activity, "activity", idOf(event, "messageId"));
    case EventType.STEP_STARTED:
      return startStep(t, event);
    case EventType.STEP_FINISHED:
      return finishStep(t, event);
    case EventType.SUBAGENT_STARTED:
      return startSubagent(t, event);
    case EventType.SUBAGENT_FINISHED:
    case EventType.SUBAGENT_ERROR:
      return endSubagent(t, event);
    case EventType.MESSAGES_SNAPSHOT:
      return seedOwners(t, event.messages, true);
    case EventType.RUN_STARTED:
      return startRun(t, event);
    case EventType.RUN_FINISHED:
      return finishRun(t);
    case EventType.RUN_ERROR:
      endRun(t, "errored");
      return undefined;
    default:
      // CUSTOM, RAW, STATE_SNAPSHOT, STATE_DELTA and the three chunk events (see the module
      // comment) carry no sequencing rule of their own.
      return undefined;
  }
}

/**
 * How one stream kind (its events: `stream-kinds.ts`) is owned and reported here. The error
 * texts are verifyEvents' own.
 */
interface StreamSpec {
  readonly kind: StreamKind;
  readonly owners: OwnerKind;
  /** Noun in ownership errors. */
  readonly noun: string;
  alreadyOpen(id: string): string;
  notOpen(type: string, id: string): string;
}

const TEXT: StreamSpec = {
  kind: "text",
  owners: "message",
  noun: "message",
  alreadyOpen: (id) =>
    `Cannot send 'TEXT_MESSAGE_START' event: A text message with ID '${id}' is already in progress. Complete it with 'TEXT_MESSAGE_END' first.`,
  notOpen: (type, id) =>
    type === EventType.TEXT_MESSAGE_END
      ? `Cannot send 'TEXT_MESSAGE_END' event: No active text message found with ID '${id}'. A 'TEXT_MESSAGE_START' event must be sent first.`
      : `Cannot send 'TEXT_MESSAGE_CONTENT' event: No active text message found with ID '${id}'. Start a text message with 'TEXT_MESSAGE_START' first.`,
};

const TOOL_CALL: StreamSpec = {
  kind: "tool",
  owners: "toolCall",
  noun: "tool call",
  alreadyOpen: (id) =>
    `Cannot send 'TOOL_CALL_START' event: A tool call with ID '${id}' is already in progress. Complete it with 'TOOL_CALL_END' first.`,
  notOpen: (type, id) =>
    type === EventType.TOOL_CALL_END
      ? `Cannot send 'TOOL_CALL_END' event: No active tool call found with ID '${id}'. A 'TOOL_CALL_START' event must be sent first.`
      : `Cannot send 'TOOL_CALL_ARGS' event: No active tool call found with ID '${id}'. Start a tool call with 'TOOL_CALL_START' first.`,
};

// A reasoning SPAN (REASONING_START .. REASONING_END) and a reasoning MESSAGE
// (REASONING_MESSAGE_START .. _END) are tracked separately (one id may name both), but share one
// owner map so a span and the message inside it cannot be claimed by different producers.
const REASONING_SPAN: StreamSpec = {
  kind: "reasoningSpan",
  owners: "reasoning",
  noun: "reasoning message",
  alreadyOpen: (id) =>
    `Cannot send 'REASONING_START' event: A reasoning span with ID '${id}' is already in progress. Complete it with 'REASONING_END' first.`,
  notOpen: (_type, id) =>
    `Cannot send 'REASONING_END' event: No active reasoning span found with ID '${id}'. A 'REASONING_START' event must be sent first.`,
};

const REASONING_MESSAGE: StreamSpec = {
  kind: "reasoning",
  owners: "reasoning",
  noun: "reasoning message",
  alreadyOpen: (id) =>
    `Cannot send 'REASONING_MESSAGE_START' event: A reasoning message with ID '${id}' is already in progress. Complete it with 'REASONING_MESSAGE_END' first.`,
  notOpen: (type, id) =>
    `Cannot send '${type}' event: No active reasoning message found with ID '${id}'. Start a reasoning message with 'REASONING_MESSAGE_START' first.`,
};

const STREAM_SPECS: Readonly<Record<StreamKind, StreamSpec>> = {
  text: TEXT,
  tool: TOOL_CALL,
  reasoning: REASONING_MESSAGE,
  reasoningSpan: REASONING_SPAN,
};

/** The order `closingEvents` closes streams in: tool calls inside their messages first. */
const CLOSING_ORDER: readonly StreamSpec[] = [TOOL_CALL, TEXT, REASONING_MESSAGE, REASONING_SPAN];

/**
 * A continuation or reopen must not DISAGREE with the entity's recorded owner. An absent tag
 * never disagrees; a tagged event on a parent-owned entity does.
 */
function ownerMismatch(event: AguiEvent, owners: OwnerMap, noun: string, id: string): Verdict {
  const tag = tagOf(event);
  const owner = owners.get(id);
  if (tag === undefined || owner === undefined || owner === tag) return undefined;
  return `Cannot send '${event.type}': subagentRunId '${tag}' does not match the ${noun} '${id}' opener's subagent '${ownerLabel(owner)}'.`;
}

function isOpen(t: Tracker, kind: StreamKind, id: string): boolean {
  return t.open[OPEN_LIST[kind]].some((s) => s.id === id);
}

function pushOpen(t: Tracker, kind: StreamKind, event: AguiEvent, id: string): void {
  const tag = tagOf(event);
  const contentId = optionalString(event.contentId);
  t.open[OPEN_LIST[kind]].push({
    id,
    ...(tag !== undefined && { subagentRunId: tag }),
    ...(contentId !== undefined && { contentId }),
  });
}

/** TEXT_MESSAGE_START, REASONING_START, REASONING_MESSAGE_START: first opener owns the id. */
function openStream(t: Tracker, event: AguiEvent, spec: StreamSpec): Verdict {
  const id = idOf(event, STREAM_KINDS[spec.kind].idField);
  if (isOpen(t, spec.kind, id)) return spec.alreadyOpen(id);
  const owners = t.owners[spec.owners];
  const mismatch = ownerMismatch(event, owners, spec.noun, id);
  if (mismatch !== undefined) return mismatch;
  pushOpen(t, spec.kind, event, id);
  // An untagged reopen agrees with any owner but must not hand the id back to the parent.
  if (!owners.has(id)) owners.set(id, ownerOf(tagOf(event)));
  return undefined;
}

/** Content and end events: the stream must be open and the tag must agree with its owner. */
function continueStream(t: Tracker, event: AguiEvent, spec: StreamSpec): Verdict {
  const { idField, end } = STREAM_KINDS[spec.kind];
  const id = idOf(event, idField);
  if (!isOpen(t, spec.kind, id)) return spec.notOpen(event.type, id);
  const mismatch = ownerMismatch(event, t.owners[spec.owners], spec.noun, id);
  if (mismatch !== undefined) return mismatch;
  if (event.type === end) {
    const list = OPEN_LIST[spec.kind];
    t.open[list] = t.open[list].filter((s) => s.id !== id);
  }
  return undefined;
}

/**
 * A tool call belongs to the message named by `parentMessageId`: an explicit tag must agree with
 * that message's owner, and an untagged call inherits it.
 */
function startToolCall(t: Tracker, event: AguiEvent): Verdict {
  const id = idOf(event, "toolCallId");
  if (isOpen(t, "tool", id)) return TOOL_CALL.alreadyOpen(id);
  const tag = tagOf(event);
  const parentMessageId = optionalString(event.parentMessageId);
  const inherited =
    parentMessageId === undefined ? undefined : t.owners.message.get(parentMessageId);
  if (inherited !== undefined && tag !== undefined && tag !== inherited) {
    return `Cannot send 'TOOL_CALL_START': subagentRunId '${tag}' does not match its parent message '${parentMessageId}' owner '${ownerLabel(inherited)}'. A tool call belongs to the message that carries it.`;
  }
  const existing = t.owners.toolCall.get(id);
  if (existing !== undefined) {
    const mismatch = ownerMismatch(event, t.owners.toolCall, TOOL_CALL.noun, id);
    if (mismatch !== undefined) return mismatch;
    // An untagged reopen's effective owner is the one it inherits from its parent message.
    if (tag === undefined && inherited !== undefined && inherited !== existing) {
      return `Cannot send 'TOOL_CALL_START': tool call '${id}' is owned by '${ownerLabel(existing)}' but its parent message '${parentMessageId}' is owned by '${ownerLabel(inherited)}'. A tool call belongs to the message that carries it.`;
    }
  }
  pushOpen(t, "tool", event, id);
  if (existing === undefined) t.owners.toolCall.set(id, tag ?? inherited ?? false);
  return undefined;
}

/** TOOL_CALL_RESULT mints a tool message; the newest mint owns its id (no first-writer rule). */
function recordToolResult(t: Tracker, event: AguiEvent): Verdict {
  const messageId = optionalString(event.messageId);
  if (messageId !== undefined) t.owners.message.set(messageId, ownerOf(tagOf(event)));
  return undefined;
}

/** REASONING_ENCRYPTED_VALUE opens and closes nothing; `subtype` says whose owner it answers to. */
function checkEncryptedValue(t: Tracker, event: AguiEvent): Verdict {
  const entityId = idOf(event, "entityId");
  const { owners } = t;
  switch (event.subtype) {
    case "tool-call":
      return ownerMismatch(event, owners.toolCall, "tool call", entityId);
    case "message": {
      // Ids are unique per kind, and a "message" value may belong to a text or reasoning message.
      const bucket = owners.message.has(entityId) ? owners.message : owners.reasoning;
      return ownerMismatch(event, bucket, "message", entityId);
    }
    default:
      return ownerMismatch(event, owners.reasoning, "reasoning message", entityId);
  }
}

/** A first or replacing activity snapshot (re)owns the activity; `replace: false` leaves it. */
function recordActivity(t: Tracker, event: AguiEvent): Verdict {
  const id = idOf(event, "messageId");
  if (!t.owners.activity.has(id) || event.replace !== false) {
    t.owners.activity.set(id, ownerOf(tagOf(event)));
  }
  return undefined;
}

function findStep(t: Tracker, stepName: string, owner: string | undefined): number {
  return t.open.steps.findIndex((s) => s.stepName === stepName && s.subagentRunId === owner);
}

function startStep(t: Tracker, event: AguiEvent): Verdict {
  const stepName = idOf(event, "stepName");
  const owner = tagOf(event);
  if (findStep(t, stepName, owner) !== -1) {
    const where = owner !== undefined ? ` in subagent '${owner}'` : "";
    return `Step "${stepName}" is already active for 'STEP_STARTED'${where}`;
  }
  t.open.steps.push({ stepName, ...(owner !== undefined && { subagentRunId: owner }) });
  return undefined;
}

/** A step must be finished by whoever started it. */
function finishStep(t: Tracker, event: AguiEvent): Verdict {
  const stepName = idOf(event, "stepName");
  const owner = tagOf(event);
  const index = findStep(t, stepName, owner);
  if (index !== -1) {
    t.open.steps.splice(index, 1);
    return undefined;
  }
  const other = t.open.steps.find((s) => s.stepName === stepName);
  if (other === undefined) {
    return `Cannot send 'STEP_FINISHED' for step "${stepName}" that was not started`;
  }
  const describe = (o: string | undefined) =>
    o !== undefined ? `subagent '${o}'` : "the parent agent";
  return `Cannot send 'STEP_FINISHED' for step "${stepName}" attributed to ${describe(owner)}: that step is open under ${describe(other.subagentRunId)}. A step must be finished by whoever started it.`;
}

/** Subagent ids are per invocation: started once per run, by a known parent if one is named. */
function startSubagent(t: Tracker, event: AguiEvent): Verdict {
  const id = event.subagentRunId;
  if (typeof id !== "string") return `Cannot send 'SUBAGENT_STARTED' without a 'subagentRunId'.`;
  if (typeof event.name !== "string") return `Cannot send 'SUBAGENT_STARTED' without a 'name'.`;
  if (t.open.subagents.includes(id)) {
    return `Cannot send 'SUBAGENT_STARTED': subagent '${id}' is already active. Finish it with 'SUBAGENT_FINISHED' first.`;
  }
  if (t.closedSubagents.includes(id)) {
    return `Cannot send 'SUBAGENT_STARTED': subagent '${id}' has already finished in this run. Subagent IDs are per-invocation and cannot be reused.`;
  }
  const parent = optionalString(event.parentSubagentRunId);
  if (
    parent !== undefined &&
    !t.open.subagents.includes(parent) &&
    !t.closedSubagents.includes(parent)
  ) {
    return `Cannot send 'SUBAGENT_STARTED': parentSubagentRunId '${parent}' has not been started in this run.`;
  }
  t.open.subagents.push(id);
  return undefined;
}

/** SUBAGENT_FINISHED / SUBAGENT_ERROR end an active subagent for good. */
function endSubagent(t: Tracker, event: AguiEvent): Verdict {
  const type = event.type;
  const id = event.subagentRunId;
  if (typeof id !== "string") return `Cannot send '${type}' without a 'subagentRunId'.`;
  if (type === EventType.SUBAGENT_ERROR && typeof event.message !== "string") {
    return `Cannot send 'SUBAGENT_ERROR' without a 'message'.`;
  }
  if (!t.open.subagents.includes(id)) {
    return `Cannot send '${type}': no active subagent found with ID '${id}'. A 'SUBAGENT_STARTED' event must be sent first.`;
  }
  t.open.subagents = t.open.subagents.filter((s) => s !== id);
  t.closedSubagents.push(id);
  return undefined;
}

/**
 * Messages replayed on the wire (MESSAGES_SNAPSHOT, the RUN_STARTED input echo) record owners
 * like openers would: each message under its role's kind, each assistant tool call under its
 * message's owner. A snapshot is `authoritative` and replaces recorded owners; the echo only
 * fills ids nothing has claimed.
 */
function seedOwners(t: Tracker, messages: unknown, authoritative: boolean): Verdict {
  if (!Array.isArray(messages)) return undefined;
  for (const msg of messages) {
    const id = fieldOf(msg, "id");
    if (typeof id !== "string") continue;
    const tag = fieldOf(msg, "subagentRunId");
    if (tag === null) {
      return `Cannot send a message (id '${id}') with 'subagentRunId: null'. The field is optional — omit it entirely.`;
    }
    const owner = ownerOf(optionalString(tag));
    const role = fieldOf(msg, "role");
    const kind: OwnerKind =
      role === "reasoning" ? "reasoning" : role === "activity" ? "activity" : "message";
    seedOwner(t.owners[kind], id, owner, authoritative);
    const toolCalls = fieldOf(msg, "toolCalls");
    for (const call of Array.isArray(toolCalls) ? toolCalls : []) {
      const callId = fieldOf(call, "id");
      if (typeof callId === "string") seedOwner(t.owners.toolCall, callId, owner, authoritative);
    }
  }
  return undefined;
}

function seedOwner(owners: OwnerMap, id: string, owner: OwnerTag, authoritative: boolean): void {
  if (authoritative || !owners.has(id)) owners.set(id, owner);
}

function startRun(t: Tracker, event: AguiEvent): Verdict {
  t.phase = "running";
  t.runStarted = true;
  return seedOwners(t, fieldOf(event.input, "messages"), false);
}

/** RUN_FINISHED is refused while anything is still open. */
function finishRun(t: Tracker): Verdict {
  const { open } = t;
  const ids = (items: readonly OpenStream[]) => items.map((s) => s.id).join(", ");
  if (open.steps.length > 0) {
    const names = open.steps.map((s) =>
      s.subagentRunId !== undefined ? `${s.stepName} (subagent '${s.subagentRunId}')` : s.stepName,
    );
    return `Cannot send 'RUN_FINISHED' while steps are still active: ${names.join(", ")}`;
  }
  const stillOpen: Array<[string, readonly OpenStream[]]> = [
    ["text messages", open.textMessages],
    ["reasoning messages", open.reasoningMessages],
    ["reasoning spans", open.reasoningSpans],
    ["tool calls", open.toolCalls],
  ];
  for (const [noun, items] of stillOpen) {
    if (items.length > 0) {
      return `Cannot send 'RUN_FINISHED' while ${noun} are still active: ${ids(items)}`;
    }
  }
  if (open.subagents.length > 0) {
    return `Cannot send 'RUN_FINISHED' while subagents are still active: ${open.subagents.join(", ")}`;
  }
  endRun(t, "finished");
  return undefined;
}

/**
 * Nothing can follow the run's end, so nothing else about it needs remembering. The owner
 * records the batch set are still written (harmless, and the same however a log is split).
 */
function endRun(t: Tracker, phase: "finished" | "errored"): void {
  Object.assign(t, { ...emptyTracker(phase, t.runStarted), owners: t.owners });
}
