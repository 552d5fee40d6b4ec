/**
 * Every `code` a Runline problem (RFC 9457, contract §3 and §13) can carry, with its HTTP status.
 * The server builds its problems from this table; clients can switch on `ProblemCode`.
 */
export const PROBLEM_CODES = {
  invalid_request: 400,
  invalid_event: 400,
  terminal_event_not_allowed: 400,
  event_too_large: 400,
  event_cursor_conflict: 400,
  run_not_appendable: 400,
  run_waiting_for_tool: 400,
  invalid_cursor: 400,
  invalid_response: 400,
  metadata_too_large: 400,
  snapshot_too_large: 400,
  invalid_webhook_url: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  run_already_terminal: 409,
  lease_lost: 409,
  run_not_waiting: 409,
  conflict: 409,
  input_request_not_open: 409,
  interrupts_unanswered: 409,
  interrupt_not_open: 409,
  conversation_busy: 409,
  run_queued: 409,
  run_active: 409,
  run_deleted: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const satisfies Record<string, number>;

export type ProblemCode = keyof typeof PROBLEM_CODES;
