/**
 * The catalogue of every `code` a Runline problem (RFC 9457; docs/api.md §3) can carry: its
 * HTTP status, its title and what it means, in one table (as Fastify's `FastifyErrorCodes`).
 * The server builds every problem from this table (`packages/server/src/errors.ts`), the
 * OpenAPI document's `Problem.code` enumerates it, a test checks that docs/api.md lists each
 * code with its status, and clients can switch on `ProblemCode`. A new code is one entry here.
 */
export interface ProblemCodeInfo {
  status: number;
  title: string;
  /** One line: when a client gets it and what to do. */
  meaning: string;
}

export const PROBLEM_CODES = {
  invalid_request: {
    status: 400,
    title: "Invalid request",
    meaning: "The request does not fit the route: body, path, query or header (see `issues`).",
  },
  invalid_event: {
    status: 400,
    title: "Invalid event",
    meaning: "An appended event is not valid AG-UI, or breaks the stream (`event_index`).",
  },
  terminal_event_not_allowed: {
    status: 400,
    title: "Terminal event not allowed",
    meaning: "RUN_FINISHED / RUN_ERROR cannot be appended: end a run with complete or cancel.",
  },
  event_too_large: {
    status: 400,
    title: "Event too large",
    meaning: "One event (or a tool result) is over 240 KiB of JSON (`event_index`).",
  },
  event_cursor_conflict: {
    status: 400,
    title: "Event cursor conflict",
    meaning: "An expected cursor is not the run's and the batch is no retry: resync and retry.",
  },
  run_not_appendable: {
    status: 400,
    title: "Run not appendable",
    meaning: "The run has ended: nothing more can be appended to it (or asked on its behalf).",
  },
  run_waiting_for_tool: {
    status: 400,
    title: "Run waiting for tool",
    meaning: "The run waits for a tool result: submit it before appending again.",
  },
  invalid_cursor: {
    status: 400,
    title: "Invalid cursor",
    meaning: "A listing cursor was altered, or comes from another listing or filter.",
  },
  invalid_response: {
    status: 400,
    title: "Invalid response",
    meaning: "An answer to an input request does not fit its fields (`issues`, all at once).",
  },
  metadata_too_large: {
    status: 400,
    title: "Metadata too large",
    meaning: "A `metadata` object is over 64 KiB of JSON.",
  },
  snapshot_too_large: {
    status: 400,
    title: "Snapshot too large",
    meaning: "The run's log is over the snapshot limit (`max_bytes`): page its events instead.",
  },
  invalid_webhook_url: {
    status: 400,
    title: "Invalid webhook URL",
    meaning: "A webhook URL is not http(s) or names a refused host.",
  },
  unauthenticated: {
    status: 401,
    title: "Unauthenticated",
    meaning: "No credential, or one that is invalid, expired or revoked (`WWW-Authenticate`).",
  },
  forbidden: {
    status: 403,
    title: "Forbidden",
    meaning: "The credential is valid but may not do this (scope, or a token for another run).",
  },
  not_found: {
    status: 404,
    title: "Not found",
    meaning: "No such route or resource in the caller's project.",
  },
  method_not_allowed: {
    status: 405,
    title: "Method not allowed",
    meaning: "The path exists but not with this method; `Allow` lists the methods it takes.",
  },
  request_timeout: {
    status: 408,
    title: "Request timeout",
    meaning: "The request body did not arrive in time; the connection is closed.",
  },
  run_already_terminal: {
    status: 409,
    title: "Run already terminal",
    meaning: "The run has ended with another status, or can no longer wait.",
  },
  lease_lost: {
    status: 409,
    title: "Lease lost",
    meaning: "A worker (or a token minted under its lease) no longer holds the run's lease.",
  },
  run_not_waiting: {
    status: 409,
    title: "Run not waiting",
    meaning: "A tool result for a call the run does not wait on (or a different second result).",
  },
  conflict: {
    status: 409,
    title: "Conflict",
    meaning: "The request clashes with the resource's state or a concurrent change: see detail.",
  },
  input_request_not_open: {
    status: 409,
    title: "Input request not open",
    meaning: "The input request was submitted, cancelled or expired (`input_request_status`).",
  },
  interrupts_unanswered: {
    status: 409,
    title: "Interrupts unanswered",
    meaning: "A new root run must answer every open interrupt in `request.resume`.",
  },
  interrupt_not_open: {
    status: 409,
    title: "Interrupt not open",
    meaning: "A resume entry names no open interrupt of the conversation.",
  },
  conversation_busy: {
    status: 409,
    title: "Conversation busy",
    meaning: "`multitask_strategy: reject` and the conversation has an active root run.",
  },
  run_queued: {
    status: 409,
    title: "Run queued",
    meaning: "The run waits behind earlier root runs of its conversation.",
  },
  run_active: {
    status: 409,
    title: "Run active",
    meaning: "A run to delete (or one of its descendants) is still active (`active_run_ids`).",
  },
  run_deleted: {
    status: 410,
    title: "Run deleted",
    meaning: "The run was deleted (`deleted_at`); its id cannot be used again.",
  },
  payload_too_large: {
    status: 413,
    title: "Payload too large",
    meaning: "The request body is over the server's limit.",
  },
  unsupported_media_type: {
    status: 415,
    title: "Unsupported media type",
    meaning: "A non-empty body that is not JSON.",
  },
  rate_limited: {
    status: 429,
    title: "Rate limited",
    meaning: "Too many requests or open streams for this credential or project (`Retry-After`).",
  },
  headers_too_large: {
    status: 431,
    title: "Request headers too large",
    meaning: "The request headers are over 16 KiB in all.",
  },
  internal_error: {
    status: 500,
    title: "Internal server error",
    meaning: "A fault in the server (logged with the request id); never caused by input.",
  },
  unavailable: {
    status: 503,
    title: "Service unavailable",
    meaning:
      "Storage or the identity provider is unreachable, the server is shutting down or " +
      "has no stream slot left: retry after `Retry-After`.",
  },
  inspector_not_built: {
    status: 503,
    title: "Inspector not built",
    meaning: "`/ui` was asked for but the inspector has not been built on this server.",
  },
} as const satisfies Record<string, ProblemCodeInfo>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

/** Every problem code, in catalogue order (the `code` enum of `ProblemSchema`). */
export const PROBLEM_CODE_LIST = Object.keys(PROBLEM_CODES) as [ProblemCode, ...ProblemCode[]];

/** A problem's `type` URI. */
export const problemTypeOf = (code: ProblemCode): string => `urn:runline:problem:${code}`;
