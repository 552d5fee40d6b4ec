/**
 * Append caller events to a run's log (docs/api.md §4.3), in the contract's order:
 * 1 shape → 2 run state → 3 cursors (with the committed-retry rule) → 4 AG-UI sequence →
 * 5 store atomically. Nothing is acknowledged before the transaction commits.
 *
 * The common case reads the run once and writes with a compare-and-set (`RunStore.appendToRun`:
 * on PostgreSQL one read and one statement). When this instance made the run's last append, the
 * run is not even read: the batch is decided on the run as that write left it (`RunCache`) and
 * the compare-and-set tells whether it still was current. Three cases take the run's lock in a
 * transaction instead: a batch whose cursor expectation differs from the run's cursor (a retry,
 * whose committed prefix must be read from the log, or a conflict), a run's first append (it
 * changes the status, which is recorded for the journal's writers: `store/changes.ts`), and an
 * append that lost the compare-and-set race `MAX_OPTIMISTIC_ATTEMPTS` times in a row (so a busy
 * run cannot starve it).
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { mentionedIds, type OwnerRecord } from "../domain/agui/sequence.ts";
import type { AguiEvent } from "../domain/agui/types.ts";
import {
  type EventRejection,
  type NormalisedEvent,
  normaliseBatch,
  type RunIdentity,
} from "../domain/agui/validate.ts";
import { canonicalJson } from "../domain/canonical-json.ts";
import { isTerminal } from "../domain/run-status.ts";
import { ProblemError, Problems } from "../errors.ts";
import type { LogPosition, RunRow, RunStoreTx } from "../store/types.ts";
import { withSpan } from "../tracing/spans.ts";
import { assertMayWrite, belongs, findRunForAppend, lockRun, type RunAddress } from "./access.ts";
import {
  ownersFor,
  type PendingEvent,
  type PreparedCommit,
  prepareCommit,
  startIfNeeded,
  writeCommit,
} from "./commit-events.ts";
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

/** Compare-and-set races an append may lose in a row before it takes the run's lock. */
const MAX_OPTIMISTIC_ATTEMPTS = 4;

/** docs/api.md §11: every append is an `append` span (its store writes are children). */
export function appendEvents(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  input: AppendInput,
): Promise<AppendResult> {
  const attributes = {
    "runline.run_id": address.runId,
    "runline.events.count": Array.isArray(input.events) ? input.events.length : 0,
  };
  return withSpan("append", attributes, async (span) => {
    const result = await appendOnce(ctx, auth, address, input);
    span.setAttributes({
      "runline.events.appended": result.appendedCount,
      "runline.append.duplicate": result.duplicate,
    });
    return result;
  });
}

async function appendOnce(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  input: AppendInput,
): Promise<AppendResult> {
  // The owner records the batch needs are read together with the run, so their ids come from
  // the raw events: normalising changes no id field (it fills RUN_STARTED's thread/run ids).
  // The server's own RUN_STARTED, written before a first batch, needs none: a run that has
  // not started has no owner records yet.
  const ownerIds = mentionedIds(input.events.filter(isObject));
  let batch: NormalisedEvent[] | undefined;
  // The run as this instance's last write left it, if it knows all the batch's ids: tried once.
  const cached = ctx.runCache?.get(auth.projectId, address.runId, ownerIds);
  if (cached && belongs(cached.run, address)) {
    try {
      batch = normaliseOrRefuse(input.events, {
        conversationId: cached.run.conversation_id,
        runId: cached.run.run_id,
      });
      const result = await appendOptimistic(ctx, auth, input, cached, ownerIds, batch, true);
      if (result && result !== "locked") return result;
    } catch (error) {
      // A refusal decided on the cache may be stale: only a read may refuse (below).
      if (!(error instanceof ProblemError)) throw error;
    }
    ctx.runCache?.delete(auth.projectId, address.runId);
  }
  for (let attempt = 1; attempt <= MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
    const read = await findRunForAppend(ctx.store, auth, address, ownerIds);
    // Step 1 needs only the run's (immutable) identity: done once.
    batch ??= normaliseOrRefuse(input.events, {
      conversationId: read.run.conversation_id,
      runId: read.run.run_id,
    });
    const result = await appendOptimistic(ctx, auth, input, read, ownerIds, batch, false);
    if (result === "locked") break;
    if (result) return result;
  }
  return appendLocked(ctx, auth, address, input, batch);
}

/**
 * Steps 2–5 on `state` (read, or cached when `fromCache`), written with a compare-and-set: the
 * result; undefined when the run moved on meanwhile (or, from the cache, when there was nothing
 * to write: only a read may answer a duplicate); "locked" when the append needs the run's lock
 * (a cursor that differs, a first append). The caller decides again from a read after anything
 * but a result from the cache.
 */
async function appendOptimistic(
  ctx: LedgerContext,
  auth: AuthContext,
  input: AppendInput,
  state: { run: RunRow; owners: OwnerRecord[] },
  ownerIds: readonly string[],
  batch: readonly NormalisedEvent[],
  fromCache: boolean,
): Promise<AppendResult | "locked" | undefined> {
  const { run, owners } = state;
  const now = ctx.now();
  checkRunState(auth, run, now);
  if (!cursorsMatch(run, input)) return "locked";
  // A first append starts the run: a status change, recorded in a transaction.
  if (run.status === "pending") return "locked";
  if (batch.length === 0) {
    return fromCache ? undefined : { run, appendedCount: 0, duplicate: true };
  }
  const decided = decide(run, owners, batch, 0, now);
  const written = await ctx.store.appendToRun({
    runPk: run.pk,
    expected: run,
    patch: decided.commit.patch,
    events: decided.commit.rows,
    owners: decided.commit.owners,
  });
  if (!written) return undefined;
  ctx.runCache?.put(
    written,
    ownerIds,
    owners,
    decided.commit.owners,
    fromCache ? "cached" : "read",
  );
  ctx.committed(written);
  return { run: written, appendedCount: decided.appendedCount, duplicate: false };
}

/** The same append inside a transaction holding the run's lock. */
async function appendLocked(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  input: AppendInput,
  normalised: NormalisedEvent[] | undefined,
): Promise<AppendResult> {
  const outcome = await ctx.store.transaction(async (tx) => {
    const run = await lockRun(tx, auth, address);
    const batch =
      normalised ??
      normaliseOrRefuse(input.events, { conversationId: run.conversation_id, runId: run.run_id });
    const now = ctx.now();
    checkRunState(auth, run, now);
    const skip = await committedPrefix(tx, run, batch, input);
    if (skip === batch.length) return { run, appendedCount: 0, duplicate: true };
    const pending = pendingEvents(run, batch, skip, now);
    const decided = decide(run, await ownersFor(tx, run, pending), batch, skip, now);
    const written = await writeCommit(tx, run, decided.commit);
    // A run's first events: it had no owner records, so after them this instance knows all.
    const cache =
      run.latest_event_id === 0
        ? { ids: mentionedIds(batch.map((e) => e.event)), written: decided.commit.owners }
        : undefined;
    return { run: written, appendedCount: decided.appendedCount, duplicate: false, cache };
  });
  if (outcome.duplicate) return outcome;
  const { cache, ...result } = outcome;
  if (cache) ctx.runCache?.put(result.run, cache.ids, [], cache.written, "empty");
  else ctx.runCache?.delete(result.run.project_id, result.run.run_id);
  ctx.committed(result.run);
  return result;
}

/** Step 1, with a refused event told as the contract's problem for it. */
function normaliseOrRefuse(events: readonly unknown[], run: RunIdentity): NormalisedEvent[] {
  const batch = normaliseBatch(events, run);
  if (batch.ok) return batch.events;
  throw rejectionProblem(batch.rejection);
}

function rejectionProblem(rejection: EventRejection) {
  switch (rejection.reason) {
    case "invalid":
      return Problems.invalidEvent(rejection.index, rejection.detail);
    case "terminal":
      return Problems.terminalEventNotAllowed(rejection.index, rejection.type);
    case "too_large":
      return Problems.eventTooLarge(rejection.index, rejection.limitBytes);
  }
}

function isObject(value: unknown): value is AguiEvent {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Step 2: the caller may write, and the run can take events. */
function checkRunState(auth: AuthContext, run: RunRow, now: string): void {
  assertMayWrite(auth, run, now);
  if (isTerminal(run.status)) throw Problems.runNotAppendable();
  if (run.queued_behind !== null) throw Problems.runQueued(run.run_id, run.queued_behind);
  if (run.status === "waiting_for_tool") throw Problems.runWaitingForTool();
}

/** Every cursor expectation given equals the run's cursor (nothing of the batch committed). */
function cursorsMatch(run: RunRow, input: AppendInput): boolean {
  const expectedId = input.expected_previous_event_id;
  const expectedSeq = input.expected_previous_external_event_sequence;
  return (
    (expectedId === undefined || expectedId === null || expectedId === run.latest_event_id) &&
    (expectedSeq === undefined ||
      expectedSeq === null ||
      expectedSeq === run.latest_external_event_sequence)
  );
}

/**
 * A pending run becomes running with its first append; RUN_STARTED is written by the server
 * unless the batch brings its own.
 */
function pendingEvents(
  run: RunRow,
  batch: readonly NormalisedEvent[],
  skip: number,
  now: string,
): PendingEvent[] {
  const fresh = batch.slice(skip);
  const start = fresh[0]?.event.type === "RUN_STARTED" ? [] : startIfNeeded(run, now).events;
  return [...start, ...fresh.map((e) => ({ event: e.event, json: e.json, external: true }))];
}

/** Steps 4 and the write's content: batch[skip…] after the server's RUN_STARTED if needed. */
function decide(
  run: RunRow,
  owners: readonly OwnerRecord[],
  batch: readonly NormalisedEvent[],
  skip: number,
  now: string,
): { commit: PreparedCommit; appendedCount: number } {
  const pending = pendingEvents(run, batch, skip, now);
  const serverWritten = pending.length - (batch.length - skip);
  const patch = {
    started_at: run.started_at ?? now,
    ...(run.status === "pending" && { status: "running" as const }),
  };
  const commit = prepareCommit(run, owners, pending, patch, now, (index, message) => {
    const batchIndex = index - serverWritten + skip;
    return Problems.invalidEvent(batchIndex, `Event at index ${batchIndex}: ${message}`);
  });
  return { commit, appendedCount: batch.length - skip };
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
