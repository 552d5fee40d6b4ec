-- Agent workers (contract §5) and the indexes behind claims.
-- A worker's liveness is derived from last_heartbeat_at when read; `status` is what it declared.
-- Worker sessions live on the run they belong to (runs.worker_session).

CREATE TABLE workers (
  id                           TEXT PRIMARY KEY,
  project_id                   TEXT NOT NULL,
  implementation_kind          TEXT NOT NULL,
  worker_key                   TEXT NOT NULL,
  implementation_display_name  TEXT,
  display_name                 TEXT,
  metadata                     TEXT,
  status                       TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
  last_heartbeat_at            TEXT NOT NULL,
  created_at                   TEXT NOT NULL,
  UNIQUE (project_id, implementation_kind, worker_key)
);

-- Claims: the oldest pending or unleased/lease-expired running run of a kind. Only active runs
-- with an implementation kind are indexed, so finished runs cost nothing here.
CREATE INDEX runs_claimable ON runs (project_id, implementation_kind, pk)
  WHERE status IN ('pending', 'running') AND implementation_kind IS NOT NULL;

-- Long-polling claims: the next lease to expire among running runs of a kind.
CREATE INDEX runs_lease_expiry ON runs (project_id, implementation_kind, lease_expires_at)
  WHERE status = 'running' AND implementation_kind IS NOT NULL;
