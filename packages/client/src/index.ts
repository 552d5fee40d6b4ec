/**
 * `@runline/client`: a typed client for Runline, the server for durable AI agent runs.
 * Runs in Node 20+ and browsers (plain `fetch`); no server code at runtime.
 *
 * The AG-UI agent (`RunlineAgent`) lives in its own entry, `@runline/client/agui`, so this
 * one does not load `@ag-ui/client`.
 */
export type { BackoffOptions } from "./backoff.ts";
export { DEFAULT_MAX_BATCH_BYTES, MAX_EVENTS_PER_REQUEST } from "./batches.ts";
export { RunlineClient, type RunlineClientOptions } from "./client.ts";
export type * from "./contract.ts";
export { ConversationHandle, type FollowConversationOptions } from "./conversation.ts";
export {
  EventCursorConflictError,
  type ProblemBody,
  RunlineConnectionError,
  RunlineError,
} from "./errors.ts";
export {
  HumanInputApi,
  type Interrupt,
  MAX_WAIT_SECONDS,
  type WaitForAnswerOptions,
} from "./human-input.ts";
export {
  type AppendOptions,
  type AppendOutcome,
  type Cursors,
  type RetryOptions,
  RunHandle,
  type RunHandleOptions,
} from "./run-handle.ts";
export type { FollowOptions, ReconnectOptions } from "./sse.ts";
export { isTerminalEvent, type StreamedEvent, type StreamOptions } from "./stream.ts";
export type {
  Credentials,
  FetchLike,
  HeadersSource,
  RequestOptions,
} from "./transport.ts";
