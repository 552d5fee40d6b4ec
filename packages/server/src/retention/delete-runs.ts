/**
 * Deleting on request (docs/api.md §9): `DELETE /runs/{run_id}` — an ended run and all its
 * descendants — and `DELETE /conversations/{cid}` — every run of the conversation, with their
 * descendants, and the conversation itself (`?cancel=true` cancels the active ones first, in
 * the same transaction).
 *
 * Both only *mark* the runs (one short transaction: tombstones written, the runs gone from
 * every read at once); the sweeper purges their rows right after, in bounded batches.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { isTerminal } from "../domain/run-status.ts";
import { Problems } from "../errors.ts";
import { lockRun } from "../ledger/access.ts";
import type { LedgerContext } from "../ledger/context.ts";
import { finish } from "../ledger/finish-run.ts";
import type { RunRef } from "../store/retention.ts";
import type { RunRow } from "../store/types.ts";

const activeIds = (runs: readonly RunRef[]) =>
  runs.filter((run) => !isTerminal(run.status)).map((run) => run.run_id);

/** Marks an ended run and its descendants deleted; 409 `run_active` if any of them is active. */
export async function deleteRun(
  ctx: LedgerContext,
  auth: AuthContext,
  runId: string,
): Promise<RunRef[]> {
  return ctx.store.transaction(async (tx) => {
    // Locking the run serialises this with creating a child of it.
    const run = await lockRun(tx, auth, { runId });
    const tree = await tx.retention.subtree(auth.projectId, run.run_id);
    const active = activeIds(tree);
    if (active.length > 0) {
      throw Problems.runActive(
        `Run ${run.run_id} cannot be deleted while it or a descendant is active`,
        active,
      );
    }
    await tx.retention.markDeleted(tree, ctx.now());
    return tree;
  });
}

/**
 * Marks every run of the conversation (and their descendants) deleted and removes the
 * conversation; 404 when neither exists, 409 `run_active` when a run is active unless `cancel`.
 */
export async function deleteConversation(
  ctx: LedgerContext,
  auth: AuthContext,
  conversationId: string,
  cancel: boolean,
): Promise<RunRef[]> {
  const cancelled: RunRow[] = [];
  const runs = await ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const runs = await tx.retention.conversationTrees(auth.projectId, conversationId);
    const existed = await tx.retention.deleteConversation(auth.projectId, conversationId);
    if (!existed && runs.length === 0) {
      throw Problems.notFound(`Conversation ${conversationId} not found`);
    }
    const active = activeIds(runs);
    if (active.length > 0 && !cancel) {
      throw Problems.runActive(
        `Conversation ${conversationId} has active runs: cancel them first, or pass cancel=true`,
        active,
      );
    }
    for (const runId of active) {
      const run = await tx.getRunForUpdate(auth.projectId, runId);
      if (run && !isTerminal(run.status)) {
        cancelled.push(await finish(tx, run, { status: "cancelled", errorCode: "cancelled" }, now));
      }
    }
    await tx.retention.markDeleted(runs, now);
    return runs;
  });
  // Followers of the cancelled runs get their terminal event and close.
  for (const run of cancelled) ctx.committed(run);
  return runs;
}
