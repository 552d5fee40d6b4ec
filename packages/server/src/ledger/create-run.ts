/**
 * Create a run (docs/api.md §4.1): `POST /runs` and the older `…/agent-runs/{run_id}/start`.
 * A client-chosen id (`public_id`) is the idempotency key: the same id again returns the
 * existing run unchanged, with `duplicate: true`.
 */

import type { CreateRunRequest, ResumeEntryInput, StartRunRequest } from "@runline/contract";
import type { AuthContext } from "../auth/auth-context.ts";
import { initialSequenceState } from "../domain/agui/sequence.ts";
import { newRunId, newUuid } from "../domain/ids.ts";
import { Problems } from "../errors.ts";
import { answerInterrupts } from "../human-input/interrupts.ts";
import type { NewRun, RunRow, RunStoreTx } from "../store/types.ts";
import { lockRun } from "./access.ts";
import { commitEvents, startIfNeeded } from "./commit-events.ts";
import type { LedgerContext } from "./context.ts";

export interface CreateRunResult {
  run: RunRow;
  duplicate: boolean;
}

export async function createRun(
  ctx: LedgerContext,
  auth: AuthContext,
  input: CreateRunRequest,
): Promise<CreateRunResult> {
  const request = input.request;
  return insertRun(ctx, auth, {
    runId: input.public_id ?? newRunId(),
    conversationId: input.owner.id,
    parentRunId: input.parent_run_id,
    start: request.initial_status === "running",
    fields: {
      agent_id: request.agent_id,
      mode: request.mode ?? null,
      message_id: input.trigger?.message_id ?? newUuid(),
      runtime_target_kind: request.runtime_target_kind ?? "production",
      runtime_target_environment_id: request.runtime_target_environment_id ?? null,
      runtime_target_branch_id: request.runtime_target_branch_id ?? null,
      source_target_kind: request.source_target_kind ?? null,
      source_target_environment_id: request.source_target_environment_id ?? null,
      source_target_branch_id: request.source_target_branch_id ?? null,
      implementation_kind: request.implementation_kind ?? null,
      worker_key: request.worker_key ?? null,
      metadata: request.metadata ?? null,
      request_snapshot: stripUndefined(input),
    },
    trigger: {
      messageId: input.trigger?.message_id,
      toolCallId: input.trigger?.tool_call_id,
    },
    resume: request.resume,
  });
}

/** The older start route: the path's run id is the idempotency key. */
export async function startRun(
  ctx: LedgerContext,
  auth: AuthContext,
  conversationId: string,
  runId: string,
  input: StartRunRequest,
): Promise<CreateRunResult> {
  return insertRun(ctx, auth, {
    runId,
    conversationId,
    parentRunId: undefined,
    start: false,
    fields: {
      agent_id: input.agent_id ?? "default",
      mode: null,
      message_id: newUuid(),
      runtime_target_kind: "production",
      runtime_target_environment_id: null,
      runtime_target_branch_id: null,
      source_target_kind: null,
      source_target_environment_id: null,
      source_target_branch_id: null,
      implementation_kind: null,
      worker_key: null,
      metadata: null,
      request_snapshot: stripUndefined(input),
    },
    trigger: {},
    resume: input.resume,
  });
}

type RunFields = Pick<
  NewRun,
  | "agent_id"
  | "mode"
  | "message_id"
  | "runtime_target_kind"
  | "runtime_target_environment_id"
  | "runtime_target_branch_id"
  | "source_target_kind"
  | "source_target_environment_id"
  | "source_target_branch_id"
  | "implementation_kind"
  | "worker_key"
  | "metadata"
  | "request_snapshot"
>;

interface NewRunSpec {
  runId: string;
  conversationId: string;
  parentRunId: string | undefined;
  /** `initial_status: "running"`: write RUN_STARTED now. */
  start: boolean;
  fields: RunFields;
  trigger: { messageId?: string | undefined; toolCallId?: string | undefined };
  /** Answers to the conversation's open interrupts (docs/api.md §7.5; root runs only). */
  resume: ResumeEntryInput[] | undefined;
}

async function insertRun(
  ctx: LedgerContext,
  auth: AuthContext,
  spec: NewRunSpec,
): Promise<CreateRunResult> {
  const result = await ctx.store.transaction(async (tx) => {
    const existing = await tx.getRunForUpdate(auth.projectId, spec.runId);
    if (existing) return { run: existing, duplicate: true };
    // A deleted run's id stays taken while its tombstone lasts (docs/api.md §9).
    const tombstone = await tx.retention.tombstone(auth.projectId, spec.runId);
    if (tombstone) throw Problems.runDeleted(spec.runId, tombstone.deleted_at);
    const now = ctx.now();
    const parent = spec.parentRunId
      ? await lockRun(tx, auth, { runId: spec.parentRunId })
      : undefined;
    await tx.ensureConversation({
      project_id: auth.projectId,
      id: spec.conversationId,
      metadata: null,
      created_at: now,
    });
    const inserted = await tx.insertRun({
      ...spec.fields,
      project_id: auth.projectId,
      run_id: spec.runId,
      conversation_id: spec.conversationId,
      requested_by_user_id: auth.userId,
      status: "pending",
      latest_event_id: 0,
      latest_external_event_sequence: 0,
      parent_conversation_id: parent?.conversation_id ?? null,
      parent_run_id: parent?.run_id ?? null,
      root_run_id: parent?.root_run_id ?? spec.runId,
      spawned_from_message_id: parent ? (spec.trigger.messageId ?? null) : null,
      spawned_from_tool_call_id: parent ? (spec.trigger.toolCallId ?? null) : null,
      input_anchor_message_id: null,
      handoff_message_id: null,
      resolved_deployment_id: null,
      waiting_reason: null,
      waiting_tool_call_id: null,
      waiting_tool_name: null,
      terminal_error_code: null,
      terminal_error_message: null,
      sequence_state: initialSequenceState(),
      lease_owner: null,
      lease_expires_at: null,
      worker_session: null,
      created_at: now,
      started_at: null,
      finished_at: null,
    });
    if (!inserted) {
      // Lost a race with a concurrent create of the same id (PostgreSQL): theirs stands.
      const winner = await tx.getRunForUpdate(auth.projectId, spec.runId);
      if (!winner)
        throw Problems.conflict(`Run ${spec.runId} is being created concurrently; retry`);
      return { run: winner, duplicate: true };
    }
    // A root run answers the conversation's open interrupts, closing them (docs/api.md §7.5).
    tx.record({ type: "run.created", run: inserted });
    if (!parent) {
      await answerInterrupts(tx, auth.projectId, spec.conversationId, spec.runId, spec.resume, now);
    }
    const run = spec.start ? await start(tx, inserted, now) : inserted;
    return { run, duplicate: false };
  });
  if (!result.duplicate) ctx.committed(result.run);
  return result;
}

function start(tx: RunStoreTx, run: RunRow, now: string): Promise<RunRow> {
  const { events, patch } = startIfNeeded(run, now);
  return commitEvents(tx, run, events, patch, now);
}

/** JSON-friendly copy of a parsed request (zod leaves `undefined` for absent optionals). */
function stripUndefined(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
