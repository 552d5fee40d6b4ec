/**
 * The contract's shapes as zod schemas: the single source for request validation, the OpenAPI
 * document (`/openapi.json`) and the TypeScript types of the ledger and, later, the client SDK.
 *
 * Optional request fields (`x?`) also accept an explicit `null`, meaning "not given".
 */
import { z } from "zod";
import { SCOPES } from "../auth/auth-context.ts";
import { AGENT_ID_PATTERN, RUN_ID_PATTERN } from "../domain/ids.ts";

/** An optional field that also accepts null; both mean "not given". */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** A body that may be absent, empty or null: all mean "no options given". */
const optionalBody = <T extends z.ZodObject>(schema: T) =>
  schema.nullish().transform((v) => v ?? ({} as z.output<T>));

/**
 * A JSON object, passed through as the client sent it (by reference). `z.record` would copy it
 * key by key and so turn a `__proto__` key into the copy's prototype — dropping the key and
 * "polluting" that object; contract §12 wants such keys stored and returned verbatim.
 */
const JsonObject = z
  .unknown()
  .refine(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    "must be a JSON object",
  )
  .transform((value) => value as Record<string, unknown>)
  .meta({ type: "object", additionalProperties: {} });

/** The most `metadata` a request may carry, as JSON (contract §12). */
export const METADATA_LIMIT_BYTES = 64 * 1024;

/**
 * Request `metadata`: a JSON object of at most 64 KiB, so that a listing of 100 runs always
 * serialises (issue 16: 60 runs of 9.5 MB metadata made `GET /runs` fail). Over the limit the
 * HTTP layer answers 400 `metadata_too_large` (the issue's `params.problem` names the code).
 */
const Metadata = JsonObject.superRefine((value, ctx) => {
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > METADATA_LIMIT_BYTES) {
    ctx.addIssue({
      code: "custom",
      message: `must be at most ${METADATA_LIMIT_BYTES / 1024} KiB of JSON (is ${bytes} bytes)`,
      params: { problem: "metadata_too_large" },
    });
  }
});
const Uuid = z.uuid({ message: "must be a UUID" });
const RunId = z.string().regex(RUN_ID_PATTERN, "must be 1-128 characters of [A-Za-z0-9_.:-]");
const AgentId = z.string().regex(AGENT_ID_PATTERN, "must be 1-128 characters of [A-Za-z0-9_-]");
const ShortText = z.string().min(1).max(256);

export const RunStatusSchema = z.enum([
  "pending",
  "running",
  "waiting_for_tool",
  "completed",
  "failed",
  "cancelled",
]);
export const RuntimeTargetKind = z.enum([
  "production",
  "main_branch",
  "environment",
  "preview_branch",
]);
export const SourceTargetKind = z.enum(["project", "environment", "preview_branch"]);
export const WaitingReason = z.enum(["tool", "approval", "event", "input"]);

// ── Path and query parameters ───────────────────────────────────────────────────────────────

export const RunParams = z.object({ run_id: RunId });
export const ConversationParams = z.object({ conversation_id: Uuid });
export const ConversationRunParams = z.object({ conversation_id: Uuid, run_id: RunId });

/**
 * An integer query parameter (contract §12): decimal digits only — `1e2`, `0x10`, ` 5`, `5.0`
 * and `+5` are refused rather than read as numbers — the one rule of every route.
 */
export const queryInt = (min: number, max: number, message: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message));

const limitParam = (max: number, fallback: number) =>
  queryInt(1, max, `must be an integer from 1 to ${max}`).default(fallback);

/** An event id in a query (`after_event_id`): a non-negative integer. */
export const EventIdQuery = queryInt(0, Number.MAX_SAFE_INTEGER, "must be a non-negative integer");

const StatusFilter = z.enum([...RunStatusSchema.options, "waiting"]);

export const RunListQuery = z.object({
  status: StatusFilter.optional(),
  agent_id: z.string().min(1).max(128).optional(),
  conversation_id: Uuid.optional(),
  cursor: z.string().min(1).max(512).optional(),
  limit: limitParam(100, 20),
});
export const ConversationRunListQuery = RunListQuery.pick({
  status: true,
  cursor: true,
  limit: true,
});

export const ChildrenQuery = z.object({
  spawned_from_tool_call_id: z.string().min(1).max(128).optional(),
  cursor: z.string().min(1).max(512).optional(),
  limit: limitParam(100, 20),
});

export const EventListQuery = z.object({
  after_event_id: EventIdQuery.optional(),
  cursor: z.string().min(1).max(32).optional(),
  limit: limitParam(500, 100),
});

// ── Request bodies ──────────────────────────────────────────────────────────────────────────

export const CreateConversationBody = optionalBody(
  z.object({ id: opt(Uuid), metadata: opt(Metadata) }),
);

export const CreateRunBody = z.object({
  kind: z.literal("agent"),
  owner: z.object({ kind: z.literal("conversation"), id: Uuid }),
  request: z.object({
    agent_id: AgentId,
    mode: opt(ShortText),
    initial_status: opt(z.enum(["pending", "running"])),
    source_target_kind: opt(SourceTargetKind),
    source_target_environment_id: opt(ShortText),
    source_target_branch_id: opt(ShortText),
    runtime_target_kind: opt(RuntimeTargetKind),
    runtime_target_environment_id: opt(ShortText),
    runtime_target_branch_id: opt(ShortText),
    implementation_kind: opt(ShortText),
    worker_key: opt(ShortText),
    metadata: opt(Metadata),
  }),
  public_id: opt(RunId),
  parent_run_id: opt(RunId),
  trigger: opt(
    z.object({
      conversation_id: opt(Uuid),
      message_id: opt(ShortText),
      tool_call_id: opt(ShortText),
    }),
  ),
});
export type CreateRunInput = z.output<typeof CreateRunBody>;

/** The older `…/agent-runs/{run_id}/start`: an AG-UI style run input. */
export const StartRunBody = optionalBody(
  z.object({
    messages: opt(z.array(z.unknown())),
    context: opt(z.unknown()),
    model: opt(z.unknown()),
    forwarded_props: opt(z.unknown()),
    runtime_overrides: opt(z.unknown()),
    agent_id: opt(AgentId),
  }),
);
export type StartRunInput = z.output<typeof StartRunBody>;

const Cursor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const AppendEventsBody = z.strictObject({
  events: z
    .array(z.unknown())
    .min(1, "must hold 1 to 100 events")
    .max(100, "must hold 1 to 100 events"),
  expected_previous_event_id: opt(Cursor),
  expected_previous_external_event_sequence: opt(Cursor),
});

export const CompleteRunBody = z.object({
  status: z.enum(["completed", "failed", "cancelled"]),
  metadata: opt(Metadata),
  terminal_error_code: opt(z.string().min(1).max(256)),
  terminal_error_message: opt(z.string().min(1).max(4096)),
});
export type CompleteRunInput = z.output<typeof CompleteRunBody>;

export const CancelRunBody = optionalBody(z.object({ cascade: opt(z.boolean()) }));

export const WaitBody = z.object({
  reason: opt(WaitingReason),
  tool_call_id: z.string().min(1).max(256),
  tool_name: opt(z.string().min(1).max(256)),
});
export type WaitInput = z.output<typeof WaitBody>;

export const ToolResultBody = z.object({
  toolCallId: z.string().min(1).max(256),
  result: z.unknown().refine((v) => v !== undefined, "is required"),
  isError: opt(z.boolean()),
});
export type ToolResultInput = z.output<typeof ToolResultBody>;

// ── Responses (documented in OpenAPI; the handlers build them from domain/records.ts) ──────

const Nullable = z.string().nullable();

export const AgentRunRecordSchema = z.object({
  run_id: z.string(),
  conversation_id: z.string(),
  message_id: z.string(),
  project_id: z.string(),
  requested_by_user_id: Nullable,
  agent_id: z.string(),
  status: RunStatusSchema,
  runtime_target_kind: z.string(),
  latest_event_id: z.number().int(),
  latest_external_event_sequence: z.number().int(),
  created_at: z.string(),
  source_target_kind: Nullable,
  source_target_environment_id: Nullable,
  source_target_branch_id: Nullable,
  runtime_target_environment_id: Nullable,
  runtime_target_branch_id: Nullable,
  parent_conversation_id: Nullable,
  parent_run_id: Nullable,
  spawned_from_message_id: Nullable,
  spawned_from_tool_call_id: Nullable,
  input_anchor_message_id: Nullable,
  handoff_message_id: Nullable,
  resolved_deployment_id: Nullable,
  waiting_tool_call_id: Nullable,
  waiting_tool_name: Nullable,
  terminal_error_code: Nullable,
  terminal_error_message: Nullable,
  started_at: Nullable,
  finished_at: Nullable,
  waiting_reason: WaitingReason.nullable(),
  root_run_id: z.string(),
  implementation_kind: Nullable,
  worker_key: Nullable,
  metadata: JsonObject.nullable(),
});

export const RunSummarySchema = z.object({
  run_id: z.string(),
  kind: z.literal("agent"),
  status: z.enum(["pending", "running", "waiting", "completed", "failed", "cancelled"]),
  owner: z.object({ kind: z.literal("conversation"), id: z.string() }),
  parent_run_id: Nullable,
  root_run_id: z.string(),
  waiting_reason: WaitingReason.nullable(),
  created_at: z.string(),
  started_at: Nullable,
  completed_at: Nullable,
  metadata: JsonObject.nullable(),
});

export const PageInfoSchema = z.object({
  self: Nullable,
  first: z.null(),
  next: Nullable,
  prev: Nullable,
});

export const RunSnapshotSchema = AgentRunRecordSchema.extend({
  run_snapshot: z.object({
    project_agent: z.object({ project_id: z.string(), agent_id: z.string() }),
    runtime_target: z.object({ environment_id: Nullable, branch_id: Nullable, kind: z.string() }),
    requester: z.object({ user_id: Nullable }),
  }),
});

export const LoggedEventSchema = z.object({
  event_id: z.number().int(),
  event_type: z.string(),
  event: JsonObject,
  created_at: z.string(),
});

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    request_id: z.string(),
  })
  .loose();

/** `{data, page_info}`: the envelope of every listing. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), page_info: PageInfoSchema });

/** Create and start replies (202). */
export const acceptedOf = <T extends z.ZodType>(run: T) =>
  z.object({ accepted: z.literal(true), duplicate: z.boolean(), run });

export const completedOf = <T extends z.ZodType>(run: T) =>
  z.object({ completed: z.boolean(), run });

export const cancelledOf = <T extends z.ZodType>(run: T) =>
  z.object({ cancelled: z.boolean(), run });

export const RunReplySchema = z.object({ run: AgentRunRecordSchema });

export const ToolResultResponse = z.object({ accepted: z.literal(true), duplicate: z.boolean() });

export const AppendEventsResponse = z.object({
  run: AgentRunRecordSchema,
  latest_event_id: z.number().int(),
  appended_count: z.number().int(),
  latest_external_event_sequence: z.number().int(),
  duplicate: z.boolean(),
});

export const EventPageResponse = pageOf(LoggedEventSchema);

export const RunSnapshotResponse = z.object({
  after_event_id: z.number().int(),
  events: z.array(
    z.object({
      event_id: z.number().int().nullable(),
      event_type: z.string(),
      event: JsonObject,
    }),
  ),
});

export const ConversationSchema = z.object({
  id: z.string(),
  project_id: z.string(),
  metadata: JsonObject.nullable(),
  created_at: z.string(),
});

// ── Authentication (contract §2) ────────────────────────────────────────────────────────────

export const ScopeSchema = z.enum(SCOPES);

export const CreateApiKeyBody = optionalBody(
  z.strictObject({
    name: opt(z.string().trim().min(1).max(200)),
    scopes: opt(
      z
        .array(ScopeSchema)
        .min(1, "must name at least one scope")
        .max(SCOPES.length * 4),
    ),
  }),
);

export const ApiKeyParams = z.object({ id: z.string().min(1).max(128) });

export const ApiKeySchema = z.object({
  id: z.string(),
  name: Nullable,
  prefix: z.string(),
  scopes: z.array(ScopeSchema),
  created_at: z.string(),
  last_used_at: Nullable,
  revoked_at: Nullable,
});

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe("The full key, vf_<prefix>_<secret>: shown only in this response"),
});

export const ChildRunParams = z.object({ run_id: RunId, child_run_id: RunId });

export const RunEventTokenSchema = z.object({
  run_event_token: z
    .string()
    .describe("A short-lived JWT that can append events to this one run and nothing else"),
});

// ── Agent workers (contract §5) ─────────────────────────────────────────────────────────────

const rangeMessage = (min: number, max: number) => `must be a number from ${min} to ${max}`;
const LeaseSeconds = z
  .number({ message: "must be a whole number of seconds from 5 to 3600" })
  .int("must be a whole number of seconds from 5 to 3600")
  .min(5, "must be a whole number of seconds from 5 to 3600")
  .max(3600, "must be a whole number of seconds from 5 to 3600");
const WaitSeconds = z
  .number({ message: rangeMessage(0, 30) })
  .min(0, rangeMessage(0, 30))
  .max(30, rangeMessage(0, 30));
const WorkerId = z.string().min(1).max(128);
export const SessionStatus = z.enum(["active", "completed", "failed", "cancelled"]);

export const ProjectReferenceParams = z.object({
  project_reference: z
    .string()
    .min(1)
    .max(128)
    .describe('The caller\'s project: its id, or "current"'),
});
export const WorkerParams = z.object({ worker_id: WorkerId });
export const WorkerRunParams = z.object({ worker_id: WorkerId, run_id: RunId });

export const RegisterWorkerBody = z.object({
  implementation_kind: ShortText,
  worker_key: ShortText,
  implementation_display_name: opt(ShortText),
  display_name: opt(ShortText),
  metadata: opt(Metadata),
});
export type RegisterWorkerInput = z.output<typeof RegisterWorkerBody>;

export const HeartbeatBody = optionalBody(
  z.object({
    status: opt(z.enum(["active", "inactive"])),
    metadata: opt(Metadata),
  }),
);
export type HeartbeatInput = z.output<typeof HeartbeatBody>;

export const ClaimBody = optionalBody(
  z.object({ lease_duration_seconds: opt(LeaseSeconds), wait_seconds: opt(WaitSeconds) }),
);
export const LeaseBody = optionalBody(z.object({ lease_duration_seconds: opt(LeaseSeconds) }));

export const WorkerSessionBody = z.object({
  session_key: ShortText,
  status: SessionStatus,
  metadata: opt(Metadata),
});
export type WorkerSessionInput = z.output<typeof WorkerSessionBody>;

export const WorkerSchema = z.object({
  id: z.string(),
  project_id: z.string(),
  implementation_kind: z.string(),
  worker_key: z.string(),
  implementation_display_name: Nullable,
  display_name: Nullable,
  metadata: JsonObject.nullable(),
  status: z.enum(["active", "inactive"]),
  last_heartbeat_at: z.string(),
  created_at: z.string(),
});
export const WorkerWithTokenSchema = z.object({
  worker: WorkerSchema,
  token: z.string().describe("A worker token (Bearer) for this worker; heartbeats renew it"),
});

export const WorkerSessionSchema = z.object({
  session_key: z.string(),
  status: SessionStatus,
  metadata: JsonObject.nullable(),
  worker_id: z.string(),
  run_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const WorkerRunSchema = AgentRunRecordSchema.extend({
  lease_owner: Nullable,
  lease_expires_at: Nullable,
  request_snapshot: JsonObject,
  worker_session: JsonObject.nullable(),
});
