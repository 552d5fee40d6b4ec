/**
 * The contract's shapes as zod schemas: the single source for the server's request validation,
 * its OpenAPI document (`/openapi.json`) and the wire types (`types.ts`) the client speaks.
 * `…Request` types are request bodies as the server holds them after parsing (defaults applied).
 *
 * Optional request fields (`x?`) also accept an explicit `null`, meaning "not given".
 */
import { ResumeEntrySchema, RunFinishedOutcomeSchema } from "@ag-ui/core/schemas";
import { z } from "zod";
import { AGENT_ID_PATTERN, RUN_ID_PATTERN } from "./ids.ts";
import { PROBLEM_CODE_LIST } from "./problem-codes.ts";
import { SCOPES } from "./scopes.ts";

/** An optional field that also accepts null; both mean "not given". */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** A body that may be absent, empty or null: all mean "no options given". */
const optionalBody = <T extends z.ZodObject>(schema: T) =>
  schema.nullish().transform((v) => v ?? ({} as z.output<T>));

/**
 * A JSON object, passed through as the client sent it (by reference). `z.record` would copy it
 * key by key and so turn a `__proto__` key into the copy's prototype — dropping the key and
 * "polluting" that object; docs/api.md §12 wants such keys stored and returned verbatim.
 */
const JsonObject = z
  .unknown()
  .refine(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    "must be a JSON object",
  )
  .transform((value) => value as Record<string, unknown>)
  .meta({ type: "object", additionalProperties: {} });

/** The most `metadata` a request may carry, as JSON (docs/api.md §12). */
export const METADATA_LIMIT_BYTES = 64 * 1024;

/** UTF-8 length of `text` (no Buffer or TextEncoder: the contract runs in browsers and Node alike). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Request `metadata`: a JSON object of at most 64 KiB, so that a listing of 100 runs always
 * serialises (issue 16: 60 runs of 9.5 MB metadata made `GET /runs` fail). Over the limit the
 * HTTP layer answers 400 `metadata_too_large` (the issue's `params.problem` names the code).
 */
const Metadata = JsonObject.superRefine((value, ctx) => {
  const bytes = utf8Length(JSON.stringify(value));
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

/**
 * A run's status: the one spelling of the set. Every other list of statuses — in the server,
 * the CLI and the inspector — is derived from this enum (`.options`, `.extract`, `.exclude`, or
 * the types below), so adding a status is a change here that the compiler carries everywhere.
 */
export const RunStatusSchema = z.enum([
  "pending",
  "running",
  "waiting_for_tool",
  "completed",
  "failed",
  "cancelled",
]);
/** The statuses a run ends in; nothing changes a run after. */
export const TerminalRunStatusSchema = RunStatusSchema.extract([
  "completed",
  "failed",
  "cancelled",
]);
/** The statuses of a run that has not ended. */
export const ActiveRunStatusSchema = RunStatusSchema.exclude(TerminalRunStatusSchema.options);
/** The statuses a run may be created in. */
export const InitialRunStatusSchema = RunStatusSchema.extract(["pending", "running"]);
/** A run summary's spelling of the status: `waiting_for_tool` is `waiting` there. */
export const RunSummaryStatusSchema = z.enum([
  ...RunStatusSchema.exclude(["waiting_for_tool"]).options,
  "waiting",
]);
/** What a worker declares about itself (register, heartbeat). */
export const WorkerStatusSchema = z.enum(["active", "inactive"]);
/** Who an input request asks to answer it. */
export const ResponderTypeSchema = z.enum(["human", "agent", "system"]);
/** Who answered an input request. */
export const InputActorTypeSchema = z.enum(["user", "api_key", "worker"]);
/** The kinds of credential a caller may hold. */
export const CredentialKindSchema = z.enum(["api_key", "jwt", "run_writer", "worker"]);
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
 * An integer query parameter (docs/api.md §12): decimal digits only — `1e2`, `0x10`, ` 5`, `5.0`
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

/** A status filter: either spelling of every status. */
export const RunStatusFilterSchema = z.enum([...RunStatusSchema.options, "waiting"]);

export const RunListQuery = z.object({
  status: RunStatusFilterSchema.optional(),
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

/** Issues of an AG-UI schema's parse, added to a zod refinement context. */
function addForeignIssues(
  ctx: z.RefinementCtx,
  issues: readonly { path: PropertyKey[]; message: string }[],
): void {
  for (const issue of issues) {
    ctx.addIssue({ code: "custom", path: issue.path.map(String), message: issue.message });
  }
}

/**
 * AG-UI 1.0 resume entries (docs/api.md §7.5), validated with `@ag-ui/core`'s own schema; one
 * entry per interrupt.
 */
export const ResumeEntries = z
  .array(
    z
      .object({ interruptId: z.string(), status: z.enum(["resolved", "cancelled"]) })
      .loose()
      .superRefine((entry, ctx) => {
        const parsed = ResumeEntrySchema.safeParse(entry);
        if (!parsed.success) addForeignIssues(ctx, parsed.error.issues);
      }),
  )
  .min(1)
  .max(100)
  .superRefine((entries, ctx) => {
    const seen = new Set<string>();
    for (const [index, entry] of entries.entries()) {
      if (seen.has(entry.interruptId)) {
        ctx.addIssue({
          code: "custom",
          path: [index, "interruptId"],
          message: "answers an interrupt that another entry answers already",
        });
      }
      seen.add(entry.interruptId);
    }
  });
export type ResumeEntryInput = z.output<typeof ResumeEntries>[number];

/** A RUN_FINISHED outcome (docs/api.md §7.5), validated with `@ag-ui/core`'s own schema. */
export const RunOutcomeSchema = z
  .object({ type: z.enum(["success", "interrupt"]) })
  .loose()
  .superRefine((outcome, ctx) => {
    const parsed = RunFinishedOutcomeSchema.safeParse(outcome);
    if (!parsed.success) addForeignIssues(ctx, parsed.error.issues);
  });
export type RunOutcomeInput = z.output<typeof RunOutcomeSchema>;

/**
 * Fields a client may put at the top level of `POST /runs` that belong inside an object (the
 * request, the trigger, the owner) or are derived by the server. Unknown top-level fields are
 * otherwise tolerated (older clients send extras), but these would be silently dropped while the
 * caller believes they took effect — so they are refused, naming where they belong.
 */
const MISPLACED_CREATE_FIELDS: Readonly<Record<string, string>> = {
  agent_id: "belongs in request: send request.agent_id",
  initial_status: "belongs in request: send request.initial_status",
  implementation_kind: "belongs in request: send request.implementation_kind",
  worker_key: "belongs in request: send request.worker_key",
  source_target_kind: "belongs in request: send request.source_target_kind",
  runtime_target_kind: "belongs in request: send request.runtime_target_kind",
  conversation_id: "belongs in owner: send owner.id",
  spawned_from_message_id: "is set from trigger.message_id: send that instead",
  spawned_from_tool_call_id: "is set from trigger.tool_call_id: send that instead",
  parent_conversation_id: "is set by the server from parent_run_id: send parent_run_id",
  root_run_id: "is set by the server from parent_run_id: send parent_run_id",
};

/** docs/api.md §8: a new root run against the conversation's other active root runs. */
export const MultitaskStrategy = z.enum(["allow", "reject", "enqueue", "interrupt"]);
export type MultitaskStrategy = z.infer<typeof MultitaskStrategy>;

/** The fields of `POST /runs`; unknown ones pass (see MISPLACED_CREATE_FIELDS). */
const CreateRunFields = z.looseObject({
  kind: z.literal("agent"),
  owner: z.object({ kind: z.literal("conversation"), id: Uuid }),
  request: z.object({
    agent_id: AgentId,
    mode: opt(ShortText),
    initial_status: opt(InitialRunStatusSchema),
    source_target_kind: opt(SourceTargetKind),
    source_target_environment_id: opt(ShortText),
    source_target_branch_id: opt(ShortText),
    runtime_target_kind: opt(RuntimeTargetKind),
    runtime_target_environment_id: opt(ShortText),
    runtime_target_branch_id: opt(ShortText),
    implementation_kind: opt(ShortText),
    worker_key: opt(ShortText),
    metadata: opt(Metadata),
    resume: opt(ResumeEntries),
  }),
  public_id: opt(RunId),
  parent_run_id: opt(RunId),
  /** docs/api.md §8: what to do about the conversation's other active root runs (default allow). */
  multitask_strategy: opt(MultitaskStrategy),
  trigger: opt(
    z.object({
      conversation_id: opt(Uuid),
      message_id: opt(ShortText),
      tool_call_id: opt(ShortText),
    }),
  ),
});
export const CreateRunBody = CreateRunFields.superRefine((body, ctx) => {
  for (const field of Object.keys(body)) {
    const where = Object.hasOwn(MISPLACED_CREATE_FIELDS, field)
      ? MISPLACED_CREATE_FIELDS[field]
      : undefined;
    if (where) ctx.addIssue({ code: "custom", path: [field], message: where });
  }
});
export type CreateRunRequest = z.output<typeof CreateRunBody>;

/** The older `…/agent-runs/{run_id}/start`: an AG-UI style run input. */
export const StartRunBody = optionalBody(
  z.object({
    messages: opt(z.array(z.unknown())),
    context: opt(z.unknown()),
    model: opt(z.unknown()),
    forwarded_props: opt(z.unknown()),
    runtime_overrides: opt(z.unknown()),
    agent_id: opt(AgentId),
    resume: opt(ResumeEntries),
  }),
);
export type StartRunRequest = z.output<typeof StartRunBody>;

const Cursor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const AppendEventsBody = z.strictObject({
  events: z
    .array(z.unknown())
    .min(1, "must hold 1 to 100 events")
    .max(100, "must hold 1 to 100 events"),
  expected_previous_event_id: opt(Cursor),
  expected_previous_external_event_sequence: opt(Cursor),
});

export const CompleteRunBody = z
  .object({
    status: TerminalRunStatusSchema,
    metadata: opt(Metadata),
    terminal_error_code: opt(z.string().min(1).max(256)),
    terminal_error_message: opt(z.string().min(1).max(4096)),
    outcome: opt(RunOutcomeSchema),
  })
  .superRefine((body, ctx) => {
    if (body.outcome && body.status !== "completed") {
      ctx.addIssue({
        code: "custom",
        path: ["outcome"],
        message: 'is only allowed with status "completed"',
      });
    }
  });
export type CompleteRunRequest = z.output<typeof CompleteRunBody>;

export const CancelRunBody = optionalBody(z.object({ cascade: opt(z.boolean()) }));

export const WaitBody = z.object({
  reason: opt(WaitingReason),
  tool_call_id: z.string().min(1).max(256),
  tool_name: opt(z.string().min(1).max(256)),
});
export type WaitRequest = z.output<typeof WaitBody>;

export const ToolResultBody = z.object({
  toolCallId: z.string().min(1).max(256),
  result: z.unknown().refine((v) => v !== undefined, "is required"),
  isError: opt(z.boolean()),
});
export type ToolResultRequest = z.output<typeof ToolResultBody>;

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
  /** multitask_strategy enqueue (§8): the earlier root run this one waits behind, else null. */
  queued_behind: Nullable,
});

export const RunSummarySchema = z.object({
  run_id: z.string(),
  kind: z.literal("agent"),
  status: RunSummaryStatusSchema,
  owner: z.object({ kind: z.literal("conversation"), id: z.string() }),
  parent_run_id: Nullable,
  root_run_id: z.string(),
  waiting_reason: WaitingReason.nullable(),
  created_at: z.string(),
  started_at: Nullable,
  completed_at: Nullable,
  metadata: JsonObject.nullable(),
  /** multitask_strategy enqueue (§8): the earlier root run this one waits behind, else null. */
  queued_behind: Nullable,
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

/** RFC 9457 problem details; `code` is one of the catalogue's (problem-codes.ts). */
export const ProblemSchema = z
  .object({
    type: z.string().describe("urn:runline:problem:<code>"),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe("A sentence for people; switch on `code`, not on this"),
    code: z.enum(PROBLEM_CODE_LIST),
    request_id: z.string().describe("The X-Request-Id of the request, for the server's logs"),
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

// ── Authentication (docs/api.md §2) ────────────────────────────────────────────────────────────

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

// ── Agent workers (docs/api.md §5) ─────────────────────────────────────────────────────────────

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
export type RegisterWorkerRequest = z.output<typeof RegisterWorkerBody>;

export const HeartbeatBody = optionalBody(
  z.object({
    status: opt(WorkerStatusSchema),
    metadata: opt(Metadata),
  }),
);
export type HeartbeatRequest = z.output<typeof HeartbeatBody>;

export const ClaimBody = optionalBody(
  z.object({ lease_duration_seconds: opt(LeaseSeconds), wait_seconds: opt(WaitSeconds) }),
);
export const LeaseBody = optionalBody(z.object({ lease_duration_seconds: opt(LeaseSeconds) }));

export const WorkerSessionBody = z.object({
  session_key: ShortText,
  status: SessionStatus,
  metadata: opt(Metadata),
});
export type WorkerSessionRequest = z.output<typeof WorkerSessionBody>;

export const WorkerSchema = z.object({
  id: z.string(),
  project_id: z.string(),
  implementation_kind: z.string(),
  worker_key: z.string(),
  implementation_display_name: Nullable,
  display_name: Nullable,
  metadata: JsonObject.nullable(),
  status: WorkerStatusSchema,
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

// ── Retention and deletion (docs/api.md §9) ────────────────────────────────────────────────────

export const DeleteConversationQuery = z.object({
  cancel: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .optional()
    .transform((v) => v === "true")
    .describe("Cancel the conversation's active runs first instead of answering 409 run_active"),
});

export const ProjectSettingsBody = optionalBody(
  z.strictObject({
    retention_days: opt(z.number().int().min(0).max(36_500)).describe(
      "Delete runs this many days after they ended; 0 keeps them forever; null or absent: the server default (RUNLINE_RETENTION_DAYS)",
    ),
  }),
);

export const ProjectSettingsSchema = z.object({
  project_id: z.string(),
  retention_days: z.number().int().nullable(),
  effective_retention_days: z
    .number()
    .int()
    .describe("What the sweeper applies: retention_days, else the server default; 0 = forever"),
});

/** The 410 answer for a deleted run (every run route), for the OpenAPI document. */
export const RunDeletedProblem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.literal(410),
  detail: z.string(),
  code: z.literal("run_deleted"),
  request_id: z.string(),
  deleted_at: z.string(),
});

/** Who the caller is (`GET /credentials/current`): what a UI needs to offer only what works. */
export const CurrentCredentialSchema = z.object({
  project_id: z.string(),
  kind: CredentialKindSchema,
  scopes: z.array(ScopeSchema),
});

// ── Human input requests and interrupts (docs/api.md §7, §7.5) ────────────────────────────────

export const INPUT_REQUEST_STATUSES = ["open", "submitted", "cancelled", "expired"] as const;
export const InputRequestStatusSchema = z.enum(INPUT_REQUEST_STATUSES);
export const INTERRUPT_STATUSES = ["open", "resolved", "cancelled", "expired"] as const;
export const InterruptStatusSchema = z.enum(INTERRUPT_STATUSES);

/** A JavaScript regular expression that compiles (a field's `pattern`). */
const RegexSource = z
  .string()
  .min(1)
  .max(1024)
  .refine((source) => {
    try {
      new RegExp(source, "u");
      return true;
    } catch {
      return false;
    }
  }, "must be a valid JavaScript regular expression");

const Count = z.number().int().min(0).max(1_000_000);

const fieldCommon = {
  name: z.string().min(1).max(128),
  label: z.string().min(1).max(256),
  description: opt(z.string().max(1024)),
  required: opt(z.boolean()).transform((v) => v ?? false),
  secret: opt(z.boolean()).transform((v) => v ?? false),
};

export const TEXT_FIELD_TYPES = ["text", "email", "url", "password", "number"] as const;

const TextField = z.object({
  type: z.enum(TEXT_FIELD_TYPES),
  ...fieldCommon,
  placeholder: opt(z.string().max(256)),
  defaultValue: opt(z.string().max(4096)),
  pattern: opt(RegexSource),
  minLength: opt(Count),
  maxLength: opt(Count),
  min: opt(z.number()),
  max: opt(z.number()),
});

const TextareaField = z.object({
  type: z.literal("textarea"),
  ...fieldCommon,
  placeholder: opt(z.string().max(256)),
  defaultValue: opt(z.string().max(65_536)),
  minLength: opt(Count),
  maxLength: opt(Count),
  rows: opt(z.number().int().min(1).max(100)).transform((v) => v ?? 3),
});

const FieldOption = z.object({
  value: z.string().min(1).max(256),
  label: z.string().min(1).max(256),
  description: opt(z.string().max(1024)),
  recommended: opt(z.boolean()),
});

const ChoiceField = z.object({
  type: z.enum(["select", "radio"]),
  ...fieldCommon,
  options: z.array(FieldOption).min(1).max(100),
  defaultValue: opt(z.string().max(256)),
});

const CheckboxField = z.object({
  type: z.literal("checkbox"),
  ...fieldCommon,
  defaultValue: opt(z.boolean()).transform((v) => v ?? false),
});

const ConfirmField = z.object({
  type: z.literal("confirm"),
  ...fieldCommon,
  confirmLabel: opt(z.string().min(1).max(128)).transform((v) => v ?? "Yes"),
  denyLabel: opt(z.string().min(1).max(128)).transform((v) => v ?? "No"),
});

/** One form field of an input request; defaults are filled in, absent optionals omitted. */
export const InputFieldSchema = z.discriminatedUnion("type", [
  TextField,
  TextareaField,
  ChoiceField,
  CheckboxField,
  ConfirmField,
]);

export const CreateInputRequestBody = z.object({
  run_id: RunId,
  tool_call_id: z.string().min(1).max(128),
  kind: z.literal("form"),
  requested_responder_type: ResponderTypeSchema,
  title: z.string().min(1).max(256),
  description: opt(z.string().max(2048)),
  fields: z
    .array(InputFieldSchema)
    .min(1, "must hold 1 to 50 fields")
    .max(50, "must hold 1 to 50 fields")
    .superRefine((fields, ctx) => {
      const seen = new Set<string>();
      for (const [index, field] of fields.entries()) {
        if (seen.has(field.name)) {
          ctx.addIssue({
            code: "custom",
            path: [index, "name"],
            message: `duplicates the field name ${JSON.stringify(field.name)}`,
          });
        }
        seen.add(field.name);
      }
    }),
  expires_at: z.iso.datetime({
    offset: true,
    message: "must be an ISO 8601 date-time with an offset",
  }),
  metadata: opt(Metadata),
});
export type CreateInputRequestRequest = z.output<typeof CreateInputRequestBody>;

export const InputRequestParams = z.object({
  conversation_id: Uuid,
  // Any string: an id that is not a UUID simply names no request (404).
  input_request_id: z.string().min(1).max(128),
});

export const GetInputRequestQuery = z.object({
  // Decimal digits only (no `1e1`, `0x10`, blanks or fractions).
  wait_seconds: z
    .string()
    .regex(/^\d{1,2}$/, "must be an integer from 1 to 60")
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, "must be an integer from 1 to 60")
        .max(60, "must be an integer from 1 to 60"),
    )
    .optional(),
});

export const InputRequestListQuery = z.object({
  status: InputRequestStatusSchema.optional(),
  run_id: RunId.optional(),
  cursor: z.string().min(1).max(512).optional(),
  limit: limitParam(100, 20),
});

export const InputResponseBody = z.object({
  values: z.record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean(), z.null()], {
      message: "must be a string, number, boolean or null",
    }),
  ),
});
export type InputResponseInput = z.output<typeof InputResponseBody>;

export const InputResponseSchema = z.object({
  id: z.string(),
  input_request_id: z.string(),
  conversation_id: z.string(),
  run_id: z.string(),
  actor_type: InputActorTypeSchema,
  actor_id: z.string(),
  values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  created_at: z.string(),
});

export const InputRequestSchema = z.object({
  id: z.string(),
  conversation_id: z.string(),
  run_id: z.string(),
  tool_call_id: z.string(),
  kind: z.literal("form"),
  status: InputRequestStatusSchema,
  requested_responder_type: ResponderTypeSchema,
  title: z.string(),
  description: Nullable,
  fields: z.array(JsonObject),
  recommendations: z.null(),
  metadata: JsonObject.nullable(),
  created_at: z.string(),
  expires_at: z.string(),
  submitted_at: Nullable,
  cancelled_at: Nullable,
  expired_at: Nullable,
  latest_response: InputResponseSchema.nullable(),
});

export const InterruptListQuery = z.object({
  status: InterruptStatusSchema.optional(),
  cursor: z.string().min(1).max(512).optional(),
  limit: limitParam(100, 20),
});

export const InterruptItemSchema = z.object({
  interrupt: JsonObject,
  run_id: z.string(),
  status: InterruptStatusSchema,
  created_at: z.string(),
  resolved_by_run_id: Nullable,
  resume: JsonObject.nullable(),
});

// ── Webhooks (docs/api.md §10) ─────────────────────────────────────────────────────────────────

/** Every change a webhook can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  "run.created",
  "run.running",
  "run.waiting",
  "run.completed",
  "run.failed",
  "run.cancelled",
  "input_request.created",
  "input_request.submitted",
  "input_request.cancelled",
  "input_request.expired",
  "interrupt.opened",
] as const;

export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);

export const CreateWebhookBody = z.strictObject({
  // Any string here: the server answers a URL it refuses with 400 invalid_webhook_url.
  url: z.string().min(1).max(2048),
  events: z
    .array(WebhookEventTypeSchema)
    .min(1, "must name at least one event type")
    .max(WEBHOOK_EVENT_TYPES.length * 4),
  description: opt(z.string().max(1024)),
});

export const WebhookParams = z.object({ id: z.string().min(1).max(128) });

export const WebhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(WebhookEventTypeSchema),
  description: Nullable,
  created_at: z.string(),
});

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().describe("The signing secret, whsec_<base64>: shown only in this response"),
});

export const WebhookDeliveryListQuery = z.object({
  cursor: z.string().min(1).max(512).optional(),
  limit: limitParam(100, 20),
});

export const WebhookDeliverySchema = z.object({
  id: z.string().describe("The delivery's webhook-id header (the same on every attempt)"),
  type: WebhookEventTypeSchema,
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_error: Nullable,
  next_attempt_at: Nullable,
  created_at: z.string(),
});
