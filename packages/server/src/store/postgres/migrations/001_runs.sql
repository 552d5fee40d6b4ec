-- The run ledger: projects, their API keys, conversations, runs and each run's event log.
-- Same tables and columns as the SQLite migration. Names are unqualified: everything is
-- created in the first schema of the connection's search_path.
--
-- Column types:
--   * timestamps are timestamptz (the store writes and reads ISO-8601 UTC strings with ms);
--   * counters and keys are bigint (the store converts them to JS numbers on read);
--   * JSON documents are `json`, not `jsonb`: `json` keeps the text exactly as written (key
--     order included, as SQLite does) and is cheaper to write; run_events.data in particular
--     must come back verbatim.

CREATE TABLE projects (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  project_id    text NOT NULL REFERENCES projects (id),
  name          text,
  prefix        text NOT NULL UNIQUE,
  secret_hash   text NOT NULL,
  scopes        text[] NOT NULL,
  created_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX api_keys_project ON api_keys (project_id);

CREATE TABLE conversations (
  project_id  text NOT NULL,
  id          text NOT NULL,
  metadata    json,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (project_id, id)
);

CREATE TABLE runs (
  pk                              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id                      text NOT NULL,
  run_id                          text NOT NULL,
  conversation_id                 text NOT NULL,
  message_id                      text NOT NULL,
  requested_by_user_id            text,
  agent_id                        text NOT NULL,
  status                          text NOT NULL,
  mode                            text,
  runtime_target_kind             text NOT NULL,
  runtime_target_environment_id   text,
  runtime_target_branch_id        text,
  source_target_kind              text,
  source_target_environment_id    text,
  source_target_branch_id         text,
  latest_event_id                 bigint NOT NULL DEFAULT 0,
  latest_external_event_sequence  bigint NOT NULL DEFAULT 0,
  parent_conversation_id          text,
  parent_run_id                   text,
  root_run_id                     text NOT NULL,
  spawned_from_message_id         text,
  spawned_from_tool_call_id       text,
  input_anchor_message_id         text,
  handoff_message_id              text,
  resolved_deployment_id          text,
  waiting_reason                  text,
  waiting_tool_call_id            text,
  waiting_tool_name               text,
  terminal_error_code             text,
  terminal_error_message          text,
  implementation_kind             text,
  worker_key                      text,
  metadata                        json,
  request_snapshot                json NOT NULL,
  -- Rewritten on every append: `json` skips jsonb's parse-and-rebuild on each write.
  sequence_state                  json NOT NULL,
  lease_owner                     text,
  lease_expires_at                timestamptz,
  worker_session                  json,
  created_at                      timestamptz NOT NULL,
  started_at                      timestamptz,
  finished_at                     timestamptz,
  UNIQUE (project_id, run_id)
);
CREATE INDEX runs_by_project ON runs (project_id, pk);
CREATE INDEX runs_by_status ON runs (project_id, status, pk);
CREATE INDEX runs_by_conversation ON runs (project_id, conversation_id, pk);
CREATE INDEX runs_by_agent ON runs (project_id, agent_id, pk);
CREATE INDEX runs_by_parent ON runs (project_id, parent_run_id, pk);
CREATE INDEX runs_by_parent_conversation ON runs (project_id, parent_conversation_id, pk);

CREATE TABLE run_events (
  run_pk        bigint NOT NULL REFERENCES runs (pk),
  event_id      bigint NOT NULL,
  event_type    text NOT NULL,
  external_seq  bigint,
  -- The AG-UI event exactly as the caller sent it (`json` preserves the text, key order included).
  data          json NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (run_pk, event_id)
);
CREATE UNIQUE INDEX run_events_by_external_seq ON run_events (run_pk, external_seq)
  WHERE external_seq IS NOT NULL;

CREATE TABLE secrets (
  name   text PRIMARY KEY,
  value  text NOT NULL
);
