/**
 * Create a run (docs/api.md §4.1): `POST /runs` and the older `…/agent-runs/{run_id}/start`.
 * A client-chosen id (`public_id`) is the idempotency key: the same id again returns the
 * existing run unchanged, with `duplicate: true`.
 */

import type {
  CreateRunRequest,
  MultitaskStrategy,
  ResumeEntryInput,
  StartRunRequest,
} from "@runline/contract";
import type { AuthContext } from "../auth/auth-context.ts";
import { initialSequenceState } from "../domain/agui/sequence.ts";
import { newRunId, newUuid } from "../domain/ids.ts";
import { isTerminal } from "../domain/run-status.ts";
import { Problems } from "../errors.ts";
import { answerInterrupts } from "../human-input/interrupts.ts";
import type { NewRun, RunRow, RunStoreTx } from "../store/types.ts";
import { lockRun } from "./access.ts";
import { commitEvents, startIfNeeded } from "./commit-events.ts";
import type { LedgerContext } from "./context.ts";
import { cancelTree } from "./finish-run.ts";

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
    strategy: input.multitask_strategy ?? "allow",
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
    strategy: "allow",
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
  /** `initial_status: "running"`: write RUN_STARTED now (not when the run is queued). */
  start: boolean;
  /** docs/api.md §8: what to do about the conversation's other active root runs (root runs only). */
  strategy: MultitaskStrategy;
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
  let interrupted: RunRow[] = [];
  const result = await ctx.store.transaction(async (tx) => {
    interrupted = [];
    // A duplicate returns the existing run without applying the strategy again (§8).
    const existing = await tx.getRunForUpdate(auth.projectId, spec.runId);
    if (existing) return { run: existing, duplicate: true };
    // A deleted run's id stays taken while its tombstone lasts (docs/api.md §9).
    const tombstone = await tx.retention.tombstone(auth.projectId, spec.runId);
    if (tombstone) throw Problems.runDeleted(spec.runId, tombstone.deleted_at);
    const now = ctx.now();
    const parent = spec.parentRunId
      ? await lockRun(tx, auth, { runId: spec.parentRunId })
      : undefined;
    let queuedBehind: string | null = null;
    if (!parent && spec.strategy !== "allow") {
      const applied = await applyStrategy(tx, auth.projectId, spec, now);
      queuedBehind = applied.queuedBehind;
      interrupted = applied.interrupted;
    }
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
      queued_behind: queuedBehind,
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
    const run = spec.start && queuedBehind === null ? await start(tx, inserted, now) : inserted;
    return { run, duplicate: false };
  });
  if (!result.duplicate) {
    for (const run of interrupted) ctx.committed(run);
    ctx.committed(result.run);
  }
  return result;
}

/**
 * multitask_strategy (docs/api.md §8) against the conversation's other active root runs, under the
 * conversation's lock (so that concurrent creates and run ends decide one after the other):
 * reject → 409 `conversation_busy`; enqueue → the new run waits behind the newest of them;
 * interrupt → each is cancelled with its descendants, in this transaction.
 */
async function applyStrategy(
  tx: RunStoreTx,
  projectId: string,
  spec: NewRunSpec,
  now: string,
): Promise<{ queuedBehind: string | null; interrupted: RunRow[] }> {
  await tx.lockConversation(projectId, spec.conversationId);
  const active = await tx.activeRootRuns(projectId, spec.conversationId);
  const newest = active[active.length - 1];
  if (!newest) return { queuedBehind: null, interrupted: [] };
  switch (spec.strategy) {
    case "reject":
      throw Problems.conversationBusy(active.map((run) => run.run_id));
    case "enqueue":
      return { queuedBehind: newest.run_id, interrupted: [] };
    case "interrupt": {
      const interrupted: RunRow[] = [];
      for (const candidate of active) {
        const run = await tx.getRunForUpdate(projectId, candidate.run_id);
        if (run && !isTerminal(run.status)) {
          interrupted.push(...(await cancelTree(tx, projectId, run, true, now)));
        }
      }
      return { queuedBehind: null, interrupted };
    }
    default:
      return { queuedBehind: null, interrupted: [] };
  }
}

function start(tx: RunStoreTx, run: RunRow, now: string): Promise<RunRow> {
  const { events, patch } = startIfNeeded(run, now);
  return commitEvents(tx, run, events, patch, now);
}

/** JSON-friendly copy of a parsed request (zod leaves `undefined` for absent optionals). */
function stripUndefined(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
