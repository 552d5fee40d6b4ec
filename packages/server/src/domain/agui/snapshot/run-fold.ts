/**
 * Snapshot stage 4: the fold — each logged event through the chunk expander into the message
 * reducer and the open items — and the snapshot written from its result.
 */
import { STREAM_KINDS } from "../stream-kinds.ts";
import type { AguiEvent, LoggedEvent } from "../types.ts";
import type { SnapshotEntry } from "./builder.ts";
import { CHUNK_START_FIELDS, ChunkExpander } from "./chunk-expander.ts";
import {
  findToolCall,
  isRecord,
  logged,
  type MessageRecord,
  mergeMetadata,
  metadataOf,
  optional,
  pick,
  synthesised,
  text,
} from "./events.ts";
import { MessageReducer } from "./message-reducer.ts";
import { OpenItems, type PendingStream, type Subagent } from "./open-items.ts";

const TERMINAL = new Set(["RUN_FINISHED", "RUN_ERROR"]);
const SNAPSHOT_ROLES = new Set(["user", "assistant", "tool", "reasoning"]);

export class RunFold {
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
function coalescedContent(stream: PendingStream): AguiEvent | undefined {
  if (!stream.hasContent) return undefined;
  return {
    type: STREAM_KINDS[stream.kind].content,
    ...pick(stream.start, [STREAM_KINDS[stream.kind].idField, "contentId", "subagentRunId"]),
    delta: stream.delta,
    ...optional("metadata", stream.metadata),
  };
}

/** The one chunk event standing for a chunk-opened stream: its opener's fields plus the deltas. */
function coalescedChunk(stream: PendingStream): AguiEvent {
  const metadata = mergeMetadata(metadataOf(stream.start), stream.metadata);
  return {
    type: STREAM_KINDS[stream.kind].chunk,
    ...pick(stream.start, CHUNK_START_FIELDS[stream.kind]),
    ...(stream.hasContent ? { delta: stream.delta } : {}),
    ...optional("metadata", metadata),
  };
}

/** The MESSAGES_SNAPSHOT list: open streams rewound to their shells, contract roles only. */
function snapshotMessages(
  messages: readonly MessageRecord[],
  open: readonly PendingStream[],
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
function rewind(messages: MessageRecord[], stream: PendingStream): void {
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
