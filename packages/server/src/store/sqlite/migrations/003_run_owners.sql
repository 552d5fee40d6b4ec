-- Owners of a run's message / tool-call / activity / reasoning ids (domain/agui/sequence.ts),
-- moved out of runs.sequence_state: that JSON document was read, parsed, rebuilt and rewritten
-- by every append, and it grew with every id the run ever used. Now it holds only what is open,
-- and an append looks up here just the ids its batch mentions (by (run_pk, id): a lookup does
-- not know the kind in advance).
--
-- id and owner are JSON text (store/columns.ts): the id as a JSON string, the owner as `false`
-- (the parent agent) or the opener's subagentRunId as a JSON string. Ids come from event
-- payloads, which may hold NUL, and JSON spells it \u0000 (PostgreSQL text cannot hold NUL).

CREATE TABLE run_owners (
  run_pk  INTEGER NOT NULL REFERENCES runs (pk),
  id      TEXT NOT NULL,
  kind    TEXT NOT NULL CHECK (kind IN ('message', 'toolCall', 'activity', 'reasoning')),
  owner   TEXT NOT NULL,
  PRIMARY KEY (run_pk, id, kind)
) WITHOUT ROWID;

-- Existing runs: copy the owners of runs that can still take events (an ended run's state
-- holds none), then drop them from the state.
INSERT INTO run_owners (run_pk, id, kind, owner)
SELECT runs.pk, json_quote(o.key), k.kind, CASE o.type WHEN 'text' THEN json_quote(o.value) ELSE 'false' END
  FROM runs
  JOIN (SELECT 'message' AS kind UNION ALL SELECT 'toolCall' UNION ALL SELECT 'activity'
        UNION ALL SELECT 'reasoning') AS k
  JOIN json_each(runs.sequence_state, '$.owners.' || k.kind) AS o
 WHERE runs.status IN ('pending', 'running', 'waiting_for_tool')
    ON CONFLICT DO NOTHING;

UPDATE runs SET sequence_state = json_remove(sequence_state, '$.owners')
 WHERE json_type(sequence_state, '$.owners') IS NOT NULL;
