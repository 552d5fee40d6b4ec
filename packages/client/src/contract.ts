/**
 * The wire shapes the client speaks, derived from the server's zod schemas
 * (`packages/server/src/contract/schemas.ts`), the single source of truth.
 *
 * Only `import type` is used: these imports vanish at runtime, so the client bundle carries
 * neither zod nor server code. Request bodies use the schemas' input types (optional fields
 * also take `null`); responses and queries use their output types.
 *
 * The second section composes the envelopes the server builds inline in its route files from
 * the schema types above. Each is marked `NOT IN schemas.ts`; replace it with
 * `z.output<typeof …>` once the server exports a schema for it.
 */
import type { z } from "zod";
import type {
  AgentRunRecordSchema,
  ApiKeySchema,
  AppendEventsBody,
  CancelRunBody,
  ChildrenQuery,
  ClaimBody,
  CompleteRunBody,
  ConversationRunListQuery,
  ConversationSchema,
  CreateApiKeyBody,
  CreateConversationBody,
  CreatedApiKeySchema,
  CreateRunBody,
  EventListQuery,
  HeartbeatBody,
  LeaseBody,
  LoggedEventSchema,
  PageInfoSchema,
  ProblemSchema,
  RegisterWorkerBody,
  RunEventTokenSchema,
  RunListQuery,
  RunSnapshotSchema,
  RunSummarySchema,
  ScopeSchema,
  StartRunBody,
  ToolResultBody,
  WaitBody,
  WorkerRunSchema,
  WorkerSchema,
  WorkerSessionBody,
  WorkerSessionSchema,
  WorkerWithTokenSchema,
} from "../../server/src/contract/schemas.ts";

// ── Derived from the server's schemas ──────────────────────────────────────────────────────

/** The agent run record (contract §1.1), returned by conversation-scoped run routes. */
export type AgentRunRecord = z.output<typeof AgentRunRecordSchema>;
/** The canonical run summary (contract §1.2), returned by `/runs/…` routes. */
export type RunSummary = z.output<typeof RunSummarySchema>;
/** A run of the children-by-parent-conversation listing (record + `run_snapshot`). */
export type RunWithSnapshot = z.output<typeof RunSnapshotSchema>;
/** One stored event of a run's log. */
export type LoggedEvent = z.output<typeof LoggedEventSchema>;
export type PageInfo = z.output<typeof PageInfoSchema>;
export type Conversation = z.output<typeof ConversationSchema>;
/** An RFC 9457 problem body (extension members included). */
export type Problem = z.output<typeof ProblemSchema>;
export type RunStatus = AgentRunRecord["status"];
export type Scope = z.output<typeof ScopeSchema>;
export type ApiKey = z.output<typeof ApiKeySchema>;
/** A new API key; `key`, the full secret, appears only in this reply. */
export type CreatedApiKey = z.output<typeof CreatedApiKeySchema>;
export type EventWriterToken = z.output<typeof RunEventTokenSchema>;
export type Worker = z.output<typeof WorkerSchema>;
/** A worker and a fresh worker token (register, heartbeat). */
export type WorkerCredentials = z.output<typeof WorkerWithTokenSchema>;
/** What a worker sees of a run it claimed (contract §5). */
export type WorkerRun = z.output<typeof WorkerRunSchema>;
export type WorkerSession = z.output<typeof WorkerSessionSchema>;

export type CreateConversationInput = NonNullable<z.input<typeof CreateConversationBody>>;
export type CreateRunInput = z.input<typeof CreateRunBody>;
export type StartRunInput = NonNullable<z.input<typeof StartRunBody>>;
export type AppendEventsInput = z.input<typeof AppendEventsBody>;
export type CompleteRunInput = z.input<typeof CompleteRunBody>;
export type CancelRunInput = NonNullable<z.input<typeof CancelRunBody>>;
export type WaitInput = z.input<typeof WaitBody>;
export type ToolResultInput = z.input<typeof ToolResultBody>;
export type CreateApiKeyInput = NonNullable<z.input<typeof CreateApiKeyBody>>;
export type RegisterWorkerInput = z.input<typeof RegisterWorkerBody>;
export type HeartbeatInput = NonNullable<z.input<typeof HeartbeatBody>>;
export type ClaimInput = NonNullable<z.input<typeof ClaimBody>>;
export type LeaseInput = NonNullable<z.input<typeof LeaseBody>>;
export type WorkerSessionInput = z.input<typeof WorkerSessionBody>;

/** Query strings: every parameter may be left out (the server applies its defaults). */
export type RunListParams = Partial<z.output<typeof RunListQuery>>;
export type ConversationRunListParams = Partial<z.output<typeof ConversationRunListQuery>>;
export type ChildrenParams = Partial<z.output<typeof ChildrenQuery>>;
export type EventListParams = Partial<z.output<typeof EventListQuery>>;

/**
 * An AG-UI event as the log stores it: a JSON object with a `type` (camelCase fields, kept
 * verbatim). `@ag-ui/core` event objects are assignable to it.
 */
export type AguiEvent = { type: string } & Record<string, unknown>;

// ── NOT IN schemas.ts: composed from the schema types above ───────────────────────────────

/** `{data, page_info}` of every listing (the server's routes build it inline). */
export interface Page<T> {
  data: T[];
  page_info: PageInfo;
}

/** NOT IN schemas.ts (inline `Accepted(…)` in routes/runs.ts): create and start replies. */
export interface Accepted<R> {
  accepted: true;
  duplicate: boolean;
  run: R;
}

/** NOT IN schemas.ts (inline `AppendResponse` in routes/events.ts). */
export interface AppendEventsResult {
  run: AgentRunRecord;
  latest_event_id: number;
  appended_count: number;
  latest_external_event_sequence: number;
  duplicate: boolean;
}

/** NOT IN schemas.ts (inline `SnapshotResponse` in routes/events.ts). */
export interface RunSnapshot {
  after_event_id: number;
  events: SnapshotEvent[];
}
/** A snapshot entry; `event_id` is null for the synthesised MESSAGES/STATE snapshots. */
export type SnapshotEvent = Omit<LoggedEvent, "created_at" | "event_id" | "event"> & {
  event_id: number | null;
  event: AguiEvent;
};

/** NOT IN schemas.ts (inline in routes/runs.ts): complete, cancel, wait, tool-result replies. */
export interface CompleteResult<R> {
  completed: boolean;
  run: R;
}
export interface CancelResult<R> {
  cancelled: boolean;
  run: R;
}
export interface RunReply<R> {
  run: R;
}
export interface ToolResultReply {
  accepted: true;
  duplicate: boolean;
}
