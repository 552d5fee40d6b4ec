/** Small builders for test data. */
import { randomUUID } from "node:crypto";
import { initialSequenceState } from "../../src/domain/agui/sequence.ts";
import type { NewRun } from "../../src/store/types.ts";

export function newRunRow(overrides: Partial<NewRun> = {}): NewRun {
  const runId = overrides.run_id ?? `run_${randomUUID().replaceAll("-", "")}`;
  return {
    project_id: "p1",
    run_id: runId,
    conversation_id: randomUUID(),
    message_id: randomUUID(),
    requested_by_user_id: null,
    agent_id: "agent",
    status: "pending",
    mode: null,
    runtime_target_kind: "production",
    runtime_target_environment_id: null,
    runtime_target_branch_id: null,
    source_target_kind: null,
    source_target_environment_id: null,
    source_target_branch_id: null,
    latest_event_id: 0,
    latest_external_event_sequence: 0,
    parent_conversation_id: null,
    parent_run_id: null,
    root_run_id: runId,
    spawned_from_message_id: null,
    spawned_from_tool_call_id: null,
    input_anchor_message_id: null,
    queued_behind: null,
    handoff_message_id: null,
    resolved_deployment_id: null,
    waiting_reason: null,
    waiting_tool_call_id: null,
    waiting_tool_name: null,
    terminal_error_code: null,
    terminal_error_message: null,
    implementation_kind: null,
    worker_key: null,
    metadata: null,
    request_snapshot: { kind: "agent" },
    sequence_state: initialSequenceState(),
    lease_owner: null,
    lease_expires_at: null,
    worker_session: null,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    ...overrides,
  };
}

export const text = (messageId: string, delta: string) => [
  { type: "TEXT_MESSAGE_START", messageId, role: "assistant" },
  { type: "TEXT_MESSAGE_CONTENT", messageId, delta },
  { type: "TEXT_MESSAGE_END", messageId },
];
