/**
 * Every table that holds rows belonging to one run, purged when the run is deleted (contract
 * §9: deletion is final and complete). The sweeper empties each table of a marked run in
 * bounded batches, in this order, and removes the `runs` row itself last.
 *
 * A new per-run table is one line here (and its migration): name it, say how its rows point at
 * their run, and give its primary key columns (a batch deletes `WHERE (key…) IN (SELECT key…
 * … LIMIT n)`, the one bounded-DELETE form SQLite and PostgreSQL both accept, WITHOUT ROWID
 * tables included).
 */
export interface RunDataTable {
  table: string;
  /**
   * How a row names its run: `run_pk` (a column holding `runs.pk`), or `project_run_id` (columns
   * `project_id` and `run_id`).
   */
  match: "run_pk" | "project_run_id";
  /** The primary key columns. */
  key: readonly string[];
}

export const RUN_DATA_TABLES: readonly RunDataTable[] = [
  // First: a frame must not outlive the event row it points at (readers skip marked runs anyway).
  { table: "conversation_frames", match: "run_pk", key: ["stream_pk", "frame_id"] },
  { table: "run_events", match: "run_pk", key: ["run_pk", "event_id"] },
  { table: "run_owners", match: "run_pk", key: ["run_pk", "id", "kind"] },
  { table: "input_requests", match: "run_pk", key: ["pk"] },
  { table: "interrupts", match: "run_pk", key: ["pk"] },
];

/**
 * The bounded DELETE of one table's rows of one run. `placeholder(n)` spells parameter n; the
 * parameters are the run's pk, or its project_id and run_id, then the row limit.
 */
export function runDataDelete(
  table: RunDataTable,
  placeholder: (n: number) => string,
): {
  sql: string;
  params: (run: { pk: number; project_id: string; run_id: string }, limit: number) => unknown[];
} {
  const where =
    table.match === "run_pk"
      ? `run_pk = ${placeholder(1)}`
      : `project_id = ${placeholder(1)} AND run_id = ${placeholder(2)}`;
  const limit = placeholder(table.match === "run_pk" ? 2 : 3);
  const key = table.key.join(", ");
  return {
    sql: `DELETE FROM ${table.table} WHERE (${key}) IN (SELECT ${key} FROM ${table.table} WHERE ${where} LIMIT ${limit})`,
    params: (run, rows) =>
      table.match === "run_pk" ? [run.pk, rows] : [run.project_id, run.run_id, rows],
  };
}
