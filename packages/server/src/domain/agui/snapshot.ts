/**
 * The run snapshot (contract §4.4): a compact picture of a run's log that a client can apply and
 * then resume from with `Last-Event-ID: <after_event_id>`. Pure.
 *
 * The log is folded exactly the way `@ag-ui/client`'s pipeline folds it (`transformChunks`, then
 * `defaultApplyEvents` for messages and state, and the open/close bookkeeping of `verifyEvents`),
 * so "same messages and state" holds by construction. The snapshot is:
 *
 * 1. the run's `RUN_STARTED`, with `input.messages` emptied: that history is in the
 *    `MESSAGES_SNAPSHOT`, and replaying it here too would put all of it ahead of messages the
 *    run inserted among it (a tool result lands right after the message holding its call);
 * 2. `MESSAGES_SNAPSHOT` (`event_id: null`): every message the client would hold, minus the roles
 *    the contract leaves out (`system`, `developer`, `activity`). A message or tool call that is
 *    still open appears as a shell — its content/arguments as they were when it (re)opened,
 *    normally empty — so it keeps its place in the list; its re-emitted start and coalesced
 *    delta (step 4) then fill it in. (The client's start handlers are idempotent for an id
 *    already present, which is what makes this work.) Leaving open items out instead would move
 *    them to the end of the list, and a completed tool call inside a still-open message would
 *    have nowhere to live;
 * 3. `STATE_SNAPSHOT` (`event_id: null`): the state after every `STATE_SNAPSHOT`/`STATE_DELTA`,
 *    starting from the client's `{}`; a patch that fails is skipped whole, as the client does;
 * 4. what is still open, in the order it opened (each logged event with its own `event_id`):
 *    subagents (plus any finished ancestor, started and finished, so the child's parent exists),
 *    reasoning spans, steps, and for each open message or tool call its start event and, if it
 *    has received content, one coalesced `*_CONTENT`/`TOOL_CALL_ARGS` (`event_id: null`) copying
 *    `messageId`/`toolCallId`, `contentId` and `subagentRunId` from the start. An item opened by
 *    chunk events (`*_CHUNK`) is re-emitted instead as one coalesced chunk event
 *    (`event_id: null`), after everything else, so the client's chunk lane is open again and
 *    the stream's id-less continuation chunks still land in it;
 * 5. the terminal event, when the run has ended.
 *
 * Logged events are returned as they are in the log (by reference); the log is never modified.
 *
 * Known gaps (each needs a producer doing something unusual):
 * - activity messages are not carried (the contract leaves them out);
 * - a message removed by a `MESSAGES_SNAPSHOT` while still streaming is recreated by its
 *   re-emitted start, and an open message restated by one gets its start's metadata once more;
 * - subagent ownership that the client's messages do not record — the verifier remembers the
 *   first `subagentRunId` that opened an id, even after the message was dropped, or when the
 *   message was created untagged by a tool call — cannot be restated: a snapshot's verifier learns
 *   owners from the messages' `subagentRunId`, so a later event relying on the forgotten owner
 *   fails `verifyEvents` after a snapshot.
 */
import jsonpatch, { type Operation } from "fast-json-patch";
import type { AguiEvent, LoggedEvent } from "./types.ts";

export interface RunSnapshot {
  after_event_id: number;
  events: Array<{ event_id: number | null; event_type: string; event: AguiEvent }>;
}

type SnapshotEntry = RunSnapshot["events"][number];

/** Pure. `log` is the run's whole log in ascending event_id order (ids 1..n, gap-free). */
export function buildSnapshot(log: readonly LoggedEvent[]): RunSnapshot {
  const builder = new SnapshotBuilder();
  for (const entry of log) builder.add(entry);
  return builder.snapshot();
}

/**
 * The same fold, one event at a time, so that a caller can read the log page by page and
 * yield to the event loop between events (ledger/read-runs.ts): only the fold's state is held
 * (messages, state, open items), never the whole log.
 */
export class SnapshotBuilder {
  #first: LoggedEvent | undefined;
  #last: LoggedEvent | undefined;
  #fold = new RunFold();
  /** A run that failed before it started (RUN_ERROR first): nothing to compact, kept whole. */
  #uncompacted: LoggedEvent[] | undefined;

  /** Adds the next event of the log (ascending event_id, gap-free). */
  add(entry: LoggedEvent): void {
    if (this.#first === undefined) {
      this.#first = entry;
      if (entry.event.type !== "RUN_STARTED") this.#uncompacted = [];
    }
    this.#last = entry;
    if (this.#uncompacted) this.#uncompacted.push(entry);
    else this.#fold.add(entry);
  }

  snapshot(): RunSnapshot {
    const first = this.#first;
    const last = this.#last;
    if (first === undefined || last === undefined) return { after_event_id: 0, events: [] };
    if (this.#uncompacted) {
      return { after_event_id: last.event_id, events: this.#uncompacted.map(logged) };
    }
    return { after_event_id: last.event_id, events: this.#fold.snapshot(first) };
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

type Metadata = Record<string, unknown>;

interface ToolCallRecord {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  metadata?: Metadata;
  [key: string]: unknown;
}

/** A message as the client holds it: loosely typed, since MESSAGES_SNAPSHOT passes any through. */
interface MessageRecord {
  id: string;
  role: string;
  content?: unknown;
  toolCalls?: ToolCallRecord[];
  metadata?: Metadata;
  subagentRunId?: string;
  [key: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string field of an event, or undefined. */
function text(event: AguiEvent, key: string): string | undefined {
  const value = event[key];
  return typeof value === "string" ? value : undefined;
}

function metadataOf(event: AguiEvent): Metadata | undefined {
  return isRecord(event.metadata) ? event.metadata : undefined;
}

/** `mergeMetadata` from @ag-ui/core: key by key, last write wins, never recursing. */
function mergeMetadata(existing?: Metadata, incoming?: Metadata): Metadata | undefined {
  return incoming === undefined ? existing : { ...existing, ...incoming };
}

/** The client's `applyEventMetadata`: folds the event's metadata into what it builds. */
function absorbMetadata(target: { metadata?: Metadata } | undefined, event: AguiEvent): void {
  const metadata = metadataOf(event);
  if (target === undefined || metadata === undefined) return;
  target.metadata = mergeMetadata(target.metadata, structuredClone(metadata));
}

/** The fields of `source` named in `keys` that hold a value (null counts as no value). */
function pick(source: AguiEvent, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined && value !== null) picked[key] = value;
  }
  return picked;
}

/** `{ [key]: value }` when there is a value, `{}` otherwise: for spreading optional fields. */
function optional(key: string, value: unknown): Record<string, unknown> {
  return value === undefined || value === null ? {} : { [key]: value };
}

function logged(entry: LoggedEvent): SnapshotEntry {
  return { event_id: entry.event_id, event_type: entry.event.type, event: entry.event };
}

function synthesised(event: AguiEvent): SnapshotEntry {
  return { event_id: null, event_type: event.type, event };
}

function findToolCall(messages: readonly MessageRecord[], id: string): ToolCallRecord | undefined {
  for (const message of messages) {
    const call = message.toolCalls?.find((candidate) => candidate.id === id);
    if (call) return call;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Streams: text messages, tool calls and reasoning messages, explicit or chunked

type StreamKind = "text" | "tool" | "reasoning";

const STREAM_EVENTS: Readonly<
  Record<string, { kind: StreamKind; phase: "start" | "content" | "end" }>
> = {
  TEXT_MESSAGE_START: { kind: "text", phase: "start" },
  TEXT_MESSAGE_CONTENT: { kind: "text", phase: "content" },
  TEXT_MESSAGE_END: { kind: "text", phase: "end" },
  TOOL_CALL_START: { kind: "tool", phase: "start" },
  TOOL_CALL_ARGS: { kind: "tool", phase: "content" },
  TOOL_CALL_END: { kind: "tool", phase: "end" },
  REASONING_MESSAGE_START: { kind: "reasoning", phase: "start" },
  REASONING_MESSAGE_CONTENT: { kind: "reasoning", phase: "content" },
  REASONING_MESSAGE_END: { kind: "reasoning", phase: "end" },
};

const ID_FIELD: Readonly<Record<StreamKind, string>> = {
  text: "messageId",
  tool: "toolCallId",
  reasoning: "messageId",
};

const EVENT_TYPES: Readonly<
  Record<StreamKind, { start: string; content: string; end: string; chunk: string }>
> = {
  text: {
    start: "TEXT_MESSAGE_START",
    content: "TEXT_MESSAGE_CONTENT",
    end: "TEXT_MESSAGE_END",
    chunk: "TEXT_MESSAGE_CHUNK",
  },
  tool: {
    start: "TOOL_CALL_START",
    content: "TOOL_CALL_ARGS",
    end: "TOOL_CALL_END",
    chunk: "TOOL_CALL_CHUNK",
  },
  reasoning: {
    start: "REASONING_MESSAGE_START",
    content: "REASONING_MESSAGE_CONTENT",
    end: "REASONING_MESSAGE_END",
    chunk: "REASONING_MESSAGE_CHUNK",
  },
};

const CHUNK_KINDS: Readonly<Record<string, StreamKind>> = {
  TEXT_MESSAGE_CHUNK: "text",
  TOOL_CALL_CHUNK: "tool",
  REASONING_MESSAGE_CHUNK: "reasoning",
};

/** The fields a chunk's synthesised start carries (besides `type` and `metadata`). */
const CHUNK_START_FIELDS: Readonly<Record<StreamKind, readonly string[]>> = {
  text: ["messageId", "role", "name", "subagentRunId"],
  tool: ["toolCallId", "toolCallName", "parentMessageId", "subagentRunId"],
  reasoning: ["messageId", "subagentRunId"],
};

/** Events that close every chunk lane, as in the client (they speak for the whole run). */
const RUN_LEVEL = new Set(["RUN_STARTED", "RUN_FINISHED", "RUN_ERROR", "MESSAGES_SNAPSHOT"]);

/** Events that pass through the chunk stage without closing anything. */
const PASS_THROUGH = new Set([
  "RAW",
  "ACTIVITY_SNAPSHOT",
  "ACTIVITY_DELTA",
  "REASONING_ENCRYPTED_VALUE",
  "SUBAGENT_STARTED",
]);

interface Lane {
  kind: StreamKind;
  id: string;
  /** The start event synthesised for the opening chunk. */
  start: AguiEvent;
}

/**
 * The client's `transformChunks`, reduced to what a verified log needs: chunks become explicit
 * start/content events, assembled per lane (the chunk's `subagentRunId`, undefined for the
 * parent agent), and a lane's stream ends when another event in that lane (or a run-level event,
 * or its subagent's terminal event) arrives. Where the client would throw, the chunk is dropped.
 */
class ChunkExpander {
  readonly lanes = new Map<string | undefined, Lane>();

  expand(event: AguiEvent): AguiEvent[] {
    const kind = CHUNK_KINDS[event.type];
    if (kind !== undefined) return this.expandChunk(kind, event);
    if (RUN_LEVEL.has(event.type)) return [...this.closeAll(), event];
    if (PASS_THROUGH.has(event.type)) return [event];
    if (event.type === "SUBAGENT_FINISHED" || event.type === "SUBAGENT_ERROR") {
      const owner = text(event, "subagentRunId");
      return owner === undefined ? [event] : [...this.close(owner), event];
    }
    return [...this.close(text(event, "subagentRunId")), event];
  }

  private close(owner: string | undefined): AguiEvent[] {
    const lane = this.lanes.get(owner);
    if (lane === undefined) return [];
    this.lanes.delete(owner);
    const end = EVENT_TYPES[lane.kind].end;
    return [{ type: end, ...pick(lane.start, [ID_FIELD[lane.kind], "subagentRunId"]) }];
  }

  private closeAll(): AguiEvent[] {
    return [...this.lanes.keys()].flatMap((owner) => this.close(owner));
  }

  private expandChunk(kind: StreamKind, chunk: AguiEvent): AguiEvent[] {
    const id = text(chunk, ID_FIELD[kind]);
    const owner = this.resolveLane(kind, id, text(chunk, "subagentRunId"));
    const open = this.lanes.get(owner);
    const out: AguiEvent[] = [];
    let lane: Lane;
    if (open?.kind === kind && (id === undefined || id === open.id)) {
      lane = open;
    } else {
      out.push(...this.close(owner));
      const start = chunkStart(kind, chunk);
      if (id === undefined || start === undefined) return out;
      lane = { kind, id, start };
      this.lanes.set(owner, lane);
      out.push(start);
    }
    const content = chunkContent(lane, chunk, out.length === 0);
    if (content !== undefined) out.push(content);
    return out;
  }

  /** Which lane a chunk belongs to (the client's `resolveLane`, ambiguity resolved to none). */
  private resolveLane(
    kind: StreamKind,
    id: string | undefined,
    tag: string | undefined,
  ): string | undefined {
    if (id !== undefined) {
      for (const [owner, lane] of this.lanes) {
        if (lane.kind === kind && lane.id === id) return owner;
      }
      return tag;
    }
    if (tag !== undefined) return tag;
    if (this.lanes.get(undefined)?.kind === kind) return undefined;
    const candidates = [...this.lanes].filter(([, lane]) => lane.kind === kind);
    return candidates.length === 1 ? candidates[0]?.[0] : undefined;
  }
}

/** The start event the client synthesises for a chunk that opens a stream. */
function chunkStart(kind: StreamKind, chunk: AguiEvent): AguiEvent | undefined {
  const type = EVENT_TYPES[kind].start;
  const base = {
    ...optional("metadata", chunk.metadata),
    ...optional("subagentRunId", chunk.subagentRunId),
  };
  switch (kind) {
    case "text":
      return {
        type,
        messageId: chunk.messageId,
        role: chunk.role ?? "assistant",
        ...optional("name", chunk.name),
        ...base,
      };
    case "tool":
      if (text(chunk, "toolCallName") === undefined) return undefined;
      return {
        type,
        toolCallId: chunk.toolCallId,
        toolCallName: chunk.toolCallName,
        ...optional("parentMessageId", chunk.parentMessageId),
        ...base,
      };
    case "reasoning":
      return { type, messageId: chunk.messageId, role: "reasoning", ...base };
  }
}

/** The content event the client synthesises for a chunk, if any. */
function chunkContent(lane: Lane, chunk: AguiEvent, nothingElse: boolean): AguiEvent | undefined {
  const carriesContent = chunk.delta !== undefined || chunk.rawEvent !== undefined;
  if (!carriesContent && !(nothingElse && chunk.metadata !== undefined)) return undefined;
  return {
    type: EVENT_TYPES[lane.kind].content,
    [ID_FIELD[lane.kind]]: lane.id,
    delta: carriesContent ? (text(chunk, "delta") ?? "") : "",
    ...optional("subagentRunId", chunk.subagentRunId ?? lane.start.subagentRunId),
    ...optional("metadata", chunk.metadata),
  };
}

// ---------------------------------------------------------------------------------------------
// Messages and state: the client's `defaultApplyEvents`, without subscribers

class MessageReducer {
  messages: MessageRecord[] = [];
  state: unknown = {};

  /** What each event type does to the messages or state; other types change neither. */
  private readonly handlers: Readonly<Record<string, (event: AguiEvent) => void>> = {
    RUN_STARTED: (event) => this.runStarted(event),
    TEXT_MESSAGE_START: (event) =>
      this.messageStarted(event, event.role ?? "assistant", text(event, "name")),
    REASONING_MESSAGE_START: (event) => this.messageStarted(event, "reasoning", undefined),
    TEXT_MESSAGE_CONTENT: (event) => this.messageContent(event),
    REASONING_MESSAGE_CONTENT: (event) => this.messageContent(event),
    TEXT_MESSAGE_END: (event) => absorbMetadata(this.streamTarget(event), event),
    REASONING_MESSAGE_END: (event) => absorbMetadata(this.streamTarget(event), event),
    TOOL_CALL_START: (event) => this.toolCallStarted(event),
    TOOL_CALL_ARGS: (event) => this.toolCallArgs(event),
    TOOL_CALL_END: (event) =>
      absorbMetadata(findToolCall(this.messages, text(event, "toolCallId") ?? ""), event),
    TOOL_CALL_RESULT: (event) => this.toolCallResult(event),
    STATE_SNAPSHOT: (event) => {
      this.state = structuredClone(event.snapshot);
    },
    STATE_DELTA: (event) => this.stateDelta(event),
    MESSAGES_SNAPSHOT: (event) => this.messagesSnapshot(event),
    ACTIVITY_SNAPSHOT: (event) => this.activitySnapshot(event),
    ACTIVITY_DELTA: (event) => this.activityDelta(event),
    REASONING_ENCRYPTED_VALUE: (event) => this.encryptedValue(event),
  };

  apply(event: AguiEvent): void {
    this.handlers[event.type]?.(event);
  }

  private find(id: string | undefined): MessageRecord | undefined {
    return this.messages.find((message) => message.id === id);
  }

  private runStarted(event: AguiEvent): void {
    const input = event.input;
    if (!isRecord(input) || !Array.isArray(input.messages)) return;
    for (const raw of input.messages as MessageRecord[]) {
      const message = withoutNullOwner(structuredClone(raw));
      if (this.find(message.id) === undefined) this.messages.push(message);
    }
  }

  private messageStarted(event: AguiEvent, role: unknown, name: string | undefined): void {
    const id = text(event, "messageId") ?? "";
    let target = this.find(id);
    if (target?.role === "activity") return;
    if (target === undefined) {
      target = {
        id,
        role: String(role),
        content: "",
        ...optional("name", name),
        ...optional("subagentRunId", event.subagentRunId),
      };
      this.messages.push(target);
    }
    absorbMetadata(target, event);
  }

  /** The message a text/reasoning content or end event applies to, if the client has one. */
  private streamTarget(event: AguiEvent): MessageRecord | undefined {
    const target = this.find(text(event, "messageId"));
    return target?.role === "activity" ? undefined : target;
  }

  private messageContent(event: AguiEvent): void {
    const target = this.streamTarget(event);
    if (target === undefined) return;
    const existing = typeof target.content === "string" ? target.content : "";
    target.content = `${existing}${text(event, "delta") ?? ""}`;
    absorbMetadata(target, event);
  }

  private toolCallStarted(event: AguiEvent): void {
    const id = text(event, "toolCallId") ?? "";
    const name = text(event, "toolCallName") ?? "";
    const existing = findToolCall(this.messages, id);
    if (existing) {
      existing.function.name = name;
      absorbMetadata(existing, event);
      return;
    }
    const before = new Set(this.messages.map((message) => message.id));
    const holder = this.resolveHolder(text(event, "parentMessageId"), id);
    const owner = text(event, "subagentRunId");
    if (!before.has(holder.id) && owner !== undefined && holder.subagentRunId === undefined) {
      holder.subagentRunId = owner;
    }
    holder.toolCalls ??= [];
    const call: ToolCallRecord = { id, type: "function", function: { name, arguments: "" } };
    holder.toolCalls.push(call);
    absorbMetadata(call, event);
  }

  /** The client's `resolveOrCreateAssistantMessage`. */
  private resolveHolder(parentId: string | undefined, toolCallId: string): MessageRecord {
    const existing = parentId === undefined ? undefined : this.find(parentId);
    if (existing?.role === "assistant") return existing;
    const created: MessageRecord = {
      id: existing !== undefined || parentId === undefined ? toolCallId : parentId,
      role: "assistant",
      toolCalls: [],
    };
    this.messages.push(created);
    return created;
  }

  private toolCallArgs(event: AguiEvent): void {
    const call = findToolCall(this.messages, text(event, "toolCallId") ?? "");
    if (call === undefined) return;
    call.function.arguments += text(event, "delta") ?? "";
    absorbMetadata(call, event);
  }

  private toolCallResult(event: AguiEvent): void {
    const toolCallId = text(event, "toolCallId") ?? "";
    const message: MessageRecord = {
      id: text(event, "messageId") ?? "",
      toolCallId,
      role: text(event, "role") || "tool",
      content: structuredClone(event.content),
      ...optional("subagentRunId", event.subagentRunId),
    };
    absorbMetadata(message, event);
    const owner = this.messages.findIndex(
      (m) => m.role === "assistant" && m.toolCalls?.some((call) => call.id === toolCallId),
    );
    if (owner === -1) {
      this.messages.push(message);
      return;
    }
    let at = owner + 1;
    while (this.messages[at]?.role === "tool") at++;
    this.messages.splice(at, 0, message);
  }

  private stateDelta(event: AguiEvent): void {
    try {
      const patch = event.delta as Operation[];
      this.state = jsonpatch.applyPatch(this.state, patch, true, false).newDocument;
    } catch {
      // The client skips a patch that does not apply (it only warns); so do we.
    }
  }

  /** Replace semantics, keeping the client-only activity/reasoning messages the client keeps. */
  private messagesSnapshot(event: AguiEvent): void {
    const raw = Array.isArray(event.messages) ? (event.messages as MessageRecord[]) : [];
    const incoming = raw.map((message) => withoutNullOwner(structuredClone(message)));
    const byId = new Map(incoming.map((message) => [message.id, message]));
    const keepsLocal = localKeeper(event, incoming);
    const kept = this.messages
      .filter((message) => byId.has(message.id) || keepsLocal(message))
      .map((message) => byId.get(message.id) ?? message);
    const keptIds = new Set(kept.map((message) => message.id));
    for (const message of incoming) if (!keptIds.has(message.id)) kept.push(message);
    this.messages = kept;
  }

  private activitySnapshot(event: AguiEvent): void {
    const index = this.messages.findIndex((message) => message.id === event.messageId);
    const existing = this.messages[index];
    const fresh: MessageRecord = {
      id: text(event, "messageId") ?? "",
      role: "activity",
      activityType: event.activityType,
      content: structuredClone(event.content),
      ...optional("subagentRunId", event.subagentRunId),
    };
    const replace = event.replace !== false;
    let target: MessageRecord | undefined = fresh;
    if (existing === undefined) {
      this.messages.push(fresh);
    } else if (existing.role === "activity") {
      // A replacing snapshot keeps the metadata gathered so far but brings its own owner.
      const { subagentRunId: _previousOwner, ...rest } = existing;
      if (replace) this.messages[index] = { ...rest, ...fresh };
      target = this.messages[index];
    } else if (replace) {
      this.messages[index] = fresh;
    } else {
      target = undefined;
    }
    absorbMetadata(target, event);
  }

  private activityDelta(event: AguiEvent): void {
    const index = this.messages.findIndex((message) => message.id === event.messageId);
    const existing = this.messages[index];
    if (existing?.role !== "activity") return;
    absorbMetadata(existing, event);
    try {
      const patch = (event.patch ?? []) as Operation[];
      const content = jsonpatch.applyPatch(
        structuredClone(existing.content ?? {}),
        patch,
        true,
        false,
      );
      this.messages[index] = {
        ...existing,
        content: content.newDocument,
        activityType: event.activityType,
      };
    } catch {
      // As the client: a patch that does not apply leaves the content alone.
    }
  }

  private encryptedValue(event: AguiEvent): void {
    const entityId = text(event, "entityId");
    const value = event.encryptedValue;
    if (event.subtype === "tool-call") {
      for (const message of this.messages) {
        if (message.role !== "assistant") continue;
        const call = message.toolCalls?.find((candidate) => candidate.id === entityId);
        if (call) {
          call.encryptedValue = value;
          return;
        }
      }
      return;
    }
    const message = this.find(entityId);
    if (message !== undefined && message.role !== "activity") message.encryptedValue = value;
  }
}

/** A null `subagentRunId` reads as absent (the client drops it the same way). */
function withoutNullOwner(message: MessageRecord): MessageRecord {
  if (message.subagentRunId !== null) return message;
  const { subagentRunId: _null, ...rest } = message;
  return rest as MessageRecord;
}

/** Which local messages a MESSAGES_SNAPSHOT leaves in place (the client's `isPreservedClientOnly`). */
function localKeeper(
  event: AguiEvent,
  incoming: readonly MessageRecord[],
): (message: MessageRecord) => boolean {
  const owned = authoritativeActivityTypes(event);
  const hasActivity = incoming.some((message) => message.role === "activity");
  const hasReasoning = incoming.some((message) => message.role === "reasoning");
  return (message) =>
    (message.role === "activity" &&
      (owned ? !owned.includes(String(message.activityType)) : owned !== null && !hasActivity)) ||
    (message.role === "reasoning" && !hasReasoning);
}

/** The client's `authoritativeActivityTypes` (from `metadata["@ag-ui/client"]`). */
function authoritativeActivityTypes(event: AguiEvent): string[] | null | undefined {
  const metadata = metadataOf(event);
  if (metadata === undefined || !Object.hasOwn(metadata, "@ag-ui/client")) return undefined;
  const value = metadata["@ag-ui/client"];
  if (!isRecord(value)) return [];
  if (!Object.hasOwn(value, "authoritativeActivityTypes")) return undefined;
  const types = value.authoritativeActivityTypes;
  if (types === null) return null;
  const valid = Array.isArray(types) && types.every((type) => typeof type === "string");
  return valid ? (types as string[]) : [];
}

// ---------------------------------------------------------------------------------------------
// What is still open

interface OpenStream {
  kind: StreamKind;
  id: string;
  /** The start event: as logged, or synthesised from a chunk. */
  start: AguiEvent;
  /** The log entry of `start`; absent when a chunk opened the stream. */
  startEntry: LoggedEvent | undefined;
  /** Whether a content/args event arrived since the start (a delta may be ""). */
  hasContent: boolean;
  /** The deltas since the start, concatenated. */
  delta: string;
  /** The merged metadata of those content events. */
  metadata: Metadata | undefined;
}

interface Subagent {
  started: LoggedEvent;
  ended: LoggedEvent | undefined;
}

/** The open/close bookkeeping of the client's `verifyEvents`, keeping each opener's event. */
class OpenItems {
  readonly streams: Record<StreamKind, Map<string, OpenStream>> = {
    text: new Map(),
    tool: new Map(),
    reasoning: new Map(),
  };
  readonly spans = new Map<string, LoggedEvent>();
  /** Steps by owner (`subagentRunId`, undefined for the parent) then name. */
  readonly steps = new Map<string | undefined, Map<string, LoggedEvent>>();
  readonly subagents = new Map<string, Subagent>();

  /** `entry` is the log entry of `event`, or undefined for an event synthesised from a chunk. */
  track(event: AguiEvent, entry: LoggedEvent | undefined): void {
    const stream = STREAM_EVENTS[event.type];
    if (stream !== undefined) {
      this.trackStream(stream.kind, stream.phase, event, entry);
      return;
    }
    if (entry === undefined) return;
    const id = text(event, "messageId") ?? "";
    const owner = text(event, "subagentRunId");
    switch (event.type) {
      case "REASONING_START":
        this.spans.set(id, entry);
        return;
      case "REASONING_END":
        this.spans.delete(id);
        return;
      case "STEP_STARTED":
        this.stepsOf(owner).set(text(event, "stepName") ?? "", entry);
        return;
      case "STEP_FINISHED":
        this.stepsOf(owner).delete(text(event, "stepName") ?? "");
        return;
      case "SUBAGENT_STARTED":
        this.subagents.set(owner ?? "", { started: entry, ended: undefined });
        return;
      case "SUBAGENT_FINISHED":
      case "SUBAGENT_ERROR":
        this.endSubagent(owner ?? "", entry);
        return;
      case "MESSAGES_SNAPSHOT":
        // The snapshot restated the messages: what streams in from here is all that is pending.
        for (const open of this.allStreams()) Object.assign(open, emptyContent());
    }
  }

  allStreams(): OpenStream[] {
    return [
      ...this.streams.text.values(),
      ...this.streams.tool.values(),
      ...this.streams.reasoning.values(),
    ];
  }

  private trackStream(
    kind: StreamKind,
    phase: "start" | "content" | "end",
    event: AguiEvent,
    entry: LoggedEvent | undefined,
  ): void {
    const id = text(event, ID_FIELD[kind]) ?? "";
    const streams = this.streams[kind];
    if (phase === "start") {
      streams.set(id, { kind, id, start: event, startEntry: entry, ...emptyContent() });
    } else if (phase === "end") {
      streams.delete(id);
    } else {
      const open = streams.get(id);
      if (open === undefined) return;
      open.hasContent = true;
      open.delta += text(event, "delta") ?? "";
      open.metadata = mergeMetadata(open.metadata, metadataOf(event));
    }
  }

  private stepsOf(owner: string | undefined): Map<string, LoggedEvent> {
    let steps = this.steps.get(owner);
    if (steps === undefined) {
      steps = new Map();
      this.steps.set(owner, steps);
    }
    return steps;
  }

  private endSubagent(id: string, entry: LoggedEvent): void {
    const subagent = this.subagents.get(id);
    if (subagent !== undefined) subagent.ended = entry;
  }
}

function emptyContent(): Pick<OpenStream, "hasContent" | "delta" | "metadata"> {
  return { hasContent: false, delta: "", metadata: undefined };
}

// ---------------------------------------------------------------------------------------------
// Folding the log and writing the snapshot

const TERMINAL = new Set(["RUN_FINISHED", "RUN_ERROR"]);
const SNAPSHOT_ROLES = new Set(["user", "assistant", "tool", "reasoning"]);

class RunFold {
  private readonly chunks = new ChunkExpander();
  private readonly reducer = new MessageReducer();
  private readonly open = new OpenItems();
  private terminal: LoggedEvent | undefined;

  add(entry: LoggedEvent): void {
    for (const event of this.chunks.expand(entry.event)) {
      this.reducer.apply(event);
      this.open.track(event, event === entry.event ? entry : undefined);
    }
    if (TERMINAL.has(entry.event.type)) this.terminal = entry;
  }

  snapshot(runStarted: LoggedEvent): SnapshotEntry[] {
    const messages = snapshotMessages(this.reducer.messages, this.open.allStreams());
    return [
      { ...logged(runStarted), event: withoutInputMessages(runStarted.event) },
      synthesised({ type: "MESSAGES_SNAPSHOT", messages }),
      synthesised({ type: "STATE_SNAPSHOT", snapshot: structuredClone(this.reducer.state) }),
      ...this.reopenLogged(),
      ...this.reopenChunked(),
      ...(this.terminal === undefined ? [] : [logged(this.terminal)]),
    ];
  }

  /** Open items opened by logged events, each group in the order its opener was logged. */
  private reopenLogged(): SnapshotEntry[] {
    const groups: Array<{ order: number; entries: SnapshotEntry[] }> = [];
    for (const subagent of subagentsToReopen(this.open.subagents)) {
      const entries = [subagent.started, ...(subagent.ended ? [subagent.ended] : [])];
      groups.push({ order: subagent.started.event_id, entries: entries.map(logged) });
    }
    const single = (entry: LoggedEvent) => ({ order: entry.event_id, entries: [logged(entry)] });
    groups.push(...[...this.open.spans.values()].map(single));
    for (const steps of this.open.steps.values()) groups.push(...[...steps.values()].map(single));
    for (const stream of this.open.allStreams()) {
      if (stream.startEntry === undefined) continue;
      const content = coalescedContent(stream);
      const entries = [logged(stream.startEntry), ...(content ? [synthesised(content)] : [])];
      groups.push({ order: stream.startEntry.event_id, entries });
    }
    return groups.sort((a, b) => a.order - b.order).flatMap((group) => group.entries);
  }

  /** Streams opened by chunks: one coalesced chunk each, so the client's lane reopens. */
  private reopenChunked(): SnapshotEntry[] {
    return this.open
      .allStreams()
      .filter((stream) => stream.startEntry === undefined)
      .map((stream) => synthesised(coalescedChunk(stream)));
  }
}

/** Active subagents and the finished ancestors they name, in the order they started. */
function subagentsToReopen(subagents: ReadonlyMap<string, Subagent>): Subagent[] {
  const needed = new Set<Subagent>();
  for (const subagent of subagents.values()) {
    let current: Subagent | undefined = subagent.ended === undefined ? subagent : undefined;
    while (current !== undefined && !needed.has(current)) {
      needed.add(current);
      const parent = text(current.started.event, "parentSubagentRunId");
      current = parent === undefined ? undefined : subagents.get(parent);
    }
  }
  return [...needed].sort((a, b) => a.started.event_id - b.started.event_id);
}

/** The one content/args event standing for every delta an open stream has received. */
function coalescedContent(stream: OpenStream): AguiEvent | undefined {
  if (!stream.hasContent) return undefined;
  return {
    type: EVENT_TYPES[stream.kind].content,
    ...pick(stream.start, [ID_FIELD[stream.kind], "contentId", "subagentRunId"]),
    delta: stream.delta,
    ...optional("metadata", stream.metadata),
  };
}

/** The one chunk event standing for a chunk-opened stream: its opener's fields plus the deltas. */
function coalescedChunk(stream: OpenStream): AguiEvent {
  const metadata = mergeMetadata(metadataOf(stream.start), stream.metadata);
  return {
    type: EVENT_TYPES[stream.kind].chunk,
    ...pick(stream.start, CHUNK_START_FIELDS[stream.kind]),
    ...(stream.hasContent ? { delta: stream.delta } : {}),
    ...optional("metadata", metadata),
  };
}

/** The MESSAGES_SNAPSHOT list: open streams rewound to their shells, contract roles only. */
function snapshotMessages(
  messages: readonly MessageRecord[],
  open: readonly OpenStream[],
): MessageRecord[] {
  // Copies of what `rewind` changes (a message's content, a tool call's arguments), the rest
  // shared: a deep clone of a large run's messages blocked the event loop for seconds
  // (100 MiB of text: 1.4 s in structuredClone alone).
  const copy = messages.map((message) => ({
    ...message,
    ...(message.toolCalls && {
      toolCalls: message.toolCalls.map((call) => ({ ...call, function: { ...call.function } })),
    }),
  }));
  for (const stream of open) rewind(copy, stream);
  return copy.filter((message) => SNAPSHOT_ROLES.has(message.role)).map(withoutNulls);
}

/** Removes what an open stream has appended since its start; its replay appends it again. */
function rewind(messages: MessageRecord[], stream: OpenStream): void {
  if (!stream.hasContent) return;
  if (stream.kind === "tool") {
    const call = findToolCall(messages, stream.id);
    if (call) call.function.arguments = withoutSuffix(call.function.arguments, stream.delta);
    return;
  }
  const message = messages.find((candidate) => candidate.id === stream.id);
  if (typeof message?.content === "string") {
    message.content = withoutSuffix(message.content, stream.delta);
  }
}

function withoutSuffix(value: string, suffix: string): string {
  return value.endsWith(suffix) ? value.slice(0, value.length - suffix.length) : value;
}

/** No null fields; an assistant message's content is a string or absent. */
function withoutNulls(message: MessageRecord): MessageRecord {
  const clean = Object.fromEntries(
    Object.entries(message).filter(([, value]) => value !== null),
  ) as MessageRecord;
  if (clean.role === "assistant" && typeof clean.content !== "string") delete clean.content;
  return clean;
}

/** The run's RUN_STARTED with `input.messages` emptied: they are in the MESSAGES_SNAPSHOT. */
function withoutInputMessages(event: AguiEvent): AguiEvent {
  const input = event.input;
  if (!isRecord(input) || !Array.isArray(input.messages) || input.messages.length === 0) {
    return event;
  }
  return { ...event, input: { ...input, messages: [] } };
}
