/**
 * The wire shapes of a run (docs/api.md §1.1, §1.2, §5), derived from the stored row.
 * Every key is always present; unknown values are null.
 */
import type { AgentRunRecord, RunSummary, RunWithSnapshot, WorkerRun } from "@runline/contract";
import type { RunRow } from "./run.ts";
import { toCanonicalStatus } from "./run-status.ts";

// Each mapper returns its schema's output type (`z.output` of the contract's response schema):
// a field the schema gains, loses or retypes is a compile error here, not a silent drift.
export type { AgentRunRecord, RunSummary };

export function toAgentRunRecord(run: RunRow): AgentRunRecord {
  return {
    run_id: run.run_id,
    conversation_id: run.conversation_id,
    message_id: run.message_id,
    project_id: run.project_id,
    requested_by_user_id: run.requested_by_user_id,
    agent_id: run.agent_id,
    status: run.status,
    runtime_target_kind: run.runtime_target_kind,
    latest_event_id: run.latest_event_id,
    latest_external_event_sequence: run.latest_external_event_sequence,
    created_at: run.created_at,
    source_target_kind: run.source_target_kind,
    source_target_environment_id: run.source_target_environment_id,
    source_target_branch_id: run.source_target_branch_id,
    runtime_target_environment_id: run.runtime_target_environment_id,
    runtime_target_branch_id: run.runtime_target_branch_id,
    parent_conversation_id: run.parent_conversation_id,
    parent_run_id: run.parent_run_id,
    spawned_from_message_id: run.spawned_from_message_id,
    spawned_from_tool_call_id: run.spawned_from_tool_call_id,
    input_anchor_message_id: run.input_anchor_message_id,
    handoff_message_id: run.handoff_message_id,
    resolved_deployment_id: run.resolved_deployment_id,
    waiting_tool_call_id: run.waiting_tool_call_id,
    waiting_tool_name: run.waiting_tool_name,
    terminal_error_code: run.terminal_error_code,
    terminal_error_message: run.terminal_error_message,
    started_at: run.started_at,
    finished_at: run.finished_at,
    waiting_reason: run.waiting_reason,
    root_run_id: run.root_run_id,
    implementation_kind: run.implementation_kind,
    worker_key: run.worker_key,
    metadata: run.metadata,
    queued_behind: run.queued_behind,
  };
}

export function toRunSummary(run: RunRow): RunSummary {
  return {
    run_id: run.run_id,
    kind: "agent",
    status: toCanonicalStatus(run.status),
    owner: { kind: "conversation", id: run.conversation_id },
    parent_run_id: run.parent_run_id,
    root_run_id: run.root_run_id,
    waiting_reason: run.waiting_reason,
    created_at: run.created_at,
    started_at: run.started_at,
    completed_at: run.finished_at,
    metadata: run.metadata,
    queued_behind: run.queued_behind,
  };
}

/** The children-by-parent-conversation listing adds a snapshot of who ran what where. */
export function toRunWithSnapshot(run: RunRow): RunWithSnapshot {
  return {
    ...toAgentRunRecord(run),
    run_snapshot: {
      project_agent: { project_id: run.project_id, agent_id: run.agent_id },
      runtime_target: {
        environment_id: run.runtime_target_environment_id,
        branch_id: run.runtime_target_branch_id,
        kind: run.runtime_target_kind,
      },
      requester: { user_id: run.requested_by_user_id },
    },
  };
}

/** What a worker sees of a run it claimed (docs/api.md §5). */
export function toWorkerRun(run: RunRow): WorkerRun {
  return {
    ...toAgentRunRecord(run),
    lease_owner: run.lease_owner,
    lease_expires_at: run.lease_expires_at,
    request_snapshot: run.request_snapshot,
    worker_session: run.worker_session,
  };
}
