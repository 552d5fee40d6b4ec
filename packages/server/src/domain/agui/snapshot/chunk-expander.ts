/**
 * Snapshot stage 1: the client's `transformChunks` — chunk events become explicit stream events.
 */
import { type ContentStreamKind, chunkKindOf, STREAM_KINDS } from "../stream-kinds.ts";
import type { AguiEvent } from "../types.ts";
import { optional, pick, text } from "./events.ts";

/** The fields a chunk's synthesised start carries (besides `type` and `metadata`). */
export const CHUNK_START_FIELDS: Readonly<Record<ContentStreamKind, readonly string[]>> = {
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
  kind: ContentStreamKind;
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
export class ChunkExpander {
  readonly lanes = new Map<string | undefined, Lane>();

  expand(event: AguiEvent): AguiEvent[] {
    const kind = chunkKindOf(event.type);
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
    const { end, idField } = STREAM_KINDS[lane.kind];
    return [{ type: end, ...pick(lane.start, [idField, "subagentRunId"]) }];
  }

  private closeAll(): AguiEvent[] {
    return [...this.lanes.keys()].flatMap((owner) => this.close(owner));
  }

  private expandChunk(kind: ContentStreamKind, chunk: AguiEvent): AguiEvent[] {
    const id = text(chunk, STREAM_KINDS[kind].idField);
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
    kind: ContentStreamKind,
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
function chunkStart(kind: ContentStreamKind, chunk: AguiEvent): AguiEvent | undefined {
  const type = STREAM_KINDS[kind].start;
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
    type: STREAM_KINDS[lane.kind].content,
    [STREAM_KINDS[lane.kind].idField]: lane.id,
    delta: carriesContent ? (text(chunk, "delta") ?? "") : "",
    ...optional("subagentRunId", chunk.subagentRunId ?? lane.start.subagentRunId),
    ...optional("metadata", chunk.metadata),
  };
}
