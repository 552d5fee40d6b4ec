/**
 * Renew a lease (docs/api.md §5): extends the lease of a run the worker holds. When it no longer
 * holds it — the lease expired (even if nobody took the run yet), another worker took the run,
 * or the run ended — the answer is no run, and the worker is expected to drop the run.
 */
import { isTerminal } from "../domain/run-status.ts";
import { lockRun } from "../ledger/access.ts";
import type { RunRow, WorkerRow } from "../store/types.ts";
import { addSeconds, type WorkersContext } from "./context.ts";

/** Whether `worker` holds a live lease on `run` at `now` (the same rule as write fencing). */
export function holdsLease(run: RunRow, workerId: string, now: string): boolean {
  return (
    !isTerminal(run.status) &&
    run.lease_owner === workerId &&
    run.lease_expires_at !== null &&
    run.lease_expires_at > now
  );
}

export async function renewLease(
  ctx: WorkersContext,
  worker: WorkerRow,
  runId: string,
  leaseSeconds: number,
): Promise<RunRow | undefined> {
  return ctx.ledger.store.transaction(async (tx) => {
    const run = await lockRun(tx, { projectId: worker.project_id }, { runId });
    const now = ctx.ledger.now();
    if (!holdsLease(run, worker.id, now)) return undefined;
    const lease_expires_at = addSeconds(now, leaseSeconds);
    await tx.updateRun(run.pk, { lease_expires_at });
    return { ...run, lease_expires_at };
  });
}
