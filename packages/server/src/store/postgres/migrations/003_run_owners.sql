-- Owners of a run's message / tool-call / activity / reasoning ids (domain/agui/sequence.ts),
-- moved out of runs.sequence_state: that JSON document was read, parsed, rebuilt and rewritten
-- by every append, and it grew with every id the run ever used. Now it holds only what is open,
-- and an append looks up here just the ids its batch mentions (by (run_pk, id): a lookup does
-- not know the kind in advance). Same table as the SQLite migration.
--
-- id and owner are JSON text (store/columns.ts): the id as a JSON string, the owner as `false`
-- (the parent agent) or the opener's subagentRunId as a JSON string. Ids come from event
-- payloads, which may hold NUL, and JSON spells it \u0000 (PostgreSQL text cannot hold NUL).

CREATE TABLE run_owners (
  run_pk  bigint NOT NULL REFERENCES runs (pk),
  id      text NOT NULL,
  kind    text NOT NULL CHECK (kind IN ('message', 'toolCall', 'activity', 'reasoning')),
  owner   text NOT NULL,
  PRIMARY KEY (run_pk, id, kind)
);

-- Existing runs: copy the owners of runs that can still take events (an ended run's state
-- holds none), then drop them from the state (rebuilt key by key: json, not jsonb, keeps the
-- rest of the document as it is).
INSERT INTO run_owners (run_pk, id, kind, owner)
SELECT r.pk, to_json(o.key)::text, k.kind, CASE json_typeof(o.value) WHEN 'string' THEN o.value::text ELSE 'false' END
  FROM runs r
 CROSS JOIN (VALUES ('message'), ('toolCall'), ('activity'), ('reasoning')) AS k (kind)
 CROSS JOIN LATERAL json_each(r.sequence_state -> 'owners' -> k.kind) AS o
 WHERE r.status IN ('pending', 'running', 'waiting_for_tool')
    ON CONFLICT DO NOTHING;

UPDATE runs
   SET sequence_state = json_build_object(
         'phase', sequence_state -> 'phase',
         'runStarted', sequence_state -> 'runStarted',
         'open', sequence_state -> 'open',
         'closedSubagents', sequence_state -> 'closedSubagents')
 WHERE sequence_state -> 'owners' IS NOT NULL;
