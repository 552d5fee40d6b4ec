/**
 * A run as the domain knows it: the row the stores keep and the rules and records read. Defined
 * here, not in `store/`, so that the domain depends on nothing outside it (the stores import it).
 * Closed sets come from the contract's schemas.
 */
import type { RunStatus, WaitingReasonValue } from "@runline/contract";
import type { SequenceState } from "./agui/sequence.ts";

/** The contract's run status (one enum, `RunStatusSchema`). */
export type { RunStatus };

export type WaitingReason = WaitingReasonValue;

export type JsonObject = Record<string, unknown>;

/** A run as stored. Field names follow the wire format (snake_case) to keep mapping trivial. */
export interface RunRow {
  /** Internal, monotonically increasing row number: the keyset for listings. Never on the wire. */
  pk: number;
  project_id: string;
  run_id: string;
  conversation_id: string;
  message_id: string;
  requested_by_user_id: string | null;
  agent_id: string;
  status: RunStatus;
  mode: string | null;
  runtime_target_kind: string;
  runtime_target_environment_id: string | null;
  runtime_target_branch_id: string | null;
  source_target_kind: string | null;
  source_target_environment_id: string | null;
  source_target_branch_id: string | null;
  latest_event_id: number;
  latest_external_event_sequence: number;
  parent_conversation_id: string | null;
  parent_run_id: string | null;
  root_run_id: string;
  spawned_from_message_id: string | null;
  spawned_from_tool_call_id: string | null;
  input_anchor_message_id: string | null;
  handoff_message_id: string | null;
  resolved_deployment_id: string | null;
  waiting_reason: WaitingReason | null;
  waiting_tool_call_id: string | null;
  waiting_tool_name: string | null;
  terminal_error_code: string | null;
  terminal_error_message: string | null;
  implementation_kind: string | null;
  worker_key: string | null;
  metadata: JsonObject | null;
  /** The request that created the run (handed to workers). */
  request_snapshot: JsonObject;
  /**
   * Open messages/tool calls/steps, so appends can be checked without replaying the log. The
   * owners of ids live in `run_owners` (see `getOwners`), so this stays small however long the run.
   */
  sequence_state: SequenceState;
  lease_owner: string | null;
  lease_expires_at: string | null;
  worker_session: JsonObject | null;
  /**
   * multitask_strategy `enqueue` (docs/api.md §8): the earlier root run of the conversation this
   * one waits behind; null for every other run and once released. A queued run is not claimable
   * and takes no appends.
   */
  queued_behind: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}
