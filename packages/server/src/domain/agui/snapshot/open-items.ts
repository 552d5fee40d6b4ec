/**
 * Snapshot stage 3: what is still open — the open/close bookkeeping of the client's
 * `verifyEvents`, keeping each opener's event (and an open stream's content since it opened) so
 * that the snapshot can re-open it.
 */
import {
  type ContentStreamKind,
  STREAM_KINDS,
  type StreamPhase,
  streamEventOf,
} from "../stream-kinds.ts";
import type { AguiEvent, LoggedEvent } from "../types.ts";
import { type Metadata, mergeMetadata, metadataOf, text } from "./events.ts";

/**
 * An open text message, tool call or reasoning message, with what the snapshot re-emits for it.
 * (Not the verifier's `OpenStream`, which is the stored record of an open stream's id and tags.)
 */
export interface PendingStream {
  kind: ContentStreamKind;
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

export interface Subagent {
  started: LoggedEvent;
  ended: LoggedEvent | undefined;
}

/** The open/close bookkeeping of the client's `verifyEvents`, keeping each opener's event. */
export class OpenItems {
  readonly streams: Record<ContentStreamKind, Map<string, PendingStream>> = {
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
    const stream = streamEventOf(event.type);
    if (stream !== undefined && stream.kind !== "reasoningSpan") {
      this.trackStream(stream.kind, stream.phase, event, entry);
      return;
    }
    if (entry === undefined) return;
    const owner = text(event, "subagentRunId");
    if (stream !== undefined) {
      // A reasoning span carries no content: only its opener is kept.
      const id = text(event, STREAM_KINDS.reasoningSpan.idField) ?? "";
      if (stream.phase === "start") this.spans.set(id, entry);
      else this.spans.delete(id);
      return;
    }
    switch (event.type) {
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

  allStreams(): PendingStream[] {
    return [
      ...this.streams.text.values(),
      ...this.streams.tool.values(),
      ...this.streams.reasoning.values(),
    ];
  }

  private trackStream(
    kind: ContentStreamKind,
    phase: StreamPhase,
    event: AguiEvent,
    entry: LoggedEvent | undefined,
  ): void {
    const id = text(event, STREAM_KINDS[kind].idField) ?? "";
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

export function emptyContent(): Pick<PendingStream, "hasContent" | "delta" | "metadata"> {
  return { hasContent: false, delta: "", metadata: undefined };
}
