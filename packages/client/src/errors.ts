/**
 * What the client throws.
 *
 * - `RunlineError`: the server answered with an error; carries the RFC 9457 problem body
 *   (`status`, `code`, `detail`, `request_id`, extension members such as `event_index`).
 *   `EventCursorConflictError` is the `event_cursor_conflict` case with the server's cursors.
 * - `RunlineConnectionError`: no answer (network failure, dropped connection, timeout).
 *
 * Both may carry `appended`: when thrown by `RunHandle.append`, how many events of that call
 * are known to be stored, so the caller can resume with `events.slice(appended)`.
 * Aborting through an `AbortSignal` rejects with the signal's reason, as `fetch` does.
 */
/**
 * A problem as the client holds it: the server's (`code` one of the contract's `ProblemCode` (`Problem`)),
 * one a newer server sends with a code this client does not know yet, or one made up from a
 * bare HTTP answer (`http_<status>`, e.g. a proxy's 502). So `code` is any string here.
 */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  /** Extension members (`issues`, `event_index`, `deleted_at`, …). */
  [member: string]: unknown;
}

export class RunlineError extends Error {
  override readonly name: string = "RunlineError";
  /** The whole problem body, extension members included. */
  readonly problem: ProblemBody;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly title: string;
  readonly type: string;
  readonly requestId: string | undefined;
  /** Seconds the server asked to wait (`Retry-After`), for 429 and 503. */
  readonly retryAfterSeconds: number | undefined;
  /** Set by `RunHandle.append`: events of that call stored before this failure. */
  appended?: number;

  constructor(problem: ProblemBody, retryAfterSeconds?: number) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.title = problem.title;
    this.type = problem.type;
    this.requestId = problem.request_id || undefined;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The offending event's position, for `invalid_event`, `event_too_large`, … */
  get eventIndex(): number | undefined {
    const value = this.problem.event_index;
    return typeof value === "number" ? value : undefined;
  }

  /** Schema violations of an `invalid_request`. */
  get issues(): { path: string; message: string }[] {
    const value = this.problem.issues;
    return Array.isArray(value) ? (value as { path: string; message: string }[]) : [];
  }

  /** Whether retrying the same request later may succeed (429, 503, other 5xx, 408). */
  get transient(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }

  /** Builds the right class for a problem body. */
  static from(problem: ProblemBody, retryAfterSeconds?: number): RunlineError {
    if (problem.code === "event_cursor_conflict") {
      return new EventCursorConflictError(problem, retryAfterSeconds);
    }
    return new RunlineError(problem, retryAfterSeconds);
  }
}

/**
 * `400 event_cursor_conflict`: another producer appended since this one's cursors. Carries the
 * server's current cursors so the caller can decide how to resync (nothing is overwritten).
 */
export class EventCursorConflictError extends RunlineError {
  override readonly name: string = "EventCursorConflictError";
  readonly latestEventId: number;
  readonly latestExternalEventSequence: number;

  constructor(problem: ProblemBody, retryAfterSeconds?: number) {
    super(problem, retryAfterSeconds);
    this.latestEventId = numberOr(problem.latest_event_id, -1);
    this.latestExternalEventSequence = numberOr(problem.latest_external_event_sequence, -1);
  }
}

/** The request got no answer: network failure, dropped connection, or timeout. */
export class RunlineConnectionError extends Error {
  override readonly name: string = "RunlineConnectionError";
  /** Set by `RunHandle.append`: events of that call stored before this failure. */
  appended?: number;

  /** Whether the client gave up waiting (`timeoutMs`) rather than the connection failing. */
  readonly timedOut: boolean;

  constructor(message: string, timedOut: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.timedOut = timedOut;
  }
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}
