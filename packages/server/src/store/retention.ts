/**
 * The storage side of retention and deletion (docs/api.md §9), kept apart from the rest of the
 * store interface: `RunStoreTx.retention` and `RunStore.retention`. Both stores build these
 * from the same SQL (`retentionSql` below); only dialect details differ.
 *
 * Deleting is two steps. *Marking* (one short transaction) sets `runs.deleted_at` and writes a
 * tombstone per run: from then on every read treats the run as gone (410 `run_deleted`).
 * *Purging* (the sweeper, many short transactions of at most a few hundred rows) removes the
 * rows of marked runs from every table in `RUN_DATA_TABLES`, then the `runs` rows themselves.
 */
import { RUN_DATA_TABLES, runDataDelete } from "./run-data-tables.ts";
import type { RunStatus } from "./types.ts";

/** A run as deletion sees it. */
export interface RunRef {
  pk: number;
  project_id: string;
  run_id: string;
  conversation_id: string;
  status: RunStatus;
}

export interface Tombstone {
  project_id: string;
  run_id: string;
  conversation_id: string;
  deleted_at: string;
}

export interface PurgeResult {
  /** Rows deleted from per-run tables and `runs`. */
  rows: number;
  /** Runs whose last row went (their `runs` row included). */
  runs: number;
  /** Whether marked runs remain after this batch. */
  more: boolean;
}

export interface ProjectRetention {
  project_id: string;
  /** null: the server default (RUNLINE_RETENTION_DAYS); 0: keep forever. */
  retention_days: number | null;
}

/** Retention operations inside a transaction. */
export interface RetentionTx {
  tombstone(projectId: string, runId: string): Promise<Tombstone | undefined>;
  /** The run and all its descendants that are not deleted, by pk. */
  subtree(projectId: string, runId: string): Promise<RunRef[]>;
  /** Every run of the conversation and all their descendants (in any conversation), by pk. */
  conversationTrees(projectId: string, conversationId: string): Promise<RunRef[]>;
  /** Every not-deleted run whose root is `rootRunId`. */
  tree(projectId: string, rootRunId: string): Promise<RunRef[]>;
  /** Marks runs deleted and writes their tombstones (replacing an older tombstone of the id). */
  markDeleted(runs: readonly RunRef[], at: string): Promise<void>;
  /** Removes the conversation row; whether it existed. */
  deleteConversation(projectId: string, conversationId: string): Promise<boolean>;
  /**
   * Makes this transaction the only sweeper transaction running (PostgreSQL: a transaction
   * advisory lock, per schema); false when another instance's sweeper holds it.
   */
  tryLockSweeper(): Promise<boolean>;
  /**
   * Roots (run ids) of trees in which every run ended before `cutoff`, oldest first: what
   * retention deletes.
   */
  expiredTrees(projectId: string, cutoff: string, limit: number): Promise<string[]>;
  /** Purges at most `limit` rows of marked runs (see the file comment). */
  purge(limit: number): Promise<PurgeResult>;
  /** Deletes up to `limit` tombstones older than `before` whose run rows are gone. */
  expireTombstones(before: string, limit: number): Promise<number>;
  setRetentionDays(projectId: string, days: number | null): Promise<ProjectRetention | undefined>;
}

/** Retention reads outside transactions (committed data). */
export interface RetentionReads {
  tombstone(projectId: string, runId: string): Promise<Tombstone | undefined>;
  projectRetention(projectId: string): Promise<ProjectRetention | undefined>;
  allProjectRetention(): Promise<ProjectRetention[]>;
  /** Runs marked deleted whose rows are not purged yet. */
  backlog(): Promise<number>;
  /**
   * Gives up to `pages` free pages back to the file system (SQLite `incremental_vacuum`);
   * the number of pages freed. PostgreSQL: 0 (autovacuum reuses space; see docs/operations.md).
   */
  reclaimSpace(pages: number): Promise<number>;
}

const REF_COLUMNS = "pk, project_id, run_id, conversation_id, status";

/**
 * The SQL both stores share. `p(n)` spells parameter n (numbered, reusable: `@pN` for SQLite,
 * `$N` for PostgreSQL); `iso(column)` selects a timestamp as an ISO-8601 UTC string.
 */
function retentionSql(p: (n: number) => string, iso: (column: string) => string) {
  const descendants = (seed: string) =>
    `WITH RECURSIVE tree (run_id) AS (
       SELECT run_id FROM runs WHERE project_id = ${p(1)} AND ${seed} AND deleted_at IS NULL
       UNION
       SELECT r.run_id FROM runs r JOIN tree t
         ON r.project_id = ${p(1)} AND r.parent_run_id = t.run_id AND r.deleted_at IS NULL
     )
     SELECT ${REF_COLUMNS} FROM runs
      WHERE project_id = ${p(1)} AND run_id IN (SELECT run_id FROM tree) ORDER BY pk`;
  return {
    tombstone: `SELECT project_id, run_id, conversation_id, ${iso("deleted_at")} FROM run_tombstones
                 WHERE project_id = ${p(1)} AND run_id = ${p(2)}`,
    subtree: descendants(`run_id = ${p(2)}`),
    conversationTrees: descendants(`conversation_id = ${p(2)}`),
    tree: `SELECT ${REF_COLUMNS} FROM runs
            WHERE project_id = ${p(1)} AND root_run_id = ${p(2)} AND deleted_at IS NULL ORDER BY pk`,
    deleteConversation: `DELETE FROM conversations WHERE project_id = ${p(1)} AND id = ${p(2)}`,
    // A root qualifies when no run of its tree is active or ended at/after the cutoff.
    expiredTrees: `SELECT r.run_id FROM runs r
       WHERE r.project_id = ${p(1)} AND r.run_id = r.root_run_id AND r.deleted_at IS NULL
         AND r.finished_at IS NOT NULL AND r.finished_at < ${p(2)}
         AND NOT EXISTS (
           SELECT 1 FROM runs d
            WHERE d.project_id = r.project_id AND d.root_run_id = r.root_run_id
              AND d.deleted_at IS NULL AND (d.finished_at IS NULL OR d.finished_at >= ${p(2)}))
       ORDER BY r.finished_at LIMIT ${p(3)}`,
    markedRuns: `SELECT pk, project_id, run_id FROM runs WHERE deleted_at IS NOT NULL ORDER BY pk LIMIT ${p(1)}`,
    deleteRunRow: `DELETE FROM runs WHERE pk = ${p(1)}`,
    expireTombstones: `DELETE FROM run_tombstones WHERE (project_id, run_id) IN (
       SELECT t.project_id, t.run_id FROM run_tombstones t
        WHERE t.deleted_at < ${p(1)}
          AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.project_id = t.project_id AND r.run_id = t.run_id)
        LIMIT ${p(2)})`,
    backlog: "SELECT COUNT(*) AS n FROM runs WHERE deleted_at IS NOT NULL",
    allProjectRetention: "SELECT id AS project_id, retention_days FROM projects ORDER BY id",
    projectRetention: `SELECT id AS project_id, retention_days FROM projects WHERE id = ${p(1)}`,
    setRetentionDays: `UPDATE projects SET retention_days = ${p(2)} WHERE id = ${p(1)}
                        RETURNING id AS project_id, retention_days`,
  };
}

/** Marked runs examined per purge batch (each then yields rows until the batch's limit). */
export const PURGE_RUNS_PER_BATCH = 50;

type Row = Record<string, unknown>;

/** How one store runs the shared SQL on one connection. */
export interface RetentionDialect {
  p: (n: number) => string;
  iso: (column: string) => string;
  all(sql: string, params: unknown[]): Promise<Row[]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params: unknown[]): Promise<number>;
}

const toRef = (row: Row): RunRef => ({
  pk: Number(row.pk),
  project_id: row.project_id as string,
  run_id: row.run_id as string,
  conversation_id: row.conversation_id as string,
  status: row.status as RunStatus,
});

const toTombstone = (row: Row | undefined): Tombstone | undefined =>
  row && {
    project_id: row.project_id as string,
    run_id: row.run_id as string,
    conversation_id: row.conversation_id as string,
    deleted_at: row.deleted_at as string,
  };

const toRetention = (row: Row | undefined): ProjectRetention | undefined =>
  row && {
    project_id: row.project_id as string,
    retention_days: row.retention_days === null ? null : Number(row.retention_days),
  };

/** The transaction operations, over one store's connection; `tryLockSweeper` is the store's own. */
export function retentionTxOps(
  d: RetentionDialect,
  tryLockSweeper: () => Promise<boolean>,
): RetentionTx {
  const sql = retentionSql(d.p, d.iso);
  const deletes = RUN_DATA_TABLES.map((table) => runDataDelete(table, d.p));
  const markRun = `UPDATE runs SET deleted_at = ${d.p(1)} WHERE pk = ${d.p(2)}`;
  const writeTombstone = `INSERT INTO run_tombstones (project_id, run_id, conversation_id, deleted_at)
     VALUES (${d.p(1)}, ${d.p(2)}, ${d.p(3)}, ${d.p(4)})
     ON CONFLICT (project_id, run_id) DO UPDATE
       SET conversation_id = excluded.conversation_id, deleted_at = excluded.deleted_at`;
  return {
    tombstone: async (projectId, runId) =>
      toTombstone((await d.all(sql.tombstone, [projectId, runId]))[0]),
    subtree: async (projectId, runId) => (await d.all(sql.subtree, [projectId, runId])).map(toRef),
    conversationTrees: async (projectId, conversationId) =>
      (await d.all(sql.conversationTrees, [projectId, conversationId])).map(toRef),
    tree: async (projectId, rootRunId) =>
      (await d.all(sql.tree, [projectId, rootRunId])).map(toRef),
    markDeleted: async (runs, at) => {
      for (const run of runs) {
        await d.run(markRun, [at, run.pk]);
        await d.run(writeTombstone, [run.project_id, run.run_id, run.conversation_id, at]);
      }
    },
    deleteConversation: async (projectId, conversationId) =>
      (await d.run(sql.deleteConversation, [projectId, conversationId])) > 0,
    tryLockSweeper,
    expiredTrees: async (projectId, cutoff, limit) =>
      (await d.all(sql.expiredTrees, [projectId, cutoff, limit])).map((r) => r.run_id as string),
    purge: async (limit) => {
      let rows = 0;
      let runs = 0;
      const marked = await d.all(sql.markedRuns, [PURGE_RUNS_PER_BATCH]);
      for (const row of marked) {
        const run = {
          pk: Number(row.pk),
          project_id: row.project_id as string,
          run_id: row.run_id as string,
        };
        let emptied = true;
        for (const del of deletes) {
          const budget = limit - rows;
          if (budget <= 0) return { rows, runs, more: true };
          const deleted = await d.run(del.sql, del.params(run, budget));
          rows += deleted;
          // Fewer than asked: this table holds nothing more of the run.
          if (deleted === budget) {
            emptied = false;
            break;
          }
        }
        if (!emptied || rows >= limit) return { rows, runs, more: true };
        rows += await d.run(sql.deleteRunRow, [run.pk]);
        runs += 1;
      }
      return { rows, runs, more: marked.length === PURGE_RUNS_PER_BATCH };
    },
    expireTombstones: (before, limit) => d.run(sql.expireTombstones, [before, limit]),
    setRetentionDays: async (projectId, days) =>
      toRetention((await d.all(sql.setRetentionDays, [projectId, days]))[0]),
  };
}

/** The reads outside transactions; `reclaimSpace` is the store's own. */
export function retentionReads(
  d: Pick<RetentionDialect, "p" | "iso" | "all">,
  reclaimSpace: (pages: number) => Promise<number>,
): RetentionReads {
  const sql = retentionSql(d.p, d.iso);
  return {
    tombstone: async (projectId, runId) =>
      toTombstone((await d.all(sql.tombstone, [projectId, runId]))[0]),
    projectRetention: async (projectId) =>
      toRetention((await d.all(sql.projectRetention, [projectId]))[0]),
    allProjectRetention: async () =>
      (await d.all(sql.allProjectRetention, [])).map((r) => toRetention(r) as ProjectRetention),
    backlog: async () => Number((await d.all(sql.backlog, []))[0]?.n ?? 0),
    reclaimSpace,
  };
}
