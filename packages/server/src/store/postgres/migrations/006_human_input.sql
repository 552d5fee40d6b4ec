-- Human in the loop (contract §7, §7.1): input requests and AG-UI interrupts. Same tables and
-- columns as the SQLite migration, read and written by one shared SQL implementation
-- (store/human-input.ts): timestamps are ISO-8601 UTC text (`…sssZ`, so text order is time
-- order) and JSON documents text, as in SQLite. Both hang off their run (run_pk): deleting a
-- run takes them along. `pk` is the keyset of listings; `id` is the public identifier.

CREATE TABLE input_requests (
  pk                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                        text NOT NULL UNIQUE,
  project_id                text NOT NULL,
  conversation_id           text NOT NULL,
  run_pk                    bigint NOT NULL REFERENCES runs (pk) ON DELETE CASCADE,
  run_id                    text NOT NULL,
  tool_call_id              text NOT NULL,
  kind                      text NOT NULL,
  status                    text NOT NULL CHECK (status IN ('open', 'submitted', 'cancelled', 'expired')),
  requested_responder_type  text NOT NULL,
  title                     text NOT NULL,
  description               text,
  fields                    text NOT NULL,
  metadata                  text,
  created_at                text NOT NULL,
  expires_at                text NOT NULL,
  submitted_at              text,
  cancelled_at              text,
  expired_at                text,
  latest_response           text
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
  pk                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id          text NOT NULL,
  conversation_id     text NOT NULL,
  interrupt_id        text NOT NULL,
  run_pk              bigint NOT NULL REFERENCES runs (pk) ON DELETE CASCADE,
  run_id              text NOT NULL,
  status              text NOT NULL CHECK (status IN ('open', 'resolved', 'cancelled', 'expired')),
  interrupt           text NOT NULL,
  expires_at          text,
  created_at          text NOT NULL,
  closed_at           text,
  resolved_by_run_id  text,
  resume              text
);
CREATE INDEX interrupts_conversation ON interrupts (project_id, conversation_id, pk);
-- An interrupt id is unique in its conversation while open.
CREATE UNIQUE INDEX interrupts_open_id ON interrupts (project_id, conversation_id, interrupt_id)
  WHERE status = 'open';
