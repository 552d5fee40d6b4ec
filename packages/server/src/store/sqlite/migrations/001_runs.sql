-- The run ledger: projects, their API keys, conversations, runs and each run's event log.

CREATE TABLE projects (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,
  project_id    TEXT NOT NULL REFERENCES projects (id),
  name          TEXT,
  prefix        TEXT NOT NULL UNIQUE,
  secret_hash   TEXT NOT NULL,
  scopes        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  revoked_at    TEXT,
  last_used_at  TEXT
);
CREATE INDEX api_keys_project ON api_keys (project_id);

CREATE TABLE conversations (
  project_id  TEXT NOT NULL,
  id          TEXT NOT NULL,
  metadata    TEXT,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (project_id, id)
);

CREATE TABLE runs (
  pk                              INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id                      TEXT NOT NULL,
  run_id                          TEXT NOT NULL,
  conversation_id                 TEXT NOT NULL,
  message_id                      TEXT NOT NULL,
  requested_by_user_id            TEXT,
  agent_id                        TEXT NOT NULL,
  status                          TEXT NOT NULL,
  mode                            TEXT,
  runtime_target_kind             TEXT NOT NULL,
  runtime_target_environment_id   TEXT,
  runtime_target_branch_id        TEXT,
  source_target_kind              TEXT,
  source_target_environment_id    TEXT,
  source_target_branch_id         TEXT,
  latest_event_id                 INTEGER NOT NULL DEFAULT 0,
  latest_external_event_sequence  INTEGER NOT NULL DEFAULT 0,
  parent_conversation_id          TEXT,
  parent_run_id                   TEXT,
  root_run_id                     TEXT NOT NULL,
  spawned_from_message_id         TEXT,
  spawned_from_tool_call_id       TEXT,
  input_anchor_message_id         TEXT,
  handoff_message_id              TEXT,
  resolved_deployment_id          TEXT,
  waiting_reason                  TEXT,
  waiting_tool_call_id            TEXT,
  waiting_tool_name               TEXT,
  terminal_error_code             TEXT,
  terminal_error_message          TEXT,
  implementation_kind             TEXT,
  worker_key                      TEXT,
  metadata                        TEXT,
  request_snapshot                TEXT NOT NULL,
  sequence_state                  TEXT NOT NULL,
  lease_owner                     TEXT,
  lease_expires_at                TEXT,
  worker_session                  TEXT,
  created_at                      TEXT NOT NULL,
  started_at                      TEXT,
  finished_at                     TEXT,
  UNIQUE (project_id, run_id)
);
CREATE INDEX runs_by_project ON runs (project_id, pk);
CREATE INDEX runs_by_status ON runs (project_id, status, pk);
CREATE INDEX runs_by_conversation ON runs (project_id, conversation_id, pk);
CREATE INDEX runs_by_agent ON runs (project_id, agent_id, pk);
CREATE INDEX runs_by_parent ON runs (project_id, parent_run_id, pk);
CREATE INDEX runs_by_parent_conversation ON runs (project_id, parent_conversation_id, pk);

CREATE TABLE run_events (
  run_pk        INTEGER NOT NULL REFERENCES runs (pk),
  event_id      INTEGER NOT NULL,
  event_type    TEXT NOT NULL,
  external_seq  INTEGER,
  data          TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (run_pk, event_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX run_events_by_external_seq ON run_events (run_pk, external_seq)
  WHERE external_seq IS NOT NULL;

CREATE TABLE secrets (
  name   TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
