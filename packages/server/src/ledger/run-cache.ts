/**
 * The runs this instance appended to last, as its own compare-and-set writes left them, with the
 * owner records it knows of (issue 15: an append that can use it sends no read — on PostgreSQL
 * one round trip instead of two).
 *
 * Never trusted, only tried: an append decided on a cached run is written with that run as its
 * compare-and-set guard (`RunStore.appendToRun`). The guard covers everything an append decides
 * on — the cursors (and with them the sequence state and the owner records, which change only
 * with events), the status, the lease and deletion — so a write that lands was decided on the
 * current state. Anything else (the guard failed because another instance or operation moved the
 * run on, or the cached state refused the batch) drops the entry and decides again from a read.
 * The record an append answers with is the row its own write returned, never the cache's.
 *
 * Owner records: for each id it was asked about, an entry knows the run's records of that id
 * (none, for ids without one) as of the cached version. A batch that mentions an id the entry
 * does not know is decided from a read — unless the entry knows *every* record of the run: when
 * it began with the run's first events (a run without events has no owner records) and every
 * later write was this instance's, an id it does not know has none.
 */
import { setBounded } from "../bounded-map.ts";
import type { OwnerRecord } from "../domain/agui/sequence.ts";
import type { RunRow } from "../store/types.ts";

/**
 * Runs kept (least recently appended to dropped first): more than the runs one instance streams
 * into at once (an entry is the run row, a few KiB, and its known owner records). Round-robin
 * appends to more runs than this would miss every time.
 */
const MAX_RUNS = 5_000;
/** Ids an entry knows at most; beyond, it forgets them all (the next batch reads). */
const MAX_IDS_PER_RUN = 256;

interface Entry {
  run: RunRow;
  owners: Map<string, OwnerRecord[]>;
  /** Whether `owners` holds every record of the run (an id not in it has none). */
  complete: boolean;
}

/**
 * What a write was decided on: the cached entry, a read of the batch's ids, or a run that had
 * no events (and so no owner records) before it.
 */
export type CacheBasis = "cached" | "read" | "empty";

export class RunCache {
  readonly #entries = new Map<string, Entry>();

  /** The cached run and its records of `ids`, when it knows all of them. */
  get(
    projectId: string,
    runId: string,
    ids: readonly string[],
  ): { run: RunRow; owners: OwnerRecord[] } | undefined {
    const entry = this.#entries.get(key(projectId, runId));
    if (!entry) return undefined;
    const owners: OwnerRecord[] = [];
    for (const id of ids) {
      const records = entry.owners.get(id);
      if (records) owners.push(...records);
      else if (!entry.complete) return undefined;
    }
    return { run: entry.run, owners };
  }

  /**
   * After a write landed: `run` as it left the run, `known` the owner records of `ids` the batch
   * was decided with, `written` the records it wrote. Knowledge carried over from the entry is
   * kept only when the batch was decided on that entry: a read may have seen other writers'
   * changes the entry does not reflect.
   */
  put(
    run: RunRow,
    ids: readonly string[],
    known: readonly OwnerRecord[],
    written: readonly OwnerRecord[],
    basis: CacheBasis,
  ): void {
    const k = key(run.project_id, run.run_id);
    // Writes of one run may finish out of order here: keep the newest.
    const current = this.#entries.get(k);
    if (current && current.run.latest_event_id > run.latest_event_id) return;
    const previous = basis === "cached" ? current : undefined;
    let owners = previous?.owners ?? new Map<string, OwnerRecord[]>();
    let complete = previous ? previous.complete : basis === "empty";
    if (owners.size + ids.length + written.length > MAX_IDS_PER_RUN) {
      owners = new Map();
      complete = false;
    }
    for (const id of ids) owners.set(id, []);
    if (complete)
      for (const record of written) if (!owners.has(record.id)) owners.set(record.id, []);
    for (const record of [...known, ...written]) {
      // Only ids whose every record is known (a written id not asked about may have others).
      const records = owners.get(record.id);
      if (!records) continue;
      owners.set(record.id, [...records.filter((r) => r.kind !== record.kind), record]);
    }
    setBounded(this.#entries, k, { run, owners, complete }, MAX_RUNS);
  }

  /** Forgets a run (its cached state was refused or lost a race). */
  delete(projectId: string, runId: string): void {
    this.#entries.delete(key(projectId, runId));
  }

  get size(): number {
    return this.#entries.size;
  }
}

const key = (projectId: string, runId: string) => `${projectId}\u0000${runId}`;
