/**
 * The one write path for a run's log: give the events ids, check they keep the log a valid
 * AG-UI stream, insert them and advance the run's cursors — inside the caller's transaction.
 * Every operation that writes events (append, complete, cancel, wait, tool result, create
 * with `initial_status: "running"`, worker claims) goes through here.
 */
import {
  advanceSequence,
  hasRunStarted,
  mentionedIds,
  type OwnerRecord,
} from "../domain/agui/sequence.ts";
import type { AguiEvent } from "../domain/agui/types.ts";
import type { ProblemError } from "../errors.ts";
import type { NewEvent, RunPatch, RunRow, RunStoreTx } from "../store/types.ts";
import { runStartedEvent } from "./server-events.ts";

export interface PendingEvent {
  event: AguiEvent;
  json: string;
  /** Caller-appended (counts in the external sequence) or server-written. */
  external: boolean;
}

export function serverEvent(event: AguiEvent): PendingEvent {
  return { event, json: JSON.stringify(event), external: false };
}

/**
 * The server's RUN_STARTED and the status change, when the run has not started yet
 * (docs/api.md §4.3: written when the run becomes `running`).
 */
export function startIfNeeded(
  run: RunRow,
  now: string,
): { events: PendingEvent[]; patch: RunPatch } {
  if (hasRunStarted(run.sequence_state)) return { events: [], patch: {} };
  return {
    events: [serverEvent(runStartedEvent(run))],
    patch: {
      started_at: run.started_at ?? now,
      ...(run.status === "pending" && { status: "running" }),
    },
  };
}

/** An append decided: the rows, owner records and run patch to write, and the run after it. */
export interface PreparedCommit {
  rows: NewEvent[];
  owners: OwnerRecord[];
  /** `patch` plus the new cursors and sequence state. */
  patch: RunPatch;
  run: RunRow;
}

/**
 * Decides an append without writing: gives the events ids and checks they keep the log a valid
 * AG-UI stream. `owners` must hold the run's owner records of `mentionedIds` of the events.
 * `invalid(index, message)` builds the error for an event that would break the AG-UI
 * sequence; without it such a break is a server bug.
 */
export function prepareCommit(
  run: RunRow,
  owners: readonly OwnerRecord[],
  events: readonly PendingEvent[],
  patch: RunPatch,
  now: string,
  invalid?: (index: number, message: string) => ProblemError,
): PreparedCommit {
  const advanced = advanceSequence(
    run.sequence_state,
    events.map((e) => e.event),
    owners,
  );
  if (!advanced.ok) {
    if (invalid) throw invalid(advanced.index, advanced.message);
    throw new Error(`server-written events would break the AG-UI sequence: ${advanced.message}`);
  }
  let eventId = run.latest_event_id;
  let externalSeq = run.latest_external_event_sequence;
  const rows: NewEvent[] = events.map((e) => ({
    event_id: ++eventId,
    event_type: e.event.type,
    external_seq: e.external ? ++externalSeq : null,
    event: e.event,
    json: e.json,
    created_at: now,
  }));
  const fullPatch: RunPatch = {
    ...patch,
    latest_event_id: eventId,
    latest_external_event_sequence: externalSeq,
    sequence_state: advanced.state,
  };
  return { rows, owners: advanced.owners, patch: fullPatch, run: { ...run, ...fullPatch } };
}

/**
 * Writes a prepared commit inside `tx` (which holds `run` locked) and records a status change
 * on the transaction (`store/changes.ts`): the one place a run's status changes.
 */
export async function writeCommit(
  tx: RunStoreTx,
  run: RunRow,
  commit: PreparedCommit,
): Promise<RunRow> {
  if (commit.rows.length > 0) await tx.insertEvents(run.pk, commit.rows);
  if (commit.owners.length > 0) await tx.putOwners(run.pk, commit.owners);
  await tx.updateRun(run.pk, commit.patch);
  if (commit.run.status !== run.status) {
    tx.record({ type: "run.status", run: commit.run, previous: run.status });
  }
  return commit.run;
}

/** The owner records `events` need, read inside `tx`. */
export function ownersFor(
  tx: RunStoreTx,
  run: RunRow,
  events: readonly PendingEvent[],
): Promise<OwnerRecord[]> {
  return tx.getOwners(run.pk, mentionedIds(events.map((e) => e.event)));
}

/**
 * Appends `events` to `run`'s log and applies `patch` inside the caller's transaction (which
 * holds the run locked); returns the run as it now is. `invalid` as for `prepareCommit`.
 */
export async function commitEvents(
  tx: RunStoreTx,
  run: RunRow,
  events: readonly PendingEvent[],
  patch: RunPatch,
  now: string,
  invalid?: (index: number, message: string) => ProblemError,
): Promise<RunRow> {
  const owners = await ownersFor(tx, run, events);
  return writeCommit(tx, run, prepareCommit(run, owners, events, patch, now, invalid));
}
