/**
 * A handle on one run, addressed through its conversation, for producers and readers.
 *
 * `append` keeps both optimistic cursors (`latest_event_id`, `latest_external_event_sequence`)
 * itself: taken from the run record, then from every append answer. Each request carries the
 * cursors it expects, and after a timeout, dropped connection or transient error answer the
 * SAME batch is resent with the SAME cursors — the server recognises a batch it already
 * committed (wholly or a prefix) and answers `duplicate: true` or appends only the rest
 * (docs/api.md §4.3), so nothing is lost or doubled. Calls on one handle run one after another,
 * in call order.
 *
 * Cursors never jump over events another producer wrote: an `event_cursor_conflict` is
 * thrown as `EventCursorConflictError` carrying the server's cursors. The one conflict
 * resolved without the caller is the harmless one: only server-written events (RUN_STARTED,
 * tool results) came in between — the external sequence is still ours, so our batch is
 * certainly not stored — and the batch is resent after them.
 */
import { Backoff, type BackoffOptions } from "./backoff.ts";
import {
  type Batch,
  batchBody,
  DEFAULT_MAX_BATCH_BYTES,
  type ExpectedCursors,
  MAX_EVENTS_PER_REQUEST,
  serialiseEvents,
  splitBatches,
} from "./batches.ts";
import type {
  AgentRunRecord,
  AguiEvent,
  AppendEventsResult,
  CancelResult,
  CancelRunInput,
  ChildrenParams,
  CompleteResult,
  CompleteRunInput,
  EventListParams,
  EventWriterToken,
  LoggedEvent,
  Page,
  RunReply,
  RunSnapshot,
  ToolResultInput,
  ToolResultReply,
  WaitInput,
} from "./contract.ts";
import { EventCursorConflictError, RunlineConnectionError, RunlineError } from "./errors.ts";
import { sleep } from "./signals.ts";
import { followRun, type StreamedEvent, type StreamOptions } from "./stream.ts";
import { path, type RequestOptions, type Transport } from "./transport.ts";

export type Cursors = ExpectedCursors;

export interface RunHandleOptions {
  /** The run record, when the caller has it: its cursors seed `append` (no extra request). */
  record?: AgentRunRecord;
  /** Known cursors (e.g. handed to a sandbox with its event-writer token, which cannot read). */
  cursors?: Cursors;
  /** Events per request, at most 100 (default 100). */
  maxBatchEvents?: number;
  /** Request body cap in bytes (default 1 MiB). */
  maxBatchBytes?: number;
  /** Retries of one batch after transient failures. */
  retry?: RetryOptions;
  /** Per-request timeout for appends (default: the client's). */
  timeoutMs?: number;
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts per batch, the first included (default 8). */
  attempts?: number;
}

export interface AppendOptions {
  signal?: AbortSignal;
}

export interface AppendOutcome {
  /** Events of this call now stored: all of them. */
  stored: number;
  /** Requests sent, retries included. */
  requests: number;
  /** The run after the last request (undefined when nothing was sent or known). */
  run: AgentRunRecord | undefined;
  latestEventId: number;
  latestExternalEventSequence: number;
}

export class RunHandle {
  readonly conversationId: string;
  readonly runId: string;
  private readonly transport: Transport;
  private readonly options: RunHandleOptions;
  private readonly base: string;
  private current: Cursors | undefined;
  private lastRecord: AgentRunRecord | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    transport: Transport,
    conversationId: string,
    runId: string,
    options: RunHandleOptions = {},
  ) {
    this.transport = transport;
    this.conversationId = conversationId;
    this.runId = runId;
    this.options = options;
    this.base = path`/conversations/${conversationId}/runs/${runId}`;
    if (options.cursors) this.current = { ...options.cursors };
    if (options.record) this.observe(options.record);
  }

  /** The cursors the next append will expect (undefined until known). */
  get cursors(): Cursors | undefined {
    return this.current && { ...this.current };
  }

  /** The latest run record this handle saw. */
  get record(): AgentRunRecord | undefined {
    return this.lastRecord;
  }

  /**
   * Appends events in order, split into ≤100-event requests under the byte cap; resolves once
   * every one is stored. Rejects with `EventCursorConflictError` when another producer
   * appended meanwhile, and with the other `RunlineError`s and `RunlineConnectionError`s as
   * they come (after retrying transient ones); the error's `appended` tells how many of these
   * events were stored before it.
   */
  append(events: readonly AguiEvent[], options: AppendOptions = {}): Promise<AppendOutcome> {
    const batches = splitBatches(
      serialiseEvents(events),
      this.options.maxBatchEvents ?? MAX_EVENTS_PER_REQUEST,
      this.options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
    );
    return this.serialised(() => this.appendBatches(batches, events.length, options));
  }

  /** Reads the run record and takes its cursors: the explicit resync after a conflict. */
  refresh(options: RequestOptions = {}): Promise<AgentRunRecord> {
    return this.serialised(async () => {
      const record = await this.get(options);
      this.current = cursorsOf(record);
      this.lastRecord = record;
      return record;
    });
  }

  /** Takes the server's cursors from a conflict (the caller has decided to go on after them). */
  adoptConflict(conflict: EventCursorConflictError): void {
    this.current = {
      latestEventId: conflict.latestEventId,
      latestExternalEventSequence: conflict.latestExternalEventSequence,
    };
  }

  /** The agent run record. */
  async get(options?: RequestOptions): Promise<AgentRunRecord> {
    return this.seen(await this.transport.json<AgentRunRecord>("GET", this.base, options));
  }

  /** A page of the log (ascending by event id). */
  events(params: EventListParams = {}, options?: RequestOptions): Promise<Page<LoggedEvent>> {
    return this.transport.json("GET", `${this.base}/events`, { ...options, query: params });
  }

  /** Every logged event after `afterEventId` (default 0), page by page. */
  async *allEvents(afterEventId = 0, options?: RequestOptions): AsyncGenerator<LoggedEvent> {
    let after = afterEventId;
    for (;;) {
      const page = await this.events({ after_event_id: after, limit: 500 }, options);
      yield* page.data;
      const last = page.data[page.data.length - 1];
      if (page.page_info.next === null || last === undefined) return;
      after = last.event_id;
    }
  }

  /** A compact picture of the run (docs/api.md §4.4). */
  snapshot(options?: RequestOptions): Promise<RunSnapshot> {
    return this.transport.json("GET", `${this.base}/snapshot`, options);
  }

  /** Follows the run live; see `StreamOptions`. */
  stream(options: StreamOptions = {}): AsyncGenerator<StreamedEvent, void, undefined> {
    return followRun(this.transport, this.base, options);
  }

  async complete(
    input: CompleteRunInput,
    options?: RequestOptions,
  ): Promise<CompleteResult<AgentRunRecord>> {
    const reply = await this.transport.json<CompleteResult<AgentRunRecord>>(
      "POST",
      `${this.base}/complete`,
      { ...options, body: input },
    );
    this.seen(reply.run);
    return reply;
  }

  async cancel(
    input: CancelRunInput = {},
    options?: RequestOptions,
  ): Promise<CancelResult<AgentRunRecord>> {
    const reply = await this.transport.json<CancelResult<AgentRunRecord>>(
      "POST",
      `${this.base}/cancel`,
      { ...options, body: input },
    );
    this.seen(reply.run);
    return reply;
  }

  /** Parks the run until a tool result (or approval, event, input) arrives. */
  async wait(input: WaitInput, options?: RequestOptions): Promise<RunReply<AgentRunRecord>> {
    const reply = await this.transport.json<RunReply<AgentRunRecord>>("POST", `${this.base}/wait`, {
      ...options,
      body: input,
    });
    this.seen(reply.run);
    return reply;
  }

  /** Submits the result of the tool call the run waits on. */
  toolResult(input: ToolResultInput, options?: RequestOptions): Promise<ToolResultReply> {
    return this.transport.json("POST", `${this.base}/tool-result`, { ...options, body: input });
  }

  /** Runs spawned by this one, oldest first. */
  children(params: ChildrenParams = {}, options?: RequestOptions): Promise<Page<AgentRunRecord>> {
    return this.transport.json("GET", `${this.base}/children`, { ...options, query: params });
  }

  /** A short-lived token that can append to this run and nothing else. */
  eventWriterToken(options?: RequestOptions): Promise<EventWriterToken> {
    return this.transport.json("POST", path`/runs/${this.runId}/event-writer-token`, options);
  }

  // ── append internals ────────────────────────────────────────────────────────────────────

  private serialised<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async appendBatches(
    batches: Batch[],
    total: number,
    options: AppendOptions,
  ): Promise<AppendOutcome> {
    let stored = 0;
    let requests = 0;
    try {
      if (batches.length > 0 && this.current === undefined) await this.get(options);
      for (const batch of batches) {
        requests += await this.sendBatch(batch, options.signal);
        stored += batch.events.length;
      }
    } catch (error) {
      if (error instanceof RunlineError || error instanceof RunlineConnectionError) {
        error.appended = stored;
      }
      throw error;
    }
    return {
      stored: total,
      requests,
      run: this.lastRecord,
      latestEventId: this.current?.latestEventId ?? 0,
      latestExternalEventSequence: this.current?.latestExternalEventSequence ?? 0,
    };
  }

  /** Sends one batch until it is stored; returns the number of requests it took. */
  private async sendBatch(batch: Batch, signal: AbortSignal | undefined): Promise<number> {
    const attempts = Math.max(1, this.options.retry?.attempts ?? 8);
    const backoff = new Backoff(this.options.retry);
    let expected = this.current!;
    let body = batchBody(batch, expected);
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await this.transport.json<AppendEventsResult>("POST", `${this.base}/events`, {
          rawBody: body,
          signal,
          timeoutMs: this.options.timeoutMs,
        });
        this.current = {
          latestEventId: reply.latest_event_id,
          latestExternalEventSequence: reply.latest_external_event_sequence,
        };
        this.lastRecord = reply.run;
        return attempt;
      } catch (error) {
        if (signal?.aborted || attempt >= attempts) throw error;
        if (onlyServerEventsSince(error, expected)) {
          // Our batch is not stored (the external sequence did not move): go on after them.
          expected = { ...expected, latestEventId: error.latestEventId };
          this.current = expected;
          body = batchBody(batch, expected);
          continue;
        }
        if (!isTransient(error)) throw error;
        await sleep(retryDelay(error, backoff), signal);
      }
    }
  }

  /**
   * Takes what a non-append answer says about the run. Its cursors are taken only when no
   * other producer appended since ours (same external sequence): a record never makes the
   * handle skip over someone else's events.
   */
  private seen(record: AgentRunRecord): AgentRunRecord {
    this.observe(record);
    return record;
  }

  private observe(record: AgentRunRecord): void {
    const next = cursorsOf(record);
    const current = this.current;
    if (
      current === undefined ||
      (next.latestExternalEventSequence === current.latestExternalEventSequence &&
        next.latestEventId > current.latestEventId)
    ) {
      this.current = next;
    }
    this.lastRecord = record;
  }
}

function cursorsOf(record: AgentRunRecord): Cursors {
  return {
    latestEventId: record.latest_event_id,
    latestExternalEventSequence: record.latest_external_event_sequence,
  };
}

function onlyServerEventsSince(
  error: unknown,
  expected: Cursors,
): error is EventCursorConflictError {
  return (
    error instanceof EventCursorConflictError &&
    error.latestExternalEventSequence === expected.latestExternalEventSequence &&
    error.latestEventId > expected.latestEventId
  );
}

function isTransient(error: unknown): boolean {
  if (error instanceof RunlineError) return error.transient;
  return error instanceof RunlineConnectionError;
}

function retryDelay(error: unknown, backoff: Backoff): number {
  const delay = backoff.next();
  if (error instanceof RunlineError && error.retryAfterSeconds !== undefined) {
    return Math.max(delay, error.retryAfterSeconds * 1000);
  }
  return delay;
}
