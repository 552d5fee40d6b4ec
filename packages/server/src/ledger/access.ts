/** Finding a run for a caller, and the write fences (writer tokens, worker leases). */
import type { AuthContext } from "../auth/auth-context.ts";
import type { OwnerRecord } from "../domain/agui/sequence.ts";
import { type ProblemError, Problems } from "../errors.ts";
import type { Tombstone } from "../store/retention.ts";
import type { RunRow, RunStore, RunStoreTx } from "../store/types.ts";

export interface RunAddress {
  runId: string;
  /** Set when the run is addressed through a conversation: it must belong to it. */
  conversationId?: string | undefined;
}

/** A tombstone's answer, or 404, for a run the store did not return. */
function gone(tombstone: Tombstone | undefined, address: RunAddress): ProblemError {
  if (
    tombstone &&
    (address.conversationId === undefined || tombstone.conversation_id === address.conversationId)
  ) {
    return Problems.runDeleted(address.runId, tombstone.deleted_at);
  }
  return Problems.notFound(`Run ${address.runId} not found`);
}

export function belongs(run: RunRow, address: RunAddress): boolean {
  return address.conversationId === undefined || run.conversation_id === address.conversationId;
}

/**
 * Reads a run of the caller's project (committed data); 410 `run_deleted` for a deleted one
 * (docs/api.md §9), 404 for anything else. The tombstone is read only when the run is missing.
 */
export async function findRun(
  store: RunStore,
  auth: AuthContext,
  address: RunAddress,
): Promise<RunRow> {
  const run = await store.getRun(auth.projectId, address.runId);
  if (run && belongs(run, address)) return run;
  if (run) throw Problems.notFound(`Run ${address.runId} not found`);
  throw gone(await store.retention.tombstone(auth.projectId, address.runId), address);
}

/** `findRun`, with the run's owner records of `ownerIds` read in the same go (appends). */
export async function findRunForAppend(
  store: RunStore,
  auth: AuthContext,
  address: RunAddress,
  ownerIds: readonly string[],
): Promise<{ run: RunRow; owners: OwnerRecord[] }> {
  const found = await store.getRunForAppend(auth.projectId, address.runId, ownerIds);
  if (found && belongs(found.run, address)) return found;
  if (found) throw Problems.notFound(`Run ${address.runId} not found`);
  throw gone(await store.retention.tombstone(auth.projectId, address.runId), address);
}

/** Reads and locks a run of the caller's project inside a transaction; 410 / 404 as `findRun`. */
export async function lockRun(
  tx: RunStoreTx,
  auth: Pick<AuthContext, "projectId">,
  address: RunAddress,
): Promise<RunRow> {
  const run = await tx.getRunForUpdate(auth.projectId, address.runId);
  if (run && belongs(run, address)) return run;
  if (run) throw Problems.notFound(`Run ${address.runId} not found`);
  throw gone(await tx.retention.tombstone(auth.projectId, address.runId), address);
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
 * so does a writer token minted under that worker's lease (docs/api.md §12: the fence holds for
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
