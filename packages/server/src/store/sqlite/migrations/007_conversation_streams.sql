-- Conversation streams and multitask strategies (contract §8). Same tables and columns as the
-- PostgreSQL migration; read and written by one shared implementation
-- (store/conversation-frames.ts).
--
-- conversation_streams: one row per conversation, created with it, holding the counter that
-- numbers its frames (1, 2, 3…). Bumped in the transaction that writes the frames, as late as
-- possible (see conversation-frames.ts), so the row is held only briefly; `pk` names the
-- stream for live fan-out (the hub and the cross-instance feed).
CREATE TABLE conversation_streams (
  pk               INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id       TEXT NOT NULL,
  conversation_id  TEXT NOT NULL,
  latest_frame_id  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (project_id, conversation_id)
);

-- One row per frame. A run event's frame points at its row in run_events (run_pk, event_id:
-- the event is served from there, verbatim); a lifecycle frame carries its name and data. A
-- run's frames go with it (retention, DELETE): the gaps this leaves are allowed (§8).
CREATE TABLE conversation_frames (
  stream_pk  INTEGER NOT NULL REFERENCES conversation_streams (pk),
  frame_id   INTEGER NOT NULL,
  run_pk     INTEGER NOT NULL REFERENCES runs (pk) ON DELETE CASCADE,
  event_id   INTEGER,
  name       TEXT,
  data       TEXT,
  PRIMARY KEY (stream_pk, frame_id)
) WITHOUT ROWID;
CREATE INDEX conversation_frames_run ON conversation_frames (run_pk);

-- Every conversation that exists already gets its stream (frames start with the next change).
INSERT INTO conversation_streams (project_id, conversation_id)
  SELECT project_id, id FROM conversations ORDER BY created_at, id;

-- multitask_strategy "enqueue": the run this one waits behind (NULL once released).
ALTER TABLE runs ADD COLUMN queued_behind TEXT;
-- The queue of a conversation: its root runs in creation order.
CREATE INDEX runs_conversation_roots ON runs (project_id, conversation_id, pk)
  WHERE run_id = root_run_id;
