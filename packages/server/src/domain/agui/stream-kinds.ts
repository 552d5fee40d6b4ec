/**
 * The bracketed AG-UI streams — opener … continuations … closer, all naming one id — in one
 * table, read by both the sequence verifier (`sequence.ts`, which checks their brackets) and the
 * snapshot (`snapshot/`, which folds their content and re-opens what is still open). A new
 * stream type is added here once, and both agree on its events.
 *
 * A reasoning SPAN (REASONING_START .. REASONING_END) and a reasoning MESSAGE
 * (REASONING_MESSAGE_START .. _END) are separate kinds: one id may name both at once.
 */

/** A kind of bracketed stream. */
export type StreamKind = "text" | "tool" | "reasoning" | "reasoningSpan";

/** Where an event stands in its stream. */
export type StreamPhase = "start" | "content" | "end";

export interface StreamKindSpec {
  /** The event field holding the stream's id. */
  readonly idField: "messageId" | "toolCallId";
  readonly start: string;
  /** The event carrying a `delta`; absent for spans, which carry no content. */
  readonly content?: string;
  readonly end: string;
  /** The chunk event a producer may send instead of start/content/end (the client expands it). */
  readonly chunk?: string;
}

export const STREAM_KINDS = {
  text: {
    idField: "messageId",
    start: "TEXT_MESSAGE_START",
    content: "TEXT_MESSAGE_CONTENT",
    end: "TEXT_MESSAGE_END",
    chunk: "TEXT_MESSAGE_CHUNK",
  },
  tool: {
    idField: "toolCallId",
    start: "TOOL_CALL_START",
    content: "TOOL_CALL_ARGS",
    end: "TOOL_CALL_END",
    chunk: "TOOL_CALL_CHUNK",
  },
  reasoning: {
    idField: "messageId",
    start: "REASONING_MESSAGE_START",
    content: "REASONING_MESSAGE_CONTENT",
    end: "REASONING_MESSAGE_END",
    chunk: "REASONING_MESSAGE_CHUNK",
  },
  reasoningSpan: {
    idField: "messageId",
    start: "REASONING_START",
    end: "REASONING_END",
  },
} as const satisfies Readonly<Record<StreamKind, StreamKindSpec>>;

/** The kinds that carry content and may arrive as chunks: text, tool calls, reasoning messages. */
export type ContentStreamKind = {
  [K in StreamKind]: (typeof STREAM_KINDS)[K] extends { content: string; chunk: string }
    ? K
    : never;
}[StreamKind];

export const STREAM_KIND_NAMES = Object.keys(STREAM_KINDS) as readonly StreamKind[];

const BY_TYPE = new Map<string, { kind: StreamKind; phase: StreamPhase }>();
const BY_CHUNK = new Map<string, ContentStreamKind>();
for (const kind of STREAM_KIND_NAMES) {
  const spec: StreamKindSpec = STREAM_KINDS[kind];
  BY_TYPE.set(spec.start, { kind, phase: "start" });
  if (spec.content !== undefined) BY_TYPE.set(spec.content, { kind, phase: "content" });
  BY_TYPE.set(spec.end, { kind, phase: "end" });
  if (spec.chunk !== undefined) BY_CHUNK.set(spec.chunk, kind as ContentStreamKind);
}

/** The stream and phase of an event type, or undefined for events outside every stream. */
export function streamEventOf(type: string): { kind: StreamKind; phase: StreamPhase } | undefined {
  return BY_TYPE.get(type);
}

/** The kind a chunk event type expands into, or undefined for any other type. */
export function chunkKindOf(type: string): ContentStreamKind | undefined {
  return BY_CHUNK.get(type);
}
