/**
 * Following a run live (docs/api.md §4.5): an async iterator over `GET …/stream` that
 *
 * - parses SSE with `eventsource-parser`;
 * - tracks the last event id and ignores ids at or below it, so nothing is yielded twice;
 * - demands ids that follow on without a gap (a gap is treated like a broken connection and
 *   the stream resumes from the last id), so nothing is skipped;
 * - reconnects with `Last-Event-ID` after any network error, idle silence, transient error
 *   answer or close before the terminal event, waiting a capped, jittered exponential backoff
 *   (reset whenever a connection delivered something new);
 * - ends right after `RUN_FINISHED` / `RUN_ERROR` (or when the log it resumed after is already
 *   complete), and rejects with the signal's reason when the caller aborts;
 * - with `fromSnapshot`, first yields `GET …/snapshot` and then streams after its
 *   `after_event_id`.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import type { AgentRunRecord, AguiEvent, RunSnapshot } from "./contract.ts";
import { RunlineConnectionError, RunlineError } from "./errors.ts";
import { abortReason, type LinkedSignal, sleep } from "./signals.ts";
import { type OpenResponse, type Transport, translate } from "./transport.ts";

export interface StreamOptions {
  /** Start after this event id (default: from the beginning of the log). */
  afterEventId?: number;
  /** First yield the run's snapshot, then stream after its `after_event_id` (wins over `afterEventId`). */
  fromSnapshot?: boolean;
  signal?: AbortSignal;
  /** Delays between reconnects (defaults: 250 ms first window, 10 s cap). */
  reconnect?: ReconnectOptions;
  /** Reconnect when nothing (not even a `: ping`) arrived for this long (default 45 000 ms). */
  idleTimeoutMs?: number;
  /** Give up waiting for a response head after this long (default: the client's timeout). */
  timeoutMs?: number;
}

export interface ReconnectOptions extends BackoffOptions {
  /** Consecutive attempts without progress before the last error is thrown (default: no limit). */
  maxAttempts?: number;
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
const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

/** Whether this event ends the run's log. */
export const isTerminalEvent = (type: string): boolean => TERMINAL_TYPES.has(type);

/** Thrown inside a connection to make the loop resume from the last id. */
class ResumeSignal extends Error {}

/** Follows the run at `runPath` (`/conversations/{cid}/runs/{run_id}`). */
export async function* followRun(
  transport: Transport,
  runPath: string,
  options: StreamOptions = {},
): AsyncGenerator<StreamedEvent, void, undefined> {
  const { signal } = options;
  const backoff = new Backoff(options.reconnect);
  const maxAttempts = options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY;
  let last = Math.max(0, options.afterEventId ?? 0);

  if (options.fromSnapshot) {
    const snapshot = await retrying(
      () => transport.json<RunSnapshot>("GET", `${runPath}/snapshot`, { signal }),
      backoff,
      maxAttempts,
      signal,
    );
    for (const entry of snapshot.events) {
      yield entry;
      if (isTerminalEvent(entry.event.type)) return;
    }
    last = snapshot.after_event_id;
    backoff.reset();
  }

  for (;;) {
    signal?.throwIfAborted();
    const before = last;
    let failure: unknown;
    let opened: OpenResponse | undefined;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      opened = await transport.open("GET", `${runPath}/stream`, {
        signal,
        timeoutMs: options.timeoutMs,
        headers: last > 0 ? { "last-event-id": String(last) } : {},
      });
      const { response, connection } = opened;
      const contentType = response.headers.get("content-type") ?? "";
      if (!contentType.includes("text/event-stream") || !response.body) {
        throw new TypeError(`Expected an SSE stream, got "${contentType || "no content type"}"`);
      }
      reader = response.body.getReader();
      const frames: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (frame) => frames.push(frame) });
      const decoder = new TextDecoder();
      const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
      const idle = new IdleTimer(idleMs, () =>
        connection.abort(new RunlineConnectionError(`Stream silent for ${idleMs} ms`, true)),
      );
      try {
        for (;;) {
          const { done, value } = await read(reader, connection, signal);
          if (done) break;
          idle.touch();
          parser.feed(decoder.decode(value, { stream: true }));
          for (const frame of frames.splice(0)) {
            const item = parseFrame(frame);
            if (item === undefined || item.event_id <= last) continue;
            if (item.event_id !== last + 1) throw new ResumeSignal("gap in event ids");
            last = item.event_id;
            yield item;
            if (isTerminalEvent(item.event_type)) return;
          }
        }
      } finally {
        idle.stop();
      }
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      if (!isResumable(error)) throw error;
      failure = error;
    } finally {
      opened?.connection.abort(new RunlineConnectionError("Stream closed by the client", false));
      opened?.connection.dispose();
      reader?.cancel().catch(() => {});
    }

    if (last > before) {
      backoff.reset();
    } else {
      // No progress: a terminal run we have fully seen closes at once (docs/api.md §4.5).
      if (failure === undefined && (await logIsComplete(transport, runPath, last, signal))) return;
      if (backoff.failures + 1 >= maxAttempts)
        throw failure ?? new RunlineConnectionError("Stream closed without progress", false);
    }
    await sleep(delayFor(failure, backoff), signal);
  }
}

/** The next chunk; a failure to read it is a connection error (or the caller's abort). */
async function read(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  connection: LinkedSignal,
  signal: AbortSignal | undefined,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  try {
    return await reader.read();
  } catch (error) {
    throw translate(error, signal, connection);
  }
}

/** An SSE frame as a log event; undefined for frames without a numeric id (none expected). */
function parseFrame(frame: EventSourceMessage): (StreamedEvent & { event_id: number }) | undefined {
  if (frame.id === undefined || !/^\d+$/.test(frame.id)) return undefined;
  const event = JSON.parse(frame.data) as AguiEvent;
  return { event_id: Number(frame.id), event_type: String(event.type), event };
}

/** Connection trouble, a gap, or a server answer worth retrying. */
function isResumable(error: unknown): boolean {
  if (error instanceof RunlineError) return error.transient;
  return error instanceof RunlineConnectionError || error instanceof ResumeSignal;
}

function delayFor(failure: unknown, backoff: Backoff): number {
  const delay = backoff.next();
  if (failure instanceof RunlineError && failure.retryAfterSeconds !== undefined) {
    return Math.max(delay, failure.retryAfterSeconds * 1000);
  }
  return delay;
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

/** Runs `operation`, retrying resumable failures with backoff. */
async function retrying<T>(
  operation: () => Promise<T>,
  backoff: Backoff,
  maxAttempts: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (signal?.aborted || !isResumable(error) || backoff.failures + 1 >= maxAttempts) {
        throw error;
      }
      await sleep(delayFor(error, backoff), signal);
    }
  }
}

/** Calls `onIdle` when `touch` was not called for `ms`. */
class IdleTimer {
  private timer: ReturnType<typeof setTimeout>;
  private readonly ms: number;
  private readonly onIdle: () => void;

  constructor(ms: number, onIdle: () => void) {
    this.ms = ms;
    this.onIdle = onIdle;
    this.timer = setTimeout(onIdle, ms);
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onIdle, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
