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
  RunSummarySchema,
  StartRunBody,
  ToolResultBody,
  ToolResultResponse,
  WaitBody,
  WebhookDeliveryListQuery,
  WebhookDeliverySchema,
  WebhookEventTypeSchema,
  WebhookSchema,
  WorkerRunSchema,
  WorkerSchema,
  WorkerSessionBody,
  WorkerSessionSchema,
  WorkerWithTokenSchema,
} from "./schemas.ts";

// ── Derived from the schemas ──────────────────────────────────────────────────────────────

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

// ── Human input (§7, §7.1) ─────────────────────────────────────────────────────────────────

/** An input request (contract §7): a form bound to a run and the tool call that asked. */
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
/** An item of `GET /conversations/{cid}/interrupts` (contract §7.1). */
export type InterruptItem = z.output<typeof InterruptItemSchema>;
export type InterruptListParams = Partial<z.output<typeof InterruptListQuery>>;
/** An AG-UI 1.0 resume entry (answers one interrupt on the next root run). */
export type ResumeEntry = z.input<typeof ResumeEntries>[number];
/** A RUN_FINISHED outcome given to `completeRun` (`{type: "interrupt", interrupts}`). */
export type RunOutcome = z.input<typeof RunOutcomeSchema>;

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
