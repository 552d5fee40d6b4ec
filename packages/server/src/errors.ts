/**
 * The catalogue of every error Runline answers with, as RFC 9457 problem details.
 *
 * Each entry fixes a stable `code`, an HTTP status, a title and (where clients depend on it)
 * the exact `detail` sentence. Code anywhere in the server throws `ProblemError`s built here;
 * the HTTP layer turns them into `application/problem+json` bodies. Nothing else decides a status.
 */

export type ProblemExtensions = Record<string, unknown>;

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly extensions: ProblemExtensions = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = "ProblemError";
  }
}

export interface ValidationIssue {
  path: string;
  message: string;
}

const problem =
  (status: number, code: string, title: string) =>
  (detail: string, extensions?: ProblemExtensions, headers?: Record<string, string>) =>
    new ProblemError(status, code, title, detail, extensions, headers);

export const Problems = {
  // 400 — the exact detail strings of the append cases are matched by Veryfront clients.
  invalidRequest: (detail: string, issues: ValidationIssue[] = []) =>
    new ProblemError(400, "invalid_request", "Invalid request", detail, { issues }),
  invalidEvent: (index: number, detail: string) =>
    new ProblemError(400, "invalid_event", "Invalid event", detail, { event_index: index }),
  terminalEventNotAllowed: (index: number, type: string) =>
    new ProblemError(
      400,
      "terminal_event_not_allowed",
      "Terminal event not allowed",
      `${type} cannot be appended: a run ends only through complete or cancel`,
      { event_index: index },
    ),
  eventTooLarge: (index: number, limitBytes: number) =>
    new ProblemError(
      400,
      "event_too_large",
      "Event too large",
      `Event at index ${index}: payload must be less than ${limitBytes / 1024} KiB`,
      { event_index: index },
    ),
  cursorConflict: (latestEventId: number, latestExternalEventSequence: number) =>
    new ProblemError(
      400,
      "event_cursor_conflict",
      "Event cursor conflict",
      "External run event cursor mismatch",
      {
        latest_event_id: latestEventId,
        latest_external_event_sequence: latestExternalEventSequence,
      },
    ),
  runNotAppendable: () =>
    new ProblemError(
      400,
      "run_not_appendable",
      "Run not appendable",
      "Cannot append external events to a terminal run",
    ),
  runWaitingForTool: () =>
    new ProblemError(
      400,
      "run_waiting_for_tool",
      "Run waiting for tool",
      "Cannot append external events while the run is waiting for a tool result",
    ),
  invalidCursor: problem(400, "invalid_cursor", "Invalid cursor"),
  invalidResponse: (issues: ValidationIssue[]) =>
    new ProblemError(
      400,
      "invalid_response",
      "Invalid response",
      `The response does not fit the request's fields: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
      { issues },
    ),
  metadataTooLarge: (detail: string, issues: ValidationIssue[]) =>
    new ProblemError(400, "metadata_too_large", "Metadata too large", detail, { issues }),
  snapshotTooLarge: problem(400, "snapshot_too_large", "Snapshot too large"),
  invalidWebhookUrl: problem(400, "invalid_webhook_url", "Invalid webhook URL"),
  requestTimeout: problem(408, "request_timeout", "Request timeout"),
  headersTooLarge: problem(431, "headers_too_large", "Request headers too large"),

  unauthenticated: (detail = "A valid credential is required") =>
    new ProblemError(
      401,
      "unauthenticated",
      "Unauthenticated",
      detail,
      {},
      {
        "www-authenticate": "Bearer",
      },
    ),
  forbidden: problem(403, "forbidden", "Forbidden"),
  notFound: problem(404, "not_found", "Not found"),
  methodNotAllowed: problem(405, "method_not_allowed", "Method not allowed"),

  runAlreadyTerminal: problem(409, "run_already_terminal", "Run already terminal"),
  leaseLost: problem(409, "lease_lost", "Lease lost"),
  runNotWaiting: problem(409, "run_not_waiting", "Run not waiting"),
  conflict: problem(409, "conflict", "Conflict"),
  inputRequestNotOpen: (status: string) =>
    new ProblemError(
      409,
      "input_request_not_open",
      "Input request not open",
      `The input request is ${status}, no longer open`,
      { input_request_status: status },
    ),
  interruptsUnanswered: (openIds: string[]) =>
    new ProblemError(
      409,
      "interrupts_unanswered",
      "Interrupts unanswered",
      `The conversation has open interrupts; a new root run must answer each of them in request.resume: ${openIds.join(", ")}`,
      { open_interrupt_ids: openIds },
    ),
  interruptNotOpen: problem(409, "interrupt_not_open", "Interrupt not open"),

  runActive: (detail: string, activeRunIds: string[]) =>
    new ProblemError(409, "run_active", "Run active", detail, { active_run_ids: activeRunIds }),

  runDeleted: (runId: string, deletedAt: string) =>
    new ProblemError(410, "run_deleted", "Run deleted", `Run ${runId} was deleted`, {
      deleted_at: deletedAt,
    }),

  payloadTooLarge: problem(413, "payload_too_large", "Payload too large"),
  unsupportedMediaType: problem(415, "unsupported_media_type", "Unsupported media type"),
  rateLimited: (retryAfterSeconds: number, detail = "Too many requests") =>
    new ProblemError(
      429,
      "rate_limited",
      "Rate limited",
      detail,
      {},
      {
        "retry-after": String(retryAfterSeconds),
      },
    ),
  unavailable: (detail = "Storage is unavailable; retry shortly", retryAfterSeconds = 1) =>
    new ProblemError(
      503,
      "unavailable",
      "Service unavailable",
      detail,
      {},
      {
        "retry-after": String(retryAfterSeconds),
      },
    ),
  internal: () =>
    new ProblemError(
      500,
      "internal_error",
      "Internal server error",
      "An unexpected error occurred",
    ),
} as const;

/** The problem JSON body for an error (request id added by the HTTP layer). */
export function problemBody(error: ProblemError, requestId: string): Record<string, unknown> {
  return {
    type: `urn:runline:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    request_id: requestId,
    ...error.extensions,
  };
}
