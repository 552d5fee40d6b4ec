/**
 * The wire shapes as TypeScript types, derived from the zod schemas in `schemas.ts`: what the
 * client speaks and the server answers.
 *
 * Only `import type` is used, so a consumer that imports only these types (the client SDK)
 * carries no zod at runtime. Request bodies use the schemas' input types (optional fields also
 * take `null`); responses and queries use their output types.
 *
 * The generic envelopes (`Page`, `Accepted`, …) are instantiations of the schema builders
 * (`pageOf`, `acceptedOf`, …) for the record shape a route family answers with.
 */
import type { z } from "zod";
import type {
  AgentRunRecordSchema,
  ApiKeySchema,
  AppendEventsBody,
  AppendEventsResponse,
  acceptedOf,
  CancelRunBody,
  ChildrenQuery,
  ClaimBody,
  CompleteRunBody,
  ConversationRunListQuery,
  ConversationSchema,
  CreateApiKeyBody,
  CreateConversationBody,
  CreatedApiKeySchema,
  CreatedWebhookSchema,
  CreateInputRequestBody,
  CreateRunBody,
  CreateWebhookBody,
  CredentialKindSchema,
  CurrentCredentialSchema,
  cancelledOf,
  completedOf,
  EventListQuery,
  HeartbeatBody,
  InputFieldSchema,
  InputRequestListQuery,
  InputRequestSchema,
  InputResponseBody,
  InputResponseSchema,
  InterruptItemSchema,
  InterruptListQuery,
  LeaseBody,
  LoggedEventSchema,
  PageInfoSchema,
  ProblemSchema,
  ProjectSettingsBody,
  ProjectSettingsSchema,
  pageOf,
  RegisterWorkerBody,
  ResumeEntries,
  RunEventTokenSchema,
  RunListQuery,
  RunOutcomeSchema,
  RunReplySchema,
  RunSnapshotResponse,
  RunSnapshotSchema,
  RunStatusFilterSchema,
  RunStatusSchema,
  RunSummarySchema,
  RunSummaryStatusSchema,
  StartRunBody,
  TerminalRunStatusSchema,
  ToolResultBody,
  ToolResultResponse,
  WaitBody,
  WaitingReason,
  WebhookDeliveryListQuery,
  WebhookDeliverySchema,
  WebhookEventTypeSchema,
  WebhookSchema,
  WorkerRunSchema,
  WorkerSchema,
  WorkerSessionBody,
  WorkerSessionSchema,
  WorkerStatusSchema,
  WorkerWithTokenSchema,
} from "./schemas.ts";

// ── Derived from the schemas ──────────────────────────────────────────────────────────────

/** The agent run record (docs/api.md §1.1), returned by conversation-scoped run routes. */
export type AgentRunRecord = z.output<typeof AgentRunRecordSchema>;
/** The canonical run summary (docs/api.md §1.2), returned by `/runs/…` routes. */
export type RunSummary = z.output<typeof RunSummarySchema>;
/** A run of the children-by-parent-conversation listing (record + `run_snapshot`). */
export type RunWithSnapshot = z.output<typeof RunSnapshotSchema>;
/** One stored event of a run's log. */
export type LoggedEvent = z.output<typeof LoggedEventSchema>;
export type PageInfo = z.output<typeof PageInfoSchema>;
export type Conversation = z.output<typeof ConversationSchema>;
/** An RFC 9457 problem body (extension members included). */
export type Problem = z.output<typeof ProblemSchema>;
export type RunStatus = z.output<typeof RunStatusSchema>;
/** Either spelling of a status, as `GET /runs?status=` takes it. */
export type RunStatusFilter = z.output<typeof RunStatusFilterSchema>;
export type RunSummaryStatus = z.output<typeof RunSummaryStatusSchema>;
export type TerminalRunStatus = z.output<typeof TerminalRunStatusSchema>;
export type WorkerStatus = z.output<typeof WorkerStatusSchema>;
export type CredentialKind = z.output<typeof CredentialKindSchema>;
export type WaitingReasonValue = z.output<typeof WaitingReason>;
export type ApiKey = z.output<typeof ApiKeySchema>;
/** A new API key; `key`, the full secret, appears only in this reply. */
export type CreatedApiKey = z.output<typeof CreatedApiKeySchema>;
export type EventWriterToken = z.output<typeof RunEventTokenSchema>;
export type Worker = z.output<typeof WorkerSchema>;
/** A worker and a fresh worker token (register, heartbeat). */
export type WorkerCredentials = z.output<typeof WorkerWithTokenSchema>;
/** What a worker sees of a run it claimed (docs/api.md §5). */
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

// ── Envelopes: instantiations of the schema builders ─────────────────────────────────────

/** `{data, page_info}` of every listing. */
export type Page<T> = Omit<z.output<ReturnType<typeof pageOf<z.ZodType<T>>>>, "data"> & {
  data: T[];
};
/** Create and start replies. */
export type Accepted<R> = Omit<z.output<ReturnType<typeof acceptedOf<z.ZodType<R>>>>, "run"> & {
  run: R;
};
export type AppendEventsResult = z.output<typeof AppendEventsResponse>;
type SnapshotWire = z.output<typeof RunSnapshotResponse>;
/** A snapshot entry; `event_id` is null for the synthesised MESSAGES/STATE snapshots. */
export type SnapshotEvent = Omit<SnapshotWire["events"][number], "event"> & { event: AguiEvent };
export type RunSnapshot = Omit<SnapshotWire, "events"> & { events: SnapshotEvent[] };
export type CompleteResult<R> = Omit<
  z.output<ReturnType<typeof completedOf<z.ZodType<R>>>>,
  "run"
> & { run: R };
export type CancelResult<R> = Omit<
  z.output<ReturnType<typeof cancelledOf<z.ZodType<R>>>>,
  "run"
> & {
  run: R;
};
export type RunReply<R = z.output<typeof RunReplySchema>["run"]> = { run: R };
export type ToolResultReply = z.output<typeof ToolResultResponse>;

export type CurrentCredential = z.output<typeof CurrentCredentialSchema>;
export type ProjectSettings = z.output<typeof ProjectSettingsSchema>;
export type ProjectSettingsInput = NonNullable<z.input<typeof ProjectSettingsBody>>;

// ── Human input (docs/api.md §7, §7.5) ─────────────────────────────────────────────────────

/** An input request (docs/api.md §7): a form bound to a run and the tool call that asked. */
export type InputRequest = z.output<typeof InputRequestSchema>;
export type InputRequestStatus = InputRequest["status"];
/** A field as the server stores it (defaults filled in). */
export type InputField = z.output<typeof InputFieldSchema>;
/** A field as an agent may send it (defaults may be left out). */
export type InputFieldInput = z.input<typeof InputFieldSchema>;
export type InputResponse = z.output<typeof InputResponseSchema>;
export type InputValues = z.input<typeof InputResponseBody>["values"];
export type CreateInputRequestInput = z.input<typeof CreateInputRequestBody>;
export type InputRequestListParams = Partial<z.output<typeof InputRequestListQuery>>;
/** An item of `GET /conversations/{cid}/interrupts` (docs/api.md §7.5). */
export type InterruptItem = z.output<typeof InterruptItemSchema>;
export type InterruptListParams = Partial<z.output<typeof InterruptListQuery>>;
/** An AG-UI 1.0 resume entry (answers one interrupt on the next root run). */
export type ResumeEntry = z.input<typeof ResumeEntries>[number];
/** A RUN_FINISHED outcome given to `completeRun` (`{type: "interrupt", interrupts}`). */
export type RunOutcome = z.input<typeof RunOutcomeSchema>;

// ── Conversation streams (§8) ───────────────────────────────────────────────────────────────

export type RunFrameType = "run.created" | "run.status";
export type InputRequestFrameType =
  | "input_request.created"
  | "input_request.submitted"
  | "input_request.cancelled"
  | "input_request.expired";
export type InterruptFrameType = "interrupt.opened" | "interrupt.closed";
/** The `event:` names of the conversation stream's lifecycle frames. */
export type ConversationLifecycleType = RunFrameType | InputRequestFrameType | InterruptFrameType;

/** The `data:` of a run-event frame on `GET /conversations/{cid}/stream`. */
export interface ConversationEventData {
  run_id: string;
  /** The event's id in its run's own log. */
  event_id: number;
  event: AguiEvent;
}

/**
 * One frame of a conversation stream as the client yields it. `id` is the frame's
 * conversation event id (what `Last-Event-ID` resumes after); `run_id` the run it is about.
 * `type` tells the kinds apart: `"event"` for a run's AG-UI event (its SSE `event:` name is the
 * PascalCase AG-UI type), else the lifecycle frame's name.
 */
export type ConversationFrame =
  | ConversationEventFrame
  | ConversationRunFrame
  | ConversationInputRequestFrame
  | ConversationInterruptFrame;

/** A run's AG-UI event, verbatim, with its id in the run's log. */
export interface ConversationEventFrame extends ConversationEventData {
  id: number;
  type: "event";
  /** `event.type`, e.g. `TEXT_MESSAGE_CONTENT`. */
  event_type: string;
}

/** A run was created, or its status changed (waiting included): its canonical summary. */
export interface ConversationRunFrame {
  id: number;
  type: RunFrameType;
  run_id: string;
  run: RunSummary;
}

/** An input request of a run of the conversation opened or closed (secrets removed). */
export interface ConversationInputRequestFrame {
  id: number;
  type: InputRequestFrameType;
  run_id: string;
  input_request: InputRequest;
}

/** An AG-UI interrupt of a run of the conversation opened or closed. */
export interface ConversationInterruptFrame {
  id: number;
  type: InterruptFrameType;
  run_id: string;
  interrupt: InterruptItem;
}
// ── Webhooks (§10) ──────────────────────────────────────────────────────────────────────────

/** A change a webhook can subscribe to (`run.completed`, `input_request.created`, …). */
export type WebhookEventType = z.output<typeof WebhookEventTypeSchema>;
/** A webhook as listed (never its secret). */
export type Webhook = z.output<typeof WebhookSchema>;
/** The answer to creating a webhook: its `secret` is shown only here. */
export type CreatedWebhook = z.output<typeof CreatedWebhookSchema>;
export type CreateWebhookInput = z.input<typeof CreateWebhookBody>;
/** One delivery of a webhook: its `id` is the `webhook-id` header. */
export type WebhookDelivery = z.output<typeof WebhookDeliverySchema>;
export type WebhookDeliveryListParams = Partial<z.output<typeof WebhookDeliveryListQuery>>;
