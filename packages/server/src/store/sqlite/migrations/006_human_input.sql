-- Human in the loop (contract §7, §7.1): input requests and AG-UI interrupts. Same tables and
-- columns as the PostgreSQL migration. Both hang off their run (run_pk): deleting a run takes
-- them along. `pk` is the keyset of listings; `id` is the public identifier.

CREATE TABLE input_requests (
  pk                        INTEGER PRIMARY KEY AUTOINCREMENT,
  id                        TEXT NOT NULL UNIQUE,
  project_id                TEXT NOT NULL,
  conversation_id           TEXT NOT NULL,
  run_pk                    INTEGER NOT NULL REFERENCES runs (pk) ON DELETE CASCADE,
  run_id                    TEXT NOT NULL,
  tool_call_id              TEXT NOT NULL,
  kind                      TEXT NOT NULL,
  status                    TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'cancelled', 'expired')),
  requested_responder_type  TEXT NOT NULL,
  title                     TEXT NOT NULL,
  description               TEXT,
  fields                    TEXT NOT NULL,
  metadata                  TEXT,
  created_at                TEXT NOT NULL,
  expires_at                TEXT NOT NULL,
  submitted_at              TEXT,
  cancelled_at              TEXT,
  expired_at                TEXT,
  latest_response           TEXT
);
-- Listings of a conversation, newest first (optionally by status or run).
CREATE INDEX input_requests_conversation ON input_requests (project_id, conversation_id, pk);
CREATE INDEX input_requests_run ON input_requests (run_pk, status);
-- One open request per (run, tool call): a retried create finds it.
CREATE UNIQUE INDEX input_requests_open_tool_call ON input_requests (run_pk, tool_call_id)
  WHERE status = 'open';
-- The expiry sweeper: open requests by deadline.
CREATE INDEX input_requests_expiry ON input_requests (expires_at) WHERE status = 'open';

CREATE TABLE interrupts (
  pk                  INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id          TEXT NOT NULL,
  conversation_id     TEXT NOT NULL,
  interrupt_id        TEXT NOT NULL,
  run_pk              INTEGER NOT NULL REFERENCES runs (pk) ON DELETE CASCADE,
  run_id              TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'cancelled', 'expired')),
  interrupt           TEXT NOT NULL,
  expires_at          TEXT,
  created_at          TEXT NOT NULL,
  closed_at           TEXT,
  resolved_by_run_id  TEXT,
  resume              TEXT
);
CREATE INDEX interrupts_conversation ON interrupts (project_id, conversation_id, pk);
-- An interrupt id is unique in its conversation while open.
CREATE UNIQUE INDEX interrupts_open_id ON interrupts (project_id, conversation_id, interrupt_id)
  WHERE status = 'open';
