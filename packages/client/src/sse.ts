/**
 * The resumable SSE follower both live streams share — a run's (`…/runs/{id}/stream`, §4.5)
 * and a conversation's (`/conversations/{cid}/stream`, §8). It
 *
 * - parses SSE with `eventsource-parser`;
 * - tracks the last frame id and ignores ids at or below it, so nothing is yielded twice;
 * - reconnects with `Last-Event-ID` after any network error, idle silence, transient error
 *   answer, close, or a frame the decoder refuses (`ResumeSignal`), waiting a capped, jittered
 *   exponential backoff (reset whenever a connection delivered something new);
 * - rejects with the signal's reason when the caller aborts.
 *
 * What a frame means, when the stream is over and whether ids must follow on without a gap
 * are the caller's (`SseFollow`).
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { RunlineConnectionError, RunlineError } from "./errors.ts";
import { abortReason, type LinkedSignal, sleep } from "./signals.ts";
import { type OpenResponse, type Transport, translate } from "./transport.ts";

/** What every live follow accepts. */
export interface FollowOptions {
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

/** An SSE frame with a numeric id (frames without one carry nothing to resume from). */
export interface SseFrame {
  id: number;
  /** The `event:` name ("message" when absent). */
  event: string;
  data: string;
}

/** How one stream is followed. */
export interface SseFollow<T> {
  /** The `…/stream` path. */
  path: string;
  /** Start after this id (0: from the beginning). */
  after: number;
  options: FollowOptions;
  /**
   * The item for a frame whose id is above the last one (`undefined` skips it, still moving
   * past its id). Throw `ResumeSignal` to drop the connection and resume from `last`.
   */
  decode(frame: SseFrame, last: number): T | undefined;
  /** Whether the stream is over once this item was yielded (default: never). */
  isLast?(item: T): boolean;
  /** After a connection closed cleanly without progress: whether nothing more can come. */
  exhausted?(last: number, signal: AbortSignal | undefined): Promise<boolean>;
}

const DEFAULT_IDLE_TIMEOUT_MS = 45_000;

/** Thrown by a decoder (or inside a connection) to make the loop resume from the last id. */
export class ResumeSignal extends Error {}

/** Follows `spec.path`, yielding decoded items exactly once, in id order. */
export async function* followSse<T>(
  transport: Transport,
  spec: SseFollow<T>,
): AsyncGenerator<T, void, undefined> {
  const { signal } = spec.options;
  const backoff = new Backoff(spec.options.reconnect);
  const maxAttempts = maxAttemptsOf(spec.options);
  let last = Math.max(0, spec.after);

  for (;;) {
    signal?.throwIfAborted();
    const before = last;
    let failure: unknown;
    let opened: OpenResponse | undefined;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      opened = await transport.open("GET", spec.path, {
        signal,
        timeoutMs: spec.options.timeoutMs,
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
      const idleMs = spec.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
      const idle = new IdleTimer(idleMs, () =>
        connection.abort(new RunlineConnectionError(`Stream silent for ${idleMs} ms`, true)),
      );
      try {
        for (;;) {
          const { done, value } = await read(reader, connection, signal);
          if (done) break;
          idle.touch();
          parser.feed(decoder.decode(value, { stream: true }));
          for (const message of frames.splice(0)) {
            if (message.id === undefined || !/^\d+$/.test(message.id)) continue;
            const frame = {
              id: Number(message.id),
              event: message.event ?? "message",
              data: message.data,
            };
            if (frame.id <= last) continue;
            const item = spec.decode(frame, last);
            last = frame.id;
            if (item === undefined) continue;
            yield item;
            if (spec.isLast?.(item)) return;
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
      if (failure === undefined && (await spec.exhausted?.(last, signal))) return;
      if (backoff.failures + 1 >= maxAttempts)
        throw failure ?? new RunlineConnectionError("Stream closed without progress", false);
    }
    await sleep(delayFor(failure, backoff), signal);
  }
}

export const maxAttemptsOf = (options: FollowOptions): number =>
  options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY;

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

/** Connection trouble, a refused frame, or a server answer worth retrying. */
export function isResumable(error: unknown): boolean {
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

/** Runs `operation`, retrying resumable failures with the follow's backoff. */
export async function retrying<T>(operation: () => Promise<T>, options: FollowOptions): Promise<T> {
  const backoff = new Backoff(options.reconnect);
  const maxAttempts = maxAttemptsOf(options);
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (options.signal?.aborted || !isResumable(error) || backoff.failures + 1 >= maxAttempts) {
        throw error;
      }
      await sleep(delayFor(error, backoff), options.signal);
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
