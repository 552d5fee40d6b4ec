/**
 * End a run (docs/api.md §4.7): complete (completed | failed | cancelled) and cancel (optionally
 * cascading to every active descendant). The terminal event is written in the same transaction
 * as the status change, after events that close anything still open, so the log stays a valid
 * AG-UI stream. Finishing also clears waiting fields and releases any lease.
 */

import type { CompleteRunRequest, RunOutcomeInput } from "@runline/contract";
import type { AuthContext } from "../auth/auth-context.ts";
import { closingEvents, openStreamIds } from "../domain/agui/sequence.ts";
import { isTerminal, type TerminalStatus } from "../domain/run-status.ts";
import { Problems } from "../errors.ts";
import { endHumanInput } from "../human-input/run-end.ts";
import type { RunRow, RunStoreTx } from "../store/types.ts";
import { assertMayWrite, lockRun, type RunAddress } from "./access.ts";
import { commitEvents, serverEvent, startIfNeeded } from "./commit-events.ts";
import type { LedgerContext } from "./context.ts";
import { runErrorEvent, runFinishedEvent } from "./server-events.ts";

export interface Ending {
  status: TerminalStatus;
  metadata?: Record<string, unknown> | undefined;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  /** AG-UI outcome of a completed run (docs/api.md §7.5), carried by its RUN_FINISHED. */
  outcome?: RunOutcomeInput | undefined;
}

const DEFAULT_MESSAGES: Record<TerminalStatus, string | null> = {
  completed: null,
  failed: "Run failed",
  cancelled: "Run cancelled",
};

export async function completeRun(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  input: CompleteRunRequest,
): Promise<{ completed: boolean; run: RunRow }> {
  const queue = await queueOf(ctx, auth, address);
  const ending: Ending = {
    status: input.status,
    metadata: input.metadata,
    errorCode:
      input.terminal_error_code ?? (input.status === "cancelled" ? "cancelled" : undefined),
    errorMessage: input.terminal_error_message,
    outcome: input.outcome,
  };
  let released: RunRow | undefined;
  const result = await ctx.store.transaction(async (tx) => {
    released = undefined;
    if (queue) await tx.lockConversation(queue.projectId, queue.conversationId);
    const run = await lockRun(tx, auth, address);
    const now = ctx.now();
    if (isTerminal(run.status)) {
      if (run.status === input.status) return { completed: false, run };
      throw Problems.runAlreadyTerminal(`Run ${run.run_id} has already ended as ${run.status}`);
    }
    assertMayWrite(auth, run, now);
    const ended = await finish(tx, run, ending, now);
    if (queue) released = await releaseQueued(tx, queue);
    return { completed: true, run: ended };
  });
  if (result.completed) ctx.committed(result.run);
  if (released) ctx.committed(released);
  return result;
}

export async function cancelRun(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  cascade: boolean,
): Promise<{ cancelled: boolean; run: RunRow }> {
  const queue = await queueOf(ctx, auth, address);
  let changed: RunRow[] = [];
  const result = await ctx.store.transaction(async (tx) => {
    changed = [];
    if (queue) await tx.lockConversation(queue.projectId, queue.conversationId);
    const run = await lockRun(tx, auth, address);
    const now = ctx.now();
    if (isTerminal(run.status)) return { cancelled: false, run };
    assertMayWrite(auth, run, now);
    changed = await cancelTree(tx, auth.projectId, run, cascade, now);
    if (queue) {
      const released = await releaseQueued(tx, queue);
      if (released) changed.push(released);
    }
    return { cancelled: true, run: changed[0] ?? run };
  });
  for (const run of changed) ctx.committed(run);
  return result;
}

/**
 * Cancels `run` (locked, active) and, with `cascade`, every active descendant, inside `tx`;
 * returns them as they now are, `run` first (docs/api.md §4.7; also multitask_strategy interrupt).
 */
export async function cancelTree(
  tx: RunStoreTx,
  projectId: string,
  run: RunRow,
  cascade: boolean,
  now: string,
): Promise<RunRow[]> {
  const ending: Ending = { status: "cancelled", errorCode: "cancelled" };
  const changed = [await finish(tx, run, ending, now)];
  if (cascade) {
    for (const child of await tx.listActiveRunsInTree(projectId, run.run_id)) {
      const locked = await tx.getRunForUpdate(projectId, child.run_id);
      if (locked && !isTerminal(locked.status)) changed.push(await finish(tx, locked, ending, now));
    }
  }
  return changed;
}

/** A root run's conversation, whose queue (multitask_strategy enqueue, §8) its end may release. */
interface Queue {
  projectId: string;
  conversationId: string;
}

/**
 * Whether ending this run may release a queued run: only a root run's end can. Read before the
 * transaction (a run's conversation and root never change) so that the transaction can lock
 * the conversation before the run — the order every queue decision takes (no deadlock with a
 * create that interrupts this run).
 */
async function queueOf(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
): Promise<Queue | undefined> {
  const run = await ctx.store.getRun(auth.projectId, address.runId);
  if (!run || run.run_id !== run.root_run_id || isTerminal(run.status)) return undefined;
  return { projectId: run.project_id, conversationId: run.conversation_id };
}

/**
 * Releases the conversation's next queued run once no root run created before it is active
 * (docs/api.md §8): `queued_behind` becomes null, in the transaction that ended the last of them.
 * At most one at a time: the released run is active, so the rest of the queue waits behind it.
 */
export async function releaseQueued(tx: RunStoreTx, queue: Queue): Promise<RunRow | undefined> {
  const next = await tx.releasableQueuedRun(queue.projectId, queue.conversationId);
  if (!next) return undefined;
  await tx.updateRun(next.pk, { queued_behind: null });
  return { ...next, queued_behind: null };
}

/** Writes the closing and terminal events and the terminal status, inside `tx`. */
export async function finish(
  tx: RunStoreTx,
  run: RunRow,
  ending: Ending,
  now: string,
): Promise<RunRow> {
  const start = startIfNeeded(run, now);
  const message = ending.errorMessage ?? DEFAULT_MESSAGES[ending.status];
  const terminal =
    ending.status === "completed"
      ? runFinishedEvent(run, ending.metadata ?? null, ending.outcome ?? null)
      : runErrorEvent(message ?? "Run failed", ending.errorCode ?? null);
  const events = [
    ...start.events,
    ...closingEvents(
      run.sequence_state,
      await tx.getOwners(run.pk, openStreamIds(run.sequence_state)),
    ).map(serverEvent),
    serverEvent(terminal),
  ];
  const ended = await commitEvents(
    tx,
    run,
    events,
    {
      started_at: start.patch.started_at ?? run.started_at,
      status: ending.status,
      finished_at: now,
      terminal_error_code: ending.status === "completed" ? null : (ending.errorCode ?? null),
      terminal_error_message: ending.status === "completed" ? null : message,
      metadata: ending.metadata ? { ...(run.metadata ?? {}), ...ending.metadata } : run.metadata,
      waiting_reason: null,
      waiting_tool_call_id: null,
      waiting_tool_name: null,
      lease_owner: null,
      lease_expires_at: null,
    },
    now,
  );
  // Open input requests are cancelled, an interrupt outcome opens its interrupts (docs/api.md §7.4, §7.5).
  return endHumanInput(tx, ended, ending.outcome, now);
}
