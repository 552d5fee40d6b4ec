-- Retention and deletion (contract §9). Same tables and columns as the SQLite migration.
--
-- A deleted run is first *marked* (runs.deleted_at set, a tombstone written, in one short
-- transaction), which makes it disappear from every read at once; the background sweeper then
-- purges its rows in bounded batches (see src/store/run-data-tables.ts), each its own short
-- transaction so autovacuum can follow. The mark is the sweeper's progress record: after a
-- restart it simply purges what is still marked.

ALTER TABLE runs ADD COLUMN deleted_at timestamptz;

-- Per-project override of RUNLINE_RETENTION_DAYS: NULL = the server default, 0 = keep forever.
ALTER TABLE projects ADD COLUMN retention_days integer;

-- What a deleted run leaves behind: enough to answer 410 run_deleted (with deleted_at) on both
-- path families and to refuse its public_id, for at least 30 days.
CREATE TABLE run_tombstones (
  project_id       text NOT NULL,
  run_id           text NOT NULL,
  conversation_id  text NOT NULL,
  deleted_at       timestamptz NOT NULL,
  PRIMARY KEY (project_id, run_id)
);
CREATE INDEX run_tombstones_by_age ON run_tombstones (deleted_at);

-- Run trees go together: every run of a tree by its root.
CREATE INDEX runs_by_root ON runs (project_id, root_run_id);
-- Retention candidates: ended roots, oldest first.
CREATE INDEX runs_ended_roots ON runs (project_id, finished_at)
  WHERE run_id = root_run_id AND deleted_at IS NULL AND finished_at IS NOT NULL;
-- The purge backlog.
CREATE INDEX runs_marked_deleted ON runs (pk) WHERE deleted_at IS NOT NULL;
