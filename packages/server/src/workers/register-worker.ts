/**
 * Register a worker (docs/api.md §5): idempotent per (project, implementation_kind, worker_key).
 * The first registration creates the worker; a later one returns the same worker, refreshed:
 * its heartbeat, `active` again, and the display names and metadata given (those not given are
 * kept).
 */
import type { RegisterWorkerRequest } from "@runline/contract";
import { newUuid } from "../domain/ids.ts";
import type { WorkerPatch, WorkerRow } from "../store/types.ts";
import type { WorkersContext } from "./context.ts";

export async function registerWorker(
  ctx: WorkersContext,
  projectId: string,
  input: RegisterWorkerRequest,
): Promise<{ worker: WorkerRow; created: boolean }> {
  return ctx.ledger.store.transaction(async (tx) => {
    const now = ctx.ledger.now();
    const ensured = await tx.ensureWorker({
      id: newUuid(),
      project_id: projectId,
      implementation_kind: input.implementation_kind,
      worker_key: input.worker_key,
      implementation_display_name: input.implementation_display_name ?? null,
      display_name: input.display_name ?? null,
      metadata: input.metadata ?? null,
      status: "active",
      last_heartbeat_at: now,
      created_at: now,
    });
    if (ensured.created) return ensured;
    const patch: WorkerPatch = {
      status: "active",
      last_heartbeat_at: now,
      implementation_display_name: input.implementation_display_name,
      display_name: input.display_name,
      metadata: input.metadata,
    };
    const worker = await tx.updateWorker(projectId, ensured.worker.id, patch);
    if (!worker) throw new Error(`Worker ${ensured.worker.id} vanished while registering`);
    return { worker, created: false };
  });
}
