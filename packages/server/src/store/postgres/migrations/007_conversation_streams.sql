-- Conversation streams and multitask strategies (contract §8). Same tables and columns as the
-- SQLite migration; read and written by one shared implementation
-- (store/conversation-frames.ts), plus the append fast path's single statement
-- (postgres-store.ts `appendToRun`).
--
-- conversation_streams: one row per conversation, created with it, holding the counter that
-- numbers its frames (1, 2, 3…). Its row lock serialises frame numbering of ONE conversation
-- only, and is taken as late as possible in each transaction; `pk` names the stream for live
-- fan-out (the hub and the cross-instance feed).
CREATE TABLE conversation_streams (
  pk               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id       text NOT NULL,
  conversation_id  text NOT NULL,
  latest_frame_id  bigint NOT NULL DEFAULT 0,
  UNIQUE (project_id, conversation_id)
);

-- One row per frame. A run event's frame points at its row in run_events (run_pk, event_id:
-- the event is served from there, verbatim); a lifecycle frame carries its name and data. A
-- run's frames go with it (retention, DELETE): the gaps this leaves are allowed (§8).
CREATE TABLE conversation_frames (
  stream_pk  bigint NOT NULL REFERENCES conversation_streams (pk),
  frame_id   bigint NOT NULL,
  run_pk     bigint NOT NULL REFERENCES runs (pk) ON DELETE CASCADE,
  event_id   bigint,
  name       text,
  data       text,
  PRIMARY KEY (stream_pk, frame_id)
);
CREATE INDEX conversation_frames_run ON conversation_frames (run_pk);

INSERT INTO conversation_streams (project_id, conversation_id)
  SELECT project_id, id FROM conversations ORDER BY created_at, id;

-- multitask_strategy "enqueue": the run this one waits behind (NULL once released).
ALTER TABLE runs ADD COLUMN queued_behind text;
CREATE INDEX runs_conversation_roots ON runs (project_id, conversation_id, pk)
  WHERE run_id = root_run_id;
