/**
 * Append caller events to a run's log (contract §4.3), in the contract's order:
 * 1 shape → 2 run state → 3 cursors (with the committed-retry rule) → 4 AG-UI sequence →
 * 5 store atomically. Nothing is acknowledged before the transaction commits.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { type NormalisedEvent, normaliseBatch } from "../domain/agui/validate.ts";
import { canonicalJson } from "../domain/canonical-json.ts";
import { isTerminal } from "../domain/run-status.ts";
import { Problems } from "../errors.ts";
import type { LogPosition, RunRow, RunStoreTx } from "../store/types.ts";
import { assertMayWrite, findRun, lockRun, type RunAddress } from "./access.ts";
import { commitEvents, type PendingEvent, startIfNeeded } from "./commit-events.ts";
import type { LedgerContext } from "./context.ts";

export interface AppendInput {
  events: unknown[];
  expected_previous_event_id?: number | null | undefined;
  expected_previous_external_event_sequence?: number | null | undefined;
}

export interface AppendResult {
  run: RunRow;
  appendedCount: number;
  duplicate: boolean;
}

export async function appendEvents(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  input: AppendInput,
): Promise<AppendResult> {
  // Step 1 runs before taking the write lock: it needs only the run's (immutable) identity.
  const known = await findRun(ctx.store, auth, address);
  const batch = normaliseBatch(input.events, {
    conversationId: known.conversation_id,
    runId: known.run_id,
  });

  const outcome = await ctx.store.transaction(async (tx) => {
    const run = await lockRun(tx, auth, address);
    const now = ctx.now();
    assertMayWrite(auth, run, now);
    if (isTerminal(run.status)) throw Problems.runNotAppendable();
    if (run.status === "waiting_for_tool") throw Problems.runWaitingForTool();

    const skip = await committedPrefix(tx, run, batch, input);
    const fresh = batch.slice(skip);
    if (fresh.length === 0) return { run, appendedCount: 0, duplicate: true };

    // A pending run becomes running with its first append; RUN_STARTED is written by the
    // server unless the batch brings its own.
    const start = fresh[0]?.event.type === "RUN_STARTED" ? [] : startIfNeeded(run, now).events;
    const pending: PendingEvent[] = [
      ...start,
      ...fresh.map((e) => ({ event: e.event, json: e.json, external: true })),
    ];
    const patch = {
      started_at: run.started_at ?? now,
      ...(run.status === "pending" && { status: "running" as const }),
    };
    const updated = await commitEvents(tx, run, pending, patch, now, (index, message) => {
      const batchIndex = index - start.length + skip;
      return Problems.invalidEvent(batchIndex, `Event at index ${batchIndex}: ${message}`);
    });
    return { run: updated, appendedCount: fresh.length, duplicate: false };
  });
  if (!outcome.duplicate) ctx.committed(outcome.run);
  return outcome;
}

/**
 * Step 3. For each expectation given: equal to the run's cursor → nothing committed yet (0).
 * Otherwise, when the caller-appended events stored after that position are exactly the first
 * k ≥ 1 events of this batch, the batch (or its first k) was committed before: skip k.
 * Anything else is a conflict. Expectations that disagree on k conflict too.
 */
async function committedPrefix(
  tx: RunStoreTx,
  run: RunRow,
  batch: readonly NormalisedEvent[],
  input: AppendInput,
): Promise<number> {
  const checks: { expected: number; current: number; position: LogPosition }[] = [];
  const expectedId = input.expected_previous_event_id;
  const expectedSeq = input.expected_previous_external_event_sequence;
  if (expectedId !== undefined && expectedId !== null) {
    checks.push({
      expected: expectedId,
      current: run.latest_event_id,
      position: { afterEventId: expectedId },
    });
  }
  if (expectedSeq !== undefined && expectedSeq !== null) {
    checks.push({
      expected: expectedSeq,
      current: run.latest_external_event_sequence,
      position: { afterExternalSeq: expectedSeq },
    });
  }
  let skip: number | undefined;
  for (const check of checks) {
    const k =
      check.expected === check.current
        ? 0
        : check.expected < check.current
          ? await matchingPrefix(tx, run.pk, check.position, batch)
          : undefined;
    if (k === undefined || (skip !== undefined && skip !== k)) {
      throw Problems.cursorConflict(run.latest_event_id, run.latest_external_event_sequence);
    }
    skip = k;
  }
  return skip ?? 0;
}

/** k when the external events after `position` are exactly batch[0..k), k ≥ 1; else undefined. */
async function matchingPrefix(
  tx: RunStoreTx,
  runPk: number,
  position: LogPosition,
  batch: readonly NormalisedEvent[],
): Promise<number | undefined> {
  const stored = await tx.externalEventsAfter(runPk, position, batch.length + 1);
  if (stored.length === 0 || stored.length > batch.length) return undefined;
  for (const [i, event] of stored.entries()) {
    if (canonicalJson(event) !== canonicalJson(batch[i]?.event)) return undefined;
  }
  return stored.length;
}
