/** Finding a run for a caller, and the write fences (writer tokens, worker leases). */
import type { AuthContext } from "../auth/auth-context.ts";
import { Problems } from "../errors.ts";
import type { RunRow, RunStore, RunStoreTx } from "../store/types.ts";

export interface RunAddress {
  runId: string;
  /** Set when the run is addressed through a conversation: it must belong to it. */
  conversationId?: string | undefined;
}

function visible(run: RunRow | undefined, address: RunAddress): RunRow {
  if (
    !run ||
    (address.conversationId !== undefined && run.conversation_id !== address.conversationId)
  ) {
    throw Problems.notFound(`Run ${address.runId} not found`);
  }
  return run;
}

/** Reads a run of the caller's project (committed data); 404 for anything else. */
export async function findRun(
  store: RunStore,
  auth: AuthContext,
  address: RunAddress,
): Promise<RunRow> {
  return visible(await store.getRun(auth.projectId, address.runId), address);
}

/** Reads and locks a run of the caller's project inside a transaction; 404 for anything else. */
export async function lockRun(
  tx: RunStoreTx,
  auth: AuthContext,
  address: RunAddress,
): Promise<RunRow> {
  return visible(await tx.getRunForUpdate(auth.projectId, address.runId), address);
}

/** The worker holding a live lease on the run at `now`, if any. */
export function leaseHolder(run: RunRow, now: string): string | undefined {
  return run.lease_owner !== null && run.lease_expires_at !== null && run.lease_expires_at > now
    ? run.lease_owner
    : undefined;
}

/**
 * Fences writes: a run event-writer token writes only its own run; a worker writes only while
 * it holds the run's lease (a "zombie" worker whose lease expired or was taken gets 409), and
 * so does a writer token minted under that worker's lease (contract §12: the fence holds for
 * every credential, not only the worker's own).
 */
export function assertMayWrite(auth: AuthContext, run: RunRow, now: string): void {
  const principal = auth.principal;
  if (principal.kind === "run_writer" && principal.runId !== run.run_id) {
    throw Problems.forbidden("This token can only write to its own run");
  }
  const fencedBy =
    principal.kind === "worker"
      ? principal.workerId
      : principal.kind === "run_writer"
        ? principal.leaseOwner
        : undefined;
  if (fencedBy !== undefined && leaseHolder(run, now) !== fencedBy) {
    throw Problems.leaseLost(
      principal.kind === "worker"
        ? `Worker ${fencedBy} does not hold the lease on run ${run.run_id}`
        : `This token was minted under worker ${fencedBy}'s lease on run ${run.run_id}, which it no longer holds`,
    );
  }
}
