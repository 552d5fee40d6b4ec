/**
 * The catalogue of every error Runline answers with, as RFC 9457 problem details.
 *
 * Each code's status and title come from the contract's catalogue (`PROBLEM_CODES`,
 * docs/api.md §3); an entry here adds the `detail` sentence (exact where clients depend on it),
 * extension members and headers. Code anywhere in the server throws `ProblemError`s built here;
 * the HTTP layer turns them into `application/problem+json` bodies. Nothing else decides a status.
 */

import { PROBLEM_CODES, type ProblemCode, problemTypeOf } from "@runline/contract";

export type ProblemExtensions = Record<string, unknown>;

export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extensions: ProblemExtensions = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = "ProblemError";
    this.status = PROBLEM_CODES[code].status;
    this.title = PROBLEM_CODES[code].title;
  }
}

export interface ValidationIssue {
  path: string;
  message: string;
}

/** A factory for a code whose problems differ only in their detail. */
const problem =
  (code: ProblemCode) =>
  (detail: string, extensions?: ProblemExtensions, headers?: Record<string, string>) =>
    new ProblemError(code, detail, extensions, headers);

export const Problems = {
  // 400 — the exact detail strings of the append cases are matched by Veryfront clients.
  invalidRequest: (detail: string, issues: ValidationIssue[] = []) =>
    new ProblemError("invalid_request", detail, { issues }),
  invalidEvent: (index: number, detail: string) =>
    new ProblemError("invalid_event", detail, { event_index: index }),
  terminalEventNotAllowed: (index: number, type: string) =>
    new ProblemError(
      "terminal_event_not_allowed",
      `${type} cannot be appended: a run ends only through complete or cancel`,
      { event_index: index },
    ),
  eventTooLarge: (index: number, limitBytes: number) =>
    new ProblemError(
      "event_too_large",
      `Event at index ${index}: payload must be less than ${limitBytes / 1024} KiB`,
      { event_index: index },
    ),
  cursorConflict: (latestEventId: number, latestExternalEventSequence: number) =>
    new ProblemError("event_cursor_conflict", "External run event cursor mismatch", {
      latest_event_id: latestEventId,
      latest_external_event_sequence: latestExternalEventSequence,
    }),
  runNotAppendable: () =>
    new ProblemError("run_not_appendable", "Cannot append external events to a terminal run"),
  runWaitingForTool: () =>
    new ProblemError(
      "run_waiting_for_tool",
      "Cannot append external events while the run is waiting for a tool result",
    ),
  invalidCursor: problem("invalid_cursor"),
  invalidResponse: (issues: ValidationIssue[]) =>
    new ProblemError(
      "invalid_response",
      `The response does not fit the request's fields: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}`,
      { issues },
    ),
  metadataTooLarge: (detail: string, issues: ValidationIssue[]) =>
    new ProblemError("metadata_too_large", detail, { issues }),
  snapshotTooLarge: problem("snapshot_too_large"),
  invalidWebhookUrl: problem("invalid_webhook_url"),
  requestTimeout: problem("request_timeout"),
  headersTooLarge: problem("headers_too_large"),

  unauthenticated: (detail = "A valid credential is required") =>
    new ProblemError("unauthenticated", detail, {}, { "www-authenticate": "Bearer" }),
  forbidden: problem("forbidden"),
  notFound: problem("not_found"),
  /** A known path asked with a method it does not take; `Allow` lists those it does. */
  methodNotAllowed: (method: string, path: string, allowed: string[]) =>
    new ProblemError(
      "method_not_allowed",
      `${path} does not take ${method}; it takes ${allowed.join(", ")}`,
      { allowed_methods: allowed },
      { allow: allowed.join(", ") },
    ),

  runAlreadyTerminal: problem("run_already_terminal"),
  leaseLost: problem("lease_lost"),
  runNotWaiting: problem("run_not_waiting"),
  conflict: problem("conflict"),
  inputRequestNotOpen: (status: string) =>
    new ProblemError("input_request_not_open", `The input request is ${status}, no longer open`, {
      input_request_status: status,
    }),
  interruptsUnanswered: (openIds: string[]) =>
    new ProblemError(
      "interrupts_unanswered",
      `The conversation has open interrupts; a new root run must answer each of them in request.resume: ${openIds.join(", ")}`,
      { open_interrupt_ids: openIds },
    ),
  interruptNotOpen: problem("interrupt_not_open"),

  conversationBusy: (activeRunIds: string[]) =>
    new ProblemError(
      "conversation_busy",
      `The conversation has active root runs (multitask_strategy reject): ${activeRunIds.join(", ")}`,
      { active_run_ids: activeRunIds },
    ),
  runQueued: (runId: string, behind: string) =>
    new ProblemError(
      "run_queued",
      `Run ${runId} is queued behind run ${behind} (multitask_strategy enqueue) and takes no events until it is released`,
      { queued_behind: behind },
    ),

  runActive: (detail: string, activeRunIds: string[]) =>
    new ProblemError("run_active", detail, { active_run_ids: activeRunIds }),

  runDeleted: (runId: string, deletedAt: string) =>
    new ProblemError("run_deleted", `Run ${runId} was deleted`, { deleted_at: deletedAt }),

  payloadTooLarge: problem("payload_too_large"),
  unsupportedMediaType: problem("unsupported_media_type"),
  rateLimited: (retryAfterSeconds: number, detail = "Too many requests") =>
    new ProblemError("rate_limited", detail, {}, { "retry-after": String(retryAfterSeconds) }),
  unavailable: (detail = "Storage is unavailable; retry shortly", retryAfterSeconds = 1) =>
    new ProblemError("unavailable", detail, {}, { "retry-after": String(retryAfterSeconds) }),
  inspectorNotBuilt: () =>
    new ProblemError(
      "inspector_not_built",
      "The inspector UI has not been built: run `npm run build -w @runline/inspector` " +
        "in the Runline checkout, then reload this page.",
    ),
  internal: () => new ProblemError("internal_error", "An unexpected error occurred"),
} as const;

/** The problem JSON body for an error (request id added by the HTTP layer). */
export function problemBody(error: ProblemError, requestId: string): Record<string, unknown> {
  return {
    type: problemTypeOf(error.code),
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    request_id: requestId,
    ...error.extensions,
  };
}
