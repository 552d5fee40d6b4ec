/** Finding a run for a caller, and the write fences (writer tokens, worker leases). */
import type { AuthContext } from "../auth/auth-context.ts";
import type { OwnerRecord } from "../domain/agui/sequence.ts";
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

/** `findRun`, with the run's owner records of `ownerIds` read in the same go (appends). */
export async function findRunForAppend(
  store: RunStore,
  auth: AuthContext,
  address: RunAddress,
  ownerIds: readonly string[],
): Promise<{ run: RunRow; owners: OwnerRecord[] }> {
  const found = await store.getRunForAppend(auth.projectId, address.runId, ownerIds);
  return { run: visible(found?.run, address), owners: found?.owners ?? [] };
}

/** Reads and locks a run of the caller's project inside a transaction; 404 for anything else. */
export async function lockRun(
  tx: RunStoreTx,
  auth: AuthContext,
  address: RunAddress,
): Promise<RunRow> {
  return visible(await tx.getRunForUpdate(auth.projectId, address.runId), address);
}

/**
 * Fences writes: a run event-writer token writes only its own run; a worker writes only while
 * it holds the run's lease (a "zombie" worker whose lease expired or was taken gets 409).
 */
export function assertMayWrite(auth: AuthContext, run: RunRow, now: string): void {
  const principal = auth.principal;
  if (principal.kind === "run_writer" && principal.runId !== run.run_id) {
    throw Problems.forbidden("This token can only write to its own run");
  }
  if (principal.kind === "worker") {
    const holds =
      run.lease_owner === principal.workerId &&
      run.lease_expires_at !== null &&
      run.lease_expires_at > now;
    if (!holds)
      throw Problems.leaseLost(
        `Worker ${principal.workerId} does not hold the lease on run ${run.run_id}`,
      );
  }
}
