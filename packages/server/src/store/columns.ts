/**
 * Column lists shared by both stores, so a new run field is added in one place
 * (plus a numbered migration for each store).
 */
import type { OwnerRecord } from "../domain/agui/sequence.ts";
import type {
  ClaimQuery,
  NewRun,
  RunFilter,
  RunPage,
  RunPatch,
  RunRow,
  WorkerPatch,
  WorkerRow,
} from "./types.ts";

/** Every stored run column except `pk`, in insert order. */
export const RUN_COLUMNS = [
  "project_id",
  "run_id",
  "conversation_id",
  "message_id",
  "requested_by_user_id",
  "agent_id",
  "status",
  "mode",
  "runtime_target_kind",
  "runtime_target_environment_id",
  "runtime_target_branch_id",
  "source_target_kind",
  "source_target_environment_id",
  "source_target_branch_id",
  "latest_event_id",
  "latest_external_event_sequence",
  "parent_conversation_id",
  "parent_run_id",
  "root_run_id",
  "spawned_from_message_id",
  "spawned_from_tool_call_id",
  "input_anchor_message_id",
  "handoff_message_id",
  "resolved_deployment_id",
  "waiting_reason",
  "waiting_tool_call_id",
  "waiting_tool_name",
  "terminal_error_code",
  "terminal_error_message",
  "implementation_kind",
  "worker_key",
  "metadata",
  "request_snapshot",
  "sequence_state",
  "lease_owner",
  "lease_expires_at",
  "worker_session",
  "queued_behind",
  "created_at",
  "started_at",
  "finished_at",
] as const satisfies readonly (keyof NewRun)[];

/** Run columns that hold JSON documents. */
export const RUN_JSON_COLUMNS = new Set<keyof RunRow>([
  "metadata",
  "request_snapshot",
  "sequence_state",
  "worker_session",
]);

export { ACTIVE_STATUSES } from "../domain/run-status.ts";

/** The patch's keys in a stable order (a cache key for prepared UPDATE statements). */
export function patchColumns(patch: RunPatch): (keyof RunPatch)[] {
  return (Object.keys(patch) as (keyof RunPatch)[]).filter((k) => patch[k] !== undefined).sort();
}

const FILTER_COLUMNS = [
  "status",
  "agent_id",
  "conversation_id",
  "parent_run_id",
  "parent_conversation_id",
  "spawned_from_tool_call_id",
] as const satisfies readonly (keyof RunFilter)[];

/**
 * The keyset-paged SELECT behind every run listing. `placeholder(n)` spells the n-th
 * parameter (1-based) in the store's dialect: `?` for SQLite, `$n` for PostgreSQL.
 */
export function runListQuery(
  filter: RunFilter,
  page: RunPage,
  placeholder: (n: number) => string,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [filter.project_id];
  // Runs marked deleted (docs/api.md §9) are never listed, even before the sweeper purges them.
  const where: string[] = [`project_id = ${placeholder(1)}`, "deleted_at IS NULL"];
  const add = (condition: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(condition(placeholder(params.length)));
  };
  for (const column of FILTER_COLUMNS) {
    const value = filter[column];
    if (value !== undefined) add((p) => `${column} = ${p}`, value);
  }
  if (page.afterPk !== undefined) {
    add((p) => (page.order === "desc" ? `pk < ${p}` : `pk > ${p}`), page.afterPk);
  }
  params.push(page.limit);
  const order = page.order === "desc" ? "DESC" : "ASC";
  return {
    sql: `SELECT * FROM runs WHERE ${where.join(" AND ")} ORDER BY pk ${order} LIMIT ${placeholder(params.length)}`,
    params,
  };
}

/** Every stored worker column, in insert order. */
export const WORKER_COLUMNS = [
  "id",
  "project_id",
  "implementation_kind",
  "worker_key",
  "implementation_display_name",
  "display_name",
  "metadata",
  "status",
  "last_heartbeat_at",
  "created_at",
] as const satisfies readonly (keyof WorkerRow)[];

/** The patch's keys in a stable order. */
export function workerPatchColumns(patch: WorkerPatch): (keyof WorkerPatch)[] {
  return (Object.keys(patch) as (keyof WorkerPatch)[]).filter((k) => patch[k] !== undefined).sort();
}

/**
 * The conditions of `ClaimQuery` over `runs`, its fields bound as parameters 1–4 (project,
 * implementation kind, worker key, now). The literal `status IN ('pending', 'running')` term
 * lets both engines use the partial index `runs_claimable` (002_workers.sql).
 */
export function claimableConditions(placeholder: (n: number) => string): string {
  return `project_id = ${placeholder(1)} AND implementation_kind = ${placeholder(2)}
     AND (worker_key IS NULL OR worker_key = ${placeholder(3)})
     AND status IN ('pending', 'running')
     AND queued_behind IS NULL
     AND (status = 'pending' OR lease_expires_at IS NULL OR lease_expires_at <= ${placeholder(4)})`;
}

/** Where a lease that will make a run claimable can be: matching `running` runs (parameters as above). */
export function leasedConditions(placeholder: (n: number) => string): string {
  return `project_id = ${placeholder(1)} AND implementation_kind = ${placeholder(2)}
     AND (worker_key IS NULL OR worker_key = ${placeholder(3)})
     AND status = 'running' AND lease_expires_at > ${placeholder(4)}`;
}

export const claimParams = (query: ClaimQuery): unknown[] => [
  query.project_id,
  query.implementation_kind,
  query.worker_key,
  query.now,
];

/**
 * `run_owners` keeps ids and owners as JSON text (`"m1"`; `false` for the parent agent, else
 * `"<subagentRunId>"`): they come from event payloads, where NUL is allowed, and PostgreSQL text
 * cannot hold NUL — JSON spells it `\u0000` (and keeps lone surrogates apart). Lookups encode
 * the ids they look for the same way.
 */
export const ownerIdColumn = (id: string): string => JSON.stringify(id);

export function ownerColumns(record: OwnerRecord): { id: string; kind: string; owner: string } {
  return {
    id: ownerIdColumn(record.id),
    kind: record.kind,
    owner: JSON.stringify(record.owner),
  };
}

export function decodeOwnerColumns(row: Record<string, unknown>): OwnerRecord {
  return {
    id: JSON.parse(row.id as string) as string,
    kind: row.kind as OwnerRecord["kind"],
    owner: JSON.parse(row.owner as string) as OwnerRecord["owner"],
  };
}
