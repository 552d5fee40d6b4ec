/**
 * Following a run live (docs/api.md §4.5): an async iterator over `GET …/stream` (the shared
 * resumable follower, `sse.ts`: no id twice, reconnects with `Last-Event-ID`, backoff) that
 *
 * - demands ids that follow on without a gap (a gap is treated like a broken connection and
 *   the stream resumes from the last id), so nothing is skipped;
 * - ends right after `RUN_FINISHED` / `RUN_ERROR` (or when the log it resumed after is already
 *   complete), and rejects with the signal's reason when the caller aborts;
 * - with `fromSnapshot`, first yields `GET …/snapshot` and then streams after its
 *   `after_event_id`.
 */
import type { AgentRunRecord, AguiEvent, RunSnapshot } from "./contract.ts";
import {
  type FollowOptions,
  followSse,
  isResumable,
  ResumeSignal,
  retrying,
  type SseFrame,
} from "./sse.ts";
import type { Transport } from "./transport.ts";

export interface StreamOptions extends FollowOptions {
  /** Start after this event id (default: from the beginning of the log). */
  afterEventId?: number;
  /** First yield the run's snapshot, then stream after its `after_event_id` (wins over `afterEventId`). */
  fromSnapshot?: boolean;
}

/**
 * One event of the run. `event_id` is the log id; it is null only for the `MESSAGES_SNAPSHOT`
 * and `STATE_SNAPSHOT` a snapshot synthesises.
 */
export interface StreamedEvent {
  event_id: number | null;
  event_type: string;
  event: AguiEvent;
}

const TERMINAL_TYPES = new Set(["RUN_FINISHED", "RUN_ERROR"]);
const TERMINAL_STATUSES = new Set(["completed", "failed", "cancelled"]);

/** Whether this event ends the run's log. */
export const isTerminalEvent = (type: string): boolean => TERMINAL_TYPES.has(type);

/** Follows the run at `runPath` (`/conversations/{cid}/runs/{run_id}`). */
export async function* followRun(
  transport: Transport,
  runPath: string,
  options: StreamOptions = {},
): AsyncGenerator<StreamedEvent, void, undefined> {
  const { signal } = options;
  let after = options.afterEventId ?? 0;

  if (options.fromSnapshot) {
    const snapshot = await retrying(
      () => transport.json<RunSnapshot>("GET", `${runPath}/snapshot`, { signal }),
      options,
    );
    for (const entry of snapshot.events) {
      yield entry;
      if (isTerminalEvent(entry.event.type)) return;
    }
    after = snapshot.after_event_id;
  }

  yield* followSse(transport, {
    path: `${runPath}/stream`,
    after,
    options,
    decode: decodeEvent,
    isLast: (item) => isTerminalEvent(item.event_type),
    // No progress: a terminal run we have fully seen closes at once (docs/api.md §4.5).
    exhausted: (last) => logIsComplete(transport, runPath, last, signal),
  });
}

/** A frame as a log event; an id that skips one makes the stream resume instead. */
function decodeEvent(frame: SseFrame, last: number): StreamedEvent {
  if (frame.id !== last + 1) throw new ResumeSignal("gap in event ids");
  const event = JSON.parse(frame.data) as AguiEvent;
  return { event_id: frame.id, event_type: String(event.type), event };
}

/** Whether the run has ended and its log holds nothing after `last`. */
async function logIsComplete(
  transport: Transport,
  runPath: string,
  last: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  try {
    const run = await transport.json<AgentRunRecord>("GET", runPath, { signal });
    return TERMINAL_STATUSES.has(run.status) && run.latest_event_id <= last;
  } catch (error) {
    if (signal?.aborted || !isResumable(error)) throw error;
    return false;
  }
}
