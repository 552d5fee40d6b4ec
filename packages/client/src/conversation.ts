/**
 * A handle on one conversation: following everything that happens in it over ONE connection
 * (docs/api.md §8, `GET /conversations/{cid}/stream`) — every event of every run, those that
 * exist and those created later, and the lifecycle frames between them (runs created and
 * changing status, input requests and interrupts opening and closing).
 *
 * The stream is the shared resumable follower (`sse.ts`): frames come exactly once, in
 * conversation order, across reconnects (`Last-Event-ID`). Unlike a run's log, the
 * conversation's ids may skip (frames of deleted runs go with them), so a gap is not a loss;
 * and the stream never ends by itself — it ends when the caller aborts or breaks out.
 */
import type {
  AguiEvent,
  Conversation,
  ConversationFrame,
  ConversationLifecycleType,
} from "./contract.ts";
import { type FollowOptions, followSse, type SseFrame } from "./sse.ts";
import { path, type RequestOptions, type Transport } from "./transport.ts";

export interface FollowConversationOptions extends FollowOptions {
  /** Start after this conversation event id (default: from the conversation's first frame). */
  after?: number;
}

/** Where a lifecycle frame's record goes on the yielded frame, by its `event:` name. */
const LIFECYCLE_FIELDS: Record<ConversationLifecycleType, "run" | "input_request" | "interrupt"> = {
  "run.created": "run",
  "run.status": "run",
  "input_request.created": "input_request",
  "input_request.submitted": "input_request",
  "input_request.cancelled": "input_request",
  "input_request.expired": "input_request",
  "interrupt.opened": "interrupt",
  "interrupt.closed": "interrupt",
};

export class ConversationHandle {
  readonly conversationId: string;
  private readonly transport: Transport;
  private readonly base: string;

  constructor(transport: Transport, conversationId: string) {
    this.transport = transport;
    this.conversationId = conversationId;
    this.base = path`/conversations/${conversationId}`;
  }

  /** The conversation record. */
  get(options?: RequestOptions): Promise<Conversation> {
    return this.transport.json("GET", this.base, options);
  }

  /**
   * Follows the conversation live: replays its frames after `after`, then yields new ones as
   * they commit, resuming by itself after dropped connections. Never ends on its own: abort
   * the signal or `break` to stop.
   */
  follow(options: FollowConversationOptions = {}): AsyncGenerator<ConversationFrame, void> {
    return followSse(this.transport, {
      path: `${this.base}/stream`,
      after: options.after ?? 0,
      options,
      decode: decodeFrame,
    });
  }
}

/** A conversation frame; undefined for a lifecycle name this client does not know yet. */
export function decodeFrame(frame: SseFrame): ConversationFrame | undefined {
  const data = JSON.parse(frame.data) as Record<string, unknown>;
  const run_id = String(data.run_id);
  const field = Object.hasOwn(LIFECYCLE_FIELDS, frame.event)
    ? LIFECYCLE_FIELDS[frame.event as ConversationLifecycleType]
    : undefined;
  if (field !== undefined) {
    return {
      id: frame.id,
      type: frame.event,
      run_id,
      [field]: data,
    } as unknown as ConversationFrame;
  }
  if (typeof data.event_id !== "number" || typeof data.event !== "object" || !data.event) {
    return undefined;
  }
  const event = data.event as AguiEvent;
  return {
    id: frame.id,
    type: "event",
    run_id,
    event_id: data.event_id,
    event_type: String(event.type),
    event,
  };
}
