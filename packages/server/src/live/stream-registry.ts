/**
 * Every open SSE stream of this instance: admission limits, the shared heartbeat, shutdown.
 *
 * - A stream reserves a slot (`admit`) before any I/O: over `maxStreams` → 503 `unavailable`,
 *   over `maxStreamsPerCredential` for its credential or `maxStreamsPerProject` for its
 *   project (so one tenant cannot take every slot) → 429 `rate_limited`, all with
 *   Retry-After; while shutting down → 503.
 * - One interval timer, running only while streams are open, sends every stream its heartbeat.
 * - `closeAll()` ends every stream (clients resume elsewhere with Last-Event-ID) and refuses
 *   new ones; it resolves when all slots are free.
 */
import { Problems } from "../errors.ts";
import type { StreamEndReason } from "./run-stream.ts";

export interface RegisteredStream {
  heartbeat(): void;
  end(reason: StreamEndReason): void;
}

export interface StreamLimits {
  maxStreams: number;
  maxStreamsPerCredential: number;
  maxStreamsPerProject: number;
  heartbeatMs: number;
}

/** A reserved slot; `release` frees it (idempotent). */
export interface StreamSlot {
  /** Binds the started stream to the slot (heartbeats, shutdown). */
  attach(stream: RegisteredStream): void;
  release(): void;
}

/** Seconds a refused client is asked to wait (matches the streams' `retry: 2000`). */
const RETRY_AFTER_SECONDS = 2;

export class StreamRegistry {
  readonly #limits: StreamLimits;
  readonly #perCredential = new Map<string, number>();
  readonly #perProject = new Map<string, number>();
  readonly #streams = new Set<RegisteredStream>();
  #slots = 0;
  #closing = false;
  #ticker: NodeJS.Timeout | undefined;
  #idleWaiters: (() => void)[] = [];
  /** Told whenever the number of open slots changes (the open-streams gauge). */
  onCountChange: ((open: number) => void) | undefined;

  constructor(limits: StreamLimits) {
    this.#limits = limits;
  }

  /** Open (or opening) streams. */
  get openCount(): number {
    return this.#slots;
  }

  /** Whether the heartbeat timer is running (only while streams are attached). */
  get heartbeatActive(): boolean {
    return this.#ticker !== undefined;
  }

  /** Reserves a slot for `credential` of `project`, or throws the problem to answer with. */
  admit(credential: string, project: string): StreamSlot {
    if (this.#closing) {
      throw Problems.unavailable("The server is shutting down; reconnect", RETRY_AFTER_SECONDS);
    }
    if (this.#slots >= this.#limits.maxStreams) {
      throw Problems.unavailable(
        "Too many open streams on this server; retry shortly",
        RETRY_AFTER_SECONDS,
      );
    }
    const mine = this.#perCredential.get(credential) ?? 0;
    if (mine >= this.#limits.maxStreamsPerCredential) {
      throw Problems.rateLimited(
        RETRY_AFTER_SECONDS,
        `This credential already has ${mine} open streams (the limit)`,
      );
    }
    const ours = this.#perProject.get(project) ?? 0;
    if (ours >= this.#limits.maxStreamsPerProject) {
      throw Problems.rateLimited(
        RETRY_AFTER_SECONDS,
        `This project already has ${ours} open streams on this server (the limit)`,
      );
    }
    this.#perCredential.set(credential, mine + 1);
    this.#perProject.set(project, ours + 1);
    this.#slots++;
    this.onCountChange?.(this.#slots);
    let stream: RegisteredStream | undefined;
    let released = false;
    return {
      attach: (s) => {
        if (released) return;
        stream = s;
        this.#streams.add(s);
        this.#startTicker();
        if (this.#closing) s.end("shutdown");
      },
      release: () => {
        if (released) return;
        released = true;
        if (stream) this.#streams.delete(stream);
        decrement(this.#perCredential, credential);
        decrement(this.#perProject, project);
        this.#slots--;
        this.onCountChange?.(this.#slots);
        if (this.#streams.size === 0) this.#stopTicker();
        if (this.#slots === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
      },
    };
  }

  /** Resolves when no stream is open (at once if none is). */
  whenIdle(): Promise<void> {
    if (this.#slots === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Ends every stream and refuses new ones; resolves when every slot is free. */
  async closeAll(): Promise<void> {
    this.#closing = true;
    for (const stream of [...this.#streams]) stream.end("shutdown");
    await this.whenIdle();
  }

  #startTicker(): void {
    if (this.#ticker) return;
    this.#ticker = setInterval(() => {
      for (const stream of [...this.#streams]) stream.heartbeat();
    }, this.#limits.heartbeatMs);
    this.#ticker.unref();
  }

  #stopTicker(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
