/**
 * Claim a run (docs/api.md §5): atomically take the oldest run the worker may claim and lease it.
 *
 * A claimed `pending` run becomes `running` with the server's `RUN_STARTED`, written through the
 * one event write path (`startIfNeeded` + `commitEvents`) in the same transaction as the lease.
 * A `running` run whose lease expired is taken over as it is: its cursors tell the new worker
 * where the log stands.
 *
 * With `waitSeconds` > 0 and nothing to claim, the claim long-polls: it sleeps until a wake-up
 * says a run may have become claimable (`wakeups.ts`), or until the earliest lease it knows of
 * expires, and then looks again — never on a fixed polling interval. `signal` (client gone,
 * server shutting down) ends the wait at once with no run.
 */
import { commitEvents, startIfNeeded } from "../ledger/commit-events.ts";
import type { ClaimQuery, RunRow, WorkerRow } from "../store/types.ts";
import { withSpan } from "../tracing/spans.ts";
import { addSeconds, type WorkersContext } from "./context.ts";

export const DEFAULT_LEASE_SECONDS = 60;

export interface ClaimOptions {
  leaseSeconds: number;
  waitSeconds: number;
  signal?: AbortSignal | undefined;
}

/** docs/api.md §11: a `claim` span (a long-poll's waiting included) naming the run it got. */
export function claimRun(
  ctx: WorkersContext,
  worker: WorkerRow,
  options: ClaimOptions,
): Promise<RunRow | undefined> {
  const attributes = {
    "runline.worker_id": worker.id,
    "runline.claim.wait_seconds": options.waitSeconds,
  };
  return withSpan("claim", attributes, async (span) => {
    const run = await claimWaiting(ctx, worker, options);
    if (run) span.setAttribute("runline.run_id", run.run_id);
    return run;
  });
}

async function claimWaiting(
  ctx: WorkersContext,
  worker: WorkerRow,
  options: ClaimOptions,
): Promise<RunRow | undefined> {
  if (options.waitSeconds <= 0) return claimOnce(ctx, worker, options.leaseSeconds);
  const deadline = Date.now() + options.waitSeconds * 1000;
  // Watch before looking, so a run committed while we look still wakes the wait below.
  const watch = ctx.wakeups.watch({
    projectId: worker.project_id,
    implementationKind: worker.implementation_kind,
    workerKey: worker.worker_key,
  });
  try {
    for (;;) {
      const run = await claimOnce(ctx, worker, options.leaseSeconds);
      if (run) return run;
      if (options.signal?.aborted) return undefined;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      const outcome = await watch.wait(
        Math.min(remaining, await msUntilNextLeaseExpiry(ctx, worker)),
        options.signal,
      );
      if (outcome === "aborted") return undefined;
    }
  } finally {
    watch.close();
  }
}

function claimQuery(worker: WorkerRow, now: string): ClaimQuery {
  return {
    project_id: worker.project_id,
    implementation_kind: worker.implementation_kind,
    worker_key: worker.worker_key,
    now,
  };
}

/** One attempt: the oldest claimable run, leased to `worker`, or undefined. */
async function claimOnce(
  ctx: WorkersContext,
  worker: WorkerRow,
  leaseSeconds: number,
): Promise<RunRow | undefined> {
  const { ledger } = ctx;
  const claimed = await ledger.store.transaction(async (tx) => {
    const now = ledger.now();
    const run = await tx.claimableRunForUpdate(claimQuery(worker, now));
    if (!run) return undefined;
    const start = startIfNeeded(run, now);
    const updated = await commitEvents(
      tx,
      run,
      start.events,
      {
        ...start.patch,
        status: "running",
        started_at: run.started_at ?? now,
        lease_owner: worker.id,
        lease_expires_at: addSeconds(now, leaseSeconds),
      },
      now,
    );
    return { run: updated, wroteEvents: start.events.length > 0 };
  });
  if (claimed?.wroteEvents) ledger.committed(claimed.run);
  return claimed?.run;
}

/** Milliseconds until the next lease that would make a run claimable expires (Infinity: none). */
async function msUntilNextLeaseExpiry(ctx: WorkersContext, worker: WorkerRow): Promise<number> {
  const now = ctx.ledger.now();
  const next = await ctx.ledger.store.nextLeaseExpiry(claimQuery(worker, now));
  if (next === undefined) return Number.POSITIVE_INFINITY;
  // A millisecond of margin: timers and the wall clock round differently.
  return Math.max(Date.parse(next) - Date.parse(now) + 1, 0);
}
