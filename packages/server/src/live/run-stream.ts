/**
 * One client following one run over SSE: replay from the log, then live from the hub, with no
 * gap and no duplicate at the hand-over, and a bounded buffer towards a slow socket.
 *
 * The invariant that makes the hand-over safe: the stream only ever writes the event whose id
 * is exactly one above the last it wrote (`lastQueued`). Event ids are gap-free, so anything
 * else is either already sent (skipped) or proof that rows are missing (read from the log).
 *
 * - Catch-up: subscribe to the hub *first*, then read the log page by page after `lastQueued`
 *   (waiting for the socket to drain between pages: a replay is pulled, never pushed). Rows the
 *   hub delivers meanwhile wait in `pending` (bounded; on overflow they are dropped and read
 *   from the log instead). When a read comes back short, the stream has everything committed
 *   before that read; `pending` then either continues it exactly (→ live) or a rows-are-missing
 *   gap sends the stream back to the log.
 * - Live: hub rows go straight to the socket. While the socket does not drain they queue; more
 *   than `maxBufferedEvents` or `maxBufferedBytes` (of frames) queued, or no drain for two
 *   heartbeats, disconnects the reader, which resumes from the log with `Last-Event-ID`.
 *   Producers and other readers never wait. Counting bytes as well as events is what bounds
 *   memory: 10,000 events of 235 KiB each are 2.3 GB (issue 16 finding 2).
 * - The stream ends right after writing `RUN_FINISHED`/`RUN_ERROR`, at once when the run is
 *   terminal and the client has seen all of it, when the client goes away, on shutdown, or when
 *   the log cannot be read. Ending always unsubscribes from the hub and detaches every listener.
 */
import type { StoredEvent } from "../store/types.ts";
import type { LiveHub, ReadEvents } from "./hub.ts";
import { eventFrame, isTerminal, PING_FRAME, RETRY_FRAME } from "./sse-frames.ts";

/** What a stream needs of its HTTP response (a `ServerResponse` in production). */
export interface SseSink {
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  on(event: "drain" | "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

export type StreamEndReason =
  | "finished"
  | "seen"
  | "client_closed"
  | "lagging"
  | "shutdown"
  | "read_failed";

export interface RunStreamOptions {
  runPk: number;
  /** Send events with ids above this (Last-Event-ID / after_event_id, else 0). */
  after: number;
  /** The run's latest event id as read when the request arrived. */
  latestEventId: number;
  /** Whether the run was terminal when the request arrived. */
  terminal: boolean;
  hub: LiveHub;
  readEvents: ReadEvents;
  sink: SseSink;
  /** Events a live stream may queue for a socket that does not drain before it is dropped. */
  maxBufferedEvents: number;
  /** Bytes of frames it may queue (and hold as hub rows during catch-up); default 8 MiB. */
  maxBufferedBytes?: number;
  /** Told once per event frame written. */
  onDelivered?: () => void;
  /** Told once when the stream ends, with why. */
  onEnd?: (reason: StreamEndReason) => void;
  /**
   * For streams of other logs than a run's (a conversation's, docs/api.md §8): how a row is
   * framed (default `eventFrame`), whether it ends the stream (default: RUN_FINISHED /
   * RUN_ERROR), and whether ids may have gaps (default false: a run's ids are gap-free; a
   * conversation's lose the frames of deleted runs). With gaps, the hub's rows — read from the
   * log past its cursor, in order — are trusted to be complete instead of checked for a gap.
   */
  frame?: (row: StoredEvent) => string;
  endsStream?: (row: StoredEvent) => boolean;
  gaps?: boolean;
}

type Mode = "catching_up" | "live" | "ended";

/**
 * Most characters of catch-up frames joined into one socket write: enough to turn
 * hundreds of small events into one write, small enough that a write of big events still
 * leaves the socket room to report back-pressure (and to drain) event by event.
 */
const BATCH_CHARS = 64 * 1024;

/** Heartbeats without a single drain after which a blocked reader counts as lagging. */
const STALLED_HEARTBEATS = 2;

export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export class RunStream {
  readonly #o: RunStreamOptions;
  readonly #pageSize: number;
  #mode: Mode = "catching_up";
  #lastQueued: number;
  /** Frames waiting for the socket to drain (index `#head` onwards). */
  #queue: StoredEvent[] = [];
  #head = 0;
  /** Bytes of the frames in `#queue` from `#head` on. */
  #queuedBytes = 0;
  readonly #maxBytes: number;
  #blocked = false;
  #stalledHeartbeats = 0;
  /** Hub rows received during catch-up, ascending; `#pendingOverflow` when some were dropped. */
  #pending: StoredEvent[] = [];
  #pendingBytes = 0;
  #pendingOverflow = false;
  #drainWaiters: (() => void)[] = [];
  #unsubscribe: (() => void) | undefined;
  /** Set when the terminal event has been queued: the stream ends once it is written. */
  #terminalQueued = false;
  /**
   * While a catch-up page is being accepted: its frames not yet written, joined into one socket
   * write per `BATCH_CHARS` (rather than one per event). `#endAfterBatch`: the terminal event
   * is among them, so the stream ends once they are written.
   */
  #batch: string[] | undefined;
  #batchChars = 0;
  #endAfterBatch = false;

  readonly #frame: (row: StoredEvent) => string;
  readonly #ends: (row: StoredEvent) => boolean;
  /** Whether `row` is the next one to send: exactly one above the last (or, with gaps, above it). */
  readonly #follows: (row: StoredEvent) => boolean;

  constructor(options: RunStreamOptions) {
    this.#o = options;
    this.#frame = options.frame ?? eventFrame;
    this.#ends = options.endsStream ?? isTerminal;
    this.#follows = options.gaps
      ? (row) => row.event_id > this.#lastQueued
      : (row) => row.event_id === this.#lastQueued + 1;
    this.#lastQueued = options.after;
    this.#maxBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#pageSize = Math.max(1, Math.min(500, Math.floor(options.maxBufferedEvents / 2)));
  }

  get ended(): boolean {
    return this.#mode === "ended";
  }

  /** Writes the preamble and starts following. Call once, after the response head is written. */
  start(): void {
    const { sink } = this.#o;
    sink.on("drain", this.#onDrain);
    sink.on("close", this.#onClose);
    sink.on("error", this.#onSinkError);
    if (sink.destroyed) {
      // The client left while the request was being checked: its `close` has already fired.
      this.end("client_closed");
      return;
    }
    this.#writeRaw(RETRY_FRAME);
    if (this.#o.terminal && this.#o.after >= this.#o.latestEventId) {
      this.end("seen");
      return;
    }
    this.#unsubscribe = this.#o.hub.subscribe(this.#o.runPk, this.#o.latestEventId, {
      onEvents: (rows) => this.#fromHub(rows),
      onError: () => this.end("read_failed"),
    });
    void this.#catchUp();
  }

  /** Called by the registry every heartbeat interval. */
  heartbeat(): void {
    if (this.ended) return;
    if (this.#blocked) {
      if (++this.#stalledHeartbeats >= STALLED_HEARTBEATS) this.end("lagging");
      return;
    }
    this.#writeRaw(PING_FRAME);
  }

  /** Ends the stream (idempotent). Frames already written stay complete. */
  end(reason: StreamEndReason): void {
    if (this.ended) return;
    this.#mode = "ended";
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const { sink } = this.#o;
    sink.off("drain", this.#onDrain);
    sink.off("close", this.#onClose);
    // The error listener stays: a late socket error must not become an uncaught exception.
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#pending = [];
    this.#pendingBytes = 0;
    for (const wake of this.#drainWaiters.splice(0)) wake();
    if (!sink.destroyed && !sink.writableEnded) {
      // A socket that does not drain would hold `end()` forever: drop it instead.
      if (this.#blocked || reason === "lagging") sink.destroy();
      else sink.end();
    }
    this.#o.onEnd?.(reason);
  }

  // ── catch-up from the log ──────────────────────────────────────────────────────────────

  async #catchUp(): Promise<void> {
    this.#mode = "catching_up";
    try {
      for (;;) {
        if (this.#blocked) await this.#drained();
        if (this.ended) return;
        const rows = await this.#o.readEvents(this.#o.runPk, this.#lastQueued, this.#pageSize);
        if (this.ended) return;
        const first = rows[0];
        if (first && !this.#follows(first)) {
          throw new Error(
            `run ${this.#o.runPk}: log read after ${this.#lastQueued} began at ${first.event_id}`,
          );
        }
        this.#acceptPage(rows);
        if (this.ended) return;
        if (this.#terminalQueued || rows.length === this.#pageSize || this.#blocked) continue;
        // Everything committed before that read is queued. Continue with what the hub sent.
        if (this.#takePending()) {
          this.#mode = "live";
          return;
        }
      }
    } catch {
      this.end("read_failed");
    }
  }

  /** Queues pending hub rows if they continue the stream exactly; false if rows are missing. */
  #takePending(): boolean {
    const overflowed = this.#pendingOverflow;
    const pending = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#pendingOverflow = false;
    if (overflowed) return false;
    for (const row of pending) {
      if (row.event_id <= this.#lastQueued) continue;
      if (!this.#follows(row)) return false;
      this.#accept(row);
    }
    return true;
  }

  // ── live rows from the hub ─────────────────────────────────────────────────────────────

  #fromHub(rows: readonly StoredEvent[]): void {
    if (this.ended) return;
    const last = rows[rows.length - 1];
    if (last && this.#ends(last) && last.event_id <= this.#lastQueued) {
      // The run ended at or below what this client has seen: nothing more will come.
      this.end("seen");
      return;
    }
    if (this.#mode === "catching_up") {
      if (this.#pendingOverflow) return;
      for (const row of rows) {
        const newest = this.#pending[this.#pending.length - 1]?.event_id ?? this.#lastQueued;
        if (row.event_id > newest) {
          this.#pending.push(row);
          this.#pendingBytes += this.#frameBytes(row);
        }
      }
      if (this.#pending.length > this.#o.maxBufferedEvents || this.#pendingBytes > this.#maxBytes) {
        this.#pending = [];
        this.#pendingBytes = 0;
        this.#pendingOverflow = true;
      }
      return;
    }
    for (const row of rows) {
      if (row.event_id <= this.#lastQueued) continue;
      if (!this.#follows(row)) {
        // Rows are missing (should not happen with a healthy hub): read them from the log.
        void this.#catchUp();
        this.#fromHub(rows);
        return;
      }
      this.#accept(row);
      if (this.ended) return;
      if (this.#queueLength() > this.#o.maxBufferedEvents || this.#queuedBytes > this.#maxBytes) {
        this.end("lagging");
        return;
      }
    }
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────

  /**
   * Accepts a page read from the log, writing its frames in chunks of up to `BATCH_CHARS`.
   * Once the socket is full the rest of the page is read again after the drain rather than
   * queued: a replay never holds more than the page it is writing.
   */
  #acceptPage(rows: readonly StoredEvent[]): void {
    this.#batch = [];
    this.#batchChars = 0;
    try {
      for (const row of rows) {
        if (this.#blocked) break;
        this.#accept(row);
      }
    } finally {
      this.#flushBatch();
      this.#batch = undefined;
    }
    if (this.#endAfterBatch) this.end("finished");
  }

  #flushBatch(): void {
    const batch = this.#batch;
    if (!batch || batch.length === 0) return;
    this.#batch = [];
    this.#batchChars = 0;
    this.#writeRaw(batch.length === 1 ? batch[0]! : batch.join(""));
  }

  /** Takes the next event (id `lastQueued + 1`): writes it, or queues it behind a full socket. */
  #accept(row: StoredEvent): boolean {
    if (this.ended || this.#terminalQueued) return false;
    if (!this.#follows(row)) return false;
    this.#lastQueued = row.event_id;
    if (this.#ends(row)) this.#terminalQueued = true;
    if (this.#blocked) {
      this.#queue.push(row);
      this.#queuedBytes += this.#frameBytes(row);
    } else this.#writeEvent(row);
    return true;
  }

  #writeEvent(row: StoredEvent): void {
    if (this.#batch) {
      const frame = this.#frame(row);
      this.#batch.push(frame);
      this.#batchChars += frame.length;
      this.#o.onDelivered?.();
      if (this.#ends(row)) this.#endAfterBatch = true;
      else if (this.#batchChars >= BATCH_CHARS) this.#flushBatch();
      return;
    }
    this.#writeRaw(this.#frame(row));
    this.#o.onDelivered?.();
    if (this.#ends(row)) this.end("finished");
  }

  /** The bytes a row's frame takes on the wire (the frame is memoised and shared). */
  #frameBytes(row: StoredEvent): number {
    return Buffer.byteLength(this.#frame(row));
  }

  #writeRaw(frame: string): void {
    if (!this.#o.sink.write(frame)) this.#blocked = true;
  }

  #queueLength(): number {
    return this.#queue.length - this.#head;
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  readonly #onDrain = (): void => {
    this.#blocked = false;
    this.#stalledHeartbeats = 0;
    while (!this.#blocked && this.#head < this.#queue.length && !this.ended) {
      const row = this.#queue[this.#head++]!;
      this.#queuedBytes -= this.#frameBytes(row);
      this.#writeEvent(row);
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    if (!this.#blocked) for (const wake of this.#drainWaiters.splice(0)) wake();
  };

  readonly #onClose = (): void => this.end("client_closed");

  readonly #onSinkError = (): void => this.end("client_closed");
}
