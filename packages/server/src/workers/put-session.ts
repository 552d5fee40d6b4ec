/**
 * Record a worker's session on a run (docs/api.md §5, `PUT …/runs/{run_id}/session`): which
 * session of the worker's runtime executes the run, and how it stands. The session lives on the
 * run (`worker_session`) and is handed to whichever worker claims the run next.
 *
 * Fenced like every write of a worker: only the lease holder may write it — except that once the
 * run has ended, the worker whose session is recorded may still finalise it (a worker typically
 * completes the run, which releases its lease, and then closes its session). The session's
 * status is the worker's bookkeeping: a run ends only through complete or cancel.
 */
import type { WorkerSessionRequest } from "@runline/contract";
import { isTerminal } from "../domain/run-status.ts";
import { Problems } from "../errors.ts";
import { lockRun } from "../ledger/access.ts";
import type { WorkerRow } from "../store/types.ts";
import type { WorkersContext } from "./context.ts";
import { holdsLease } from "./renew-lease.ts";

export interface WorkerSession {
  session_key: string;
  status: WorkerSessionRequest["status"];
  metadata: Record<string, unknown> | null;
  worker_id: string;
  run_id: string;
  created_at: string;
  updated_at: string;
}

export async function putSession(
  ctx: WorkersContext,
  worker: WorkerRow,
  runId: string,
  input: WorkerSessionRequest,
): Promise<WorkerSession> {
  return ctx.ledger.store.transaction(async (tx) => {
    const run = await lockRun(tx, { projectId: worker.project_id }, { runId });
    const now = ctx.ledger.now();
    const previous = run.worker_session as Partial<WorkerSession> | null;
    const finalising = isTerminal(run.status) && previous?.worker_id === worker.id;
    if (!holdsLease(run, worker.id, now) && !finalising) {
      throw Problems.leaseLost(`Worker ${worker.id} does not hold the lease on run ${run.run_id}`);
    }
    const same =
      previous?.worker_id === worker.id && previous.session_key === input.session_key
        ? previous
        : undefined;
    const session: WorkerSession = {
      session_key: input.session_key,
      status: input.status,
      metadata: input.metadata ?? same?.metadata ?? null,
      worker_id: worker.id,
      run_id: run.run_id,
      created_at: same?.created_at ?? now,
      updated_at: now,
    };
    await tx.updateRun(run.pk, { worker_session: { ...session } });
    return session;
  });
}
