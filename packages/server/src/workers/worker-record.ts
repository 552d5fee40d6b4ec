/**
 * The wire shape of a worker (docs/api.md §5). `status` is derived when read: `active` while the
 * worker declares itself active and its last heartbeat is recent enough, else `inactive`.
 */
import type { Worker } from "@runline/contract";
import type { WorkerRow, WorkerStatus } from "../store/types.ts";

/** The contract's output type (`WorkerSchema`): drift from the schema does not compile. */
export type WorkerRecord = Worker;

export function effectiveStatus(
  worker: WorkerRow,
  now: string,
  inactiveAfterSeconds: number,
): WorkerStatus {
  const silentMs = Date.parse(now) - Date.parse(worker.last_heartbeat_at);
  return worker.status === "active" && silentMs < inactiveAfterSeconds * 1000
    ? "active"
    : "inactive";
}

export function toWorkerRecord(
  worker: WorkerRow,
  now: string,
  inactiveAfterSeconds: number,
): WorkerRecord {
  return {
    id: worker.id,
    project_id: worker.project_id,
    implementation_kind: worker.implementation_kind,
    worker_key: worker.worker_key,
    implementation_display_name: worker.implementation_display_name,
    display_name: worker.display_name,
    metadata: worker.metadata,
    status: effectiveStatus(worker, now, inactiveAfterSeconds),
    last_heartbeat_at: worker.last_heartbeat_at,
    created_at: worker.created_at,
  };
}
