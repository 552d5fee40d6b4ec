import {
  claimableConditions,
  claimParams,
  decodeOwnerColumns,
  ownerIdColumn,
  patchColumns,
  RUN_COLUMNS,
  WORKER_COLUMNS,
  workerPatchColumns,
} from "../columns.ts";
import { conversationFramesTx } from "../conversation-frames.ts";
import { humanInputTx, numberedPlaceholders, type SqlRunner } from "../human-input.ts";
import type {
  ApiKeyRow,
  ConversationRow,
  NewEvent,
  NewRun,
  RunPatch,
  RunStoreTxOps,
  WorkerPatch,
  WorkerRow,
} from "../types.ts";
import { webhookTx } from "../webhooks.ts";
import { BOOTSTRAP_LOCK, LOCK_NAMESPACE } from "./advisory-locks.ts";
import { postgresRetentionTx } from "./retention-ops.ts";
import {
  ACTIVE_LIST,
  API_KEY_SELECT,
  CONVERSATION_SELECT,
  decodeApiKey,
  decodeConversation,
  decodeEvent,
  decodeRun,
  decodeWorker,
  type Exec,
  encodeJson,
  encodeRunValue,
  encodeWorkerValue,
  eventArrays,
  eventsSource,
  isoColumn,
  isPlainId,
  ownerArrays,
  RUN_SELECT,
  UPSERT_OWNERS_CONFLICT,
  WORKER_SELECT,
} from "./rows.ts";

export async function apiKeyByPrefix(exec: Exec, prefix: string): Promise<ApiKeyRow | undefined> {
  const { rows } = await exec(`SELECT ${API_KEY_SELECT} FROM api_keys WHERE prefix = $1`, [prefix]);
  return rows[0] && decodeApiKey(rows[0]);
}

/** Shared SQL (`?` placeholders) run through `exec`. */
export function sqlRunner(exec: Exec): SqlRunner {
  return async (sql, params) => (await exec(numberedPlaceholders(sql), [...params])).rows;
}

/** The operations of one transaction, every statement run through `exec` on its connection. */
export function transactionOps(exec: Exec): RunStoreTxOps {
  const conversationFrames = conversationFramesTx(sqlRunner(exec), "postgres");
  return {
    retention: postgresRetentionTx(exec),
    humanInput: humanInputTx(sqlRunner(exec)),
    conversationFrames,

    lockConversation: async (projectId, conversationId) => {
      // An advisory lock (one bigint key: a different key space from the (int, int) locks
      // above), so it works whether or not the conversation row exists, and never touches the
      // stream counter row that appends update.
      await exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
        JSON.stringify(["conversation", projectId, conversationId]),
      ]);
    },

    activeRootRuns: async (projectId, conversationId) => {
      const { rows } = await exec(
        `SELECT ${RUN_SELECT} FROM runs
          WHERE project_id = $1 AND conversation_id = $2 AND run_id = root_run_id
            AND deleted_at IS NULL AND status IN (${ACTIVE_LIST})
          ORDER BY pk`,
        [projectId, conversationId],
      );
      return rows.map(decodeRun);
    },

    releasableQueuedRun: async (projectId, conversationId) => {
      const { rows } = await exec(
        `SELECT ${RUN_SELECT} FROM runs q
          WHERE q.project_id = $1 AND q.conversation_id = $2 AND q.run_id = q.root_run_id
            AND q.queued_behind IS NOT NULL AND q.deleted_at IS NULL
            AND q.status IN (${ACTIVE_LIST})
            AND NOT EXISTS (
              SELECT 1 FROM runs a
               WHERE a.project_id = q.project_id AND a.conversation_id = q.conversation_id
                 AND a.run_id = a.root_run_id AND a.pk < q.pk AND a.deleted_at IS NULL
                 AND a.status IN (${ACTIVE_LIST}))
          ORDER BY q.pk
          LIMIT 1
          FOR UPDATE OF q`,
        [projectId, conversationId],
      );
      return rows[0] && decodeRun(rows[0]);
    },
    // Concurrent claims (several instances) pass over each other's rows instead of waiting.
    webhooks: webhookTx(sqlRunner(exec), "FOR UPDATE SKIP LOCKED"),

    getRunForUpdate: async (projectId, runId) => {
      const { rows } = await exec(
        // A run marked deleted (§9) is gone for every operation; its tombstone answers instead.
        `SELECT ${RUN_SELECT} FROM runs
          WHERE project_id = $1 AND run_id = $2 AND deleted_at IS NULL
          FOR UPDATE`,
        [projectId, runId],
      );
      return rows[0] && decodeRun(rows[0]);
    },

    insertRun: async (run: NewRun) => {
      const placeholders = RUN_COLUMNS.map((_, i) => `$${i + 1}`).join(", ");
      const { rows } = await exec(
        `INSERT INTO runs (${RUN_COLUMNS.join(", ")})
         VALUES (${placeholders})
         ON CONFLICT (project_id, run_id) DO NOTHING
         RETURNING ${RUN_SELECT}`,
        RUN_COLUMNS.map((column) => encodeRunValue(column, run[column])),
      );
      return rows[0] && decodeRun(rows[0]);
    },

    updateRun: async (pk, patch: RunPatch) => {
      const columns = patchColumns(patch);
      if (columns.length === 0) return;
      const assignments = columns.map((column, i) => `${column} = $${i + 1}`).join(", ");
      await exec(`UPDATE runs SET ${assignments} WHERE pk = $${columns.length + 1}`, [
        ...columns.map((column) => encodeRunValue(column, patch[column])),
        pk,
      ]);
    },

    insertEvents: async (runPk, events: readonly NewEvent[]) => {
      if (events.length === 0) return;
      // One statement for the whole batch: the columns travel as parallel arrays.
      await exec(
        `INSERT INTO run_events (run_pk, event_id, event_type, external_seq, data, created_at)
         SELECT $1::bigint, batch.* FROM ${eventsSource(2)}`,
        [runPk, ...eventArrays(events)],
      );
    },

    getOwners: async (runPk, ids) => {
      if (ids.length === 0) return [];
      const { rows } = await exec(
        "SELECT id, kind, owner FROM run_owners WHERE run_pk = $1 AND id = ANY ($2::text[])",
        [runPk, ids.map(ownerIdColumn)],
      );
      return rows.map(decodeOwnerColumns);
    },

    putOwners: async (runPk, owners) => {
      if (owners.length === 0) return;
      await exec(
        `INSERT INTO run_owners (run_pk, id, kind, owner)
         SELECT $1::bigint, o.* FROM unnest($2::text[], $3::text[], $4::text[]) AS o (id, kind, owner)
         ${UPSERT_OWNERS_CONFLICT}`,
        [runPk, ...ownerArrays(owners)],
      );
    },

    externalEventsAfter: async (runPk, position, limit) => {
      const { rows } =
        "afterEventId" in position
          ? await exec(
              `SELECT data::text AS data FROM run_events
                WHERE run_pk = $1 AND event_id > $2 AND external_seq IS NOT NULL
                ORDER BY event_id
                LIMIT $3`,
              [runPk, position.afterEventId, limit],
            )
          : await exec(
              `SELECT data::text AS data FROM run_events
                WHERE run_pk = $1 AND external_seq > $2
                ORDER BY external_seq
                LIMIT $3`,
              [runPk, position.afterExternalSeq, limit],
            );
      return rows.map(decodeEvent);
    },

    findToolCallResult: async (runPk, toolCallId) => {
      // Not `data->>'toolCallId' = $2`: PostgreSQL's json operators fail on a whole document
      // holding a \u0000 escape or an unpaired surrogate anywhere (JSON.stringify writes both,
      // e.g. for a NUL in a tool's output), so one such result would break every later lookup
      // in the run. Instead: a plain substring filter on the text, confirmed here after parsing.
      const needle = isPlainId(toolCallId) ? JSON.stringify(toolCallId) : "";
      const { rows } = await exec(
        `SELECT data::text AS data FROM run_events
          WHERE run_pk = $1 AND event_type = 'TOOL_CALL_RESULT' AND strpos(data::text, $2) > 0
          ORDER BY event_id DESC`,
        [runPk, needle],
      );
      return rows.map(decodeEvent).find((event) => event.toolCallId === toolCallId);
    },

    listActiveRunsInTree: async (projectId, rootRunId) => {
      const { rows } = await exec(
        `WITH RECURSIVE tree (run_id) AS (
           SELECT run_id FROM runs WHERE project_id = $1 AND parent_run_id = $2
           UNION
           SELECT r.run_id FROM runs r JOIN tree t ON r.project_id = $1 AND r.parent_run_id = t.run_id
         )
         SELECT ${RUN_SELECT} FROM runs
          WHERE project_id = $1 AND run_id IN (SELECT run_id FROM tree)
            AND status IN (${ACTIVE_LIST})
          ORDER BY pk`,
        [projectId, rootRunId],
      );
      return rows.map(decodeRun);
    },

    ensureConversation: async (conversation: ConversationRow) => {
      const inserted = await exec(
        `INSERT INTO conversations (project_id, id, metadata, created_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (project_id, id) DO NOTHING
         RETURNING ${CONVERSATION_SELECT}`,
        [
          conversation.project_id,
          conversation.id,
          encodeJson(conversation.metadata),
          conversation.created_at,
        ],
      );
      if (inserted.rows[0]) {
        // Its stream exists from the start: followers can subscribe before the first run.
        await conversationFrames.ensureStream(conversation.project_id, conversation.id);
        return { conversation: decodeConversation(inserted.rows[0]), created: true };
      }
      // It exists: ON CONFLICT waited for its creator to commit, so this statement sees it.
      const { rows } = await exec(
        `SELECT ${CONVERSATION_SELECT} FROM conversations WHERE project_id = $1 AND id = $2`,
        [conversation.project_id, conversation.id],
      );
      if (!rows[0]) throw new Error(`Conversation ${conversation.id} vanished while being ensured`);
      return { conversation: decodeConversation(rows[0]), created: false };
    },

    lockBootstrap: async () => {
      await exec("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_NAMESPACE, BOOTSTRAP_LOCK]);
    },

    firstProjectId: async () => {
      const { rows } = await exec("SELECT id FROM projects ORDER BY created_at, id LIMIT 1");
      return rows[0]?.id as string | undefined;
    },

    listProjects: async () => {
      const { rows } = await exec(
        `SELECT id, name, ${isoColumn("created_at")} FROM projects ORDER BY projects.created_at, id`,
      );
      return rows.map((r) => ({
        id: r.id as string,
        name: r.name as string,
        created_at: r.created_at as string,
      }));
    },

    insertProject: async (project) => {
      await exec("INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3)", [
        project.id,
        project.name,
        project.created_at,
      ]);
    },

    insertApiKey: async (key: ApiKeyRow) => {
      await exec(
        `INSERT INTO api_keys
           (id, project_id, name, prefix, secret_hash, scopes, created_at, revoked_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          key.id,
          key.project_id,
          key.name,
          key.prefix,
          key.secret_hash,
          key.scopes,
          key.created_at,
          key.revoked_at,
          key.last_used_at,
        ],
      );
    },

    getApiKeyByPrefix: (prefix) => apiKeyByPrefix(exec, prefix),

    claimableRunForUpdate: async (claim) => {
      // SKIP LOCKED: a run another transaction holds (being claimed right now) is passed over,
      // so concurrent claims take different runs instead of queueing on the same one.
      const { rows } = await exec(
        `SELECT ${RUN_SELECT} FROM runs
          WHERE ${claimableConditions((n) => `$${n}`)}
          ORDER BY pk
          LIMIT 1
          FOR UPDATE SKIP LOCKED`,
        claimParams(claim),
      );
      return rows[0] && decodeRun(rows[0]);
    },

    ensureWorker: async (worker: WorkerRow) => {
      const inserted = await exec(
        `INSERT INTO workers (${WORKER_COLUMNS.join(", ")})
         VALUES (${WORKER_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})
         ON CONFLICT (project_id, implementation_kind, worker_key) DO NOTHING
         RETURNING ${WORKER_SELECT}`,
        WORKER_COLUMNS.map((column) => encodeWorkerValue(column, worker[column])),
      );
      if (inserted.rows[0]) return { worker: decodeWorker(inserted.rows[0]), created: true };
      // It exists: ON CONFLICT waited for its creator to commit, so this statement sees it.
      const { rows } = await exec(
        `SELECT ${WORKER_SELECT} FROM workers
          WHERE project_id = $1 AND implementation_kind = $2 AND worker_key = $3`,
        [worker.project_id, worker.implementation_kind, worker.worker_key],
      );
      if (!rows[0]) throw new Error(`Worker ${worker.worker_key} vanished while being ensured`);
      return { worker: decodeWorker(rows[0]), created: false };
    },

    updateWorker: async (projectId, id, patch: WorkerPatch) => {
      const columns = workerPatchColumns(patch);
      const n = columns.length;
      const { rows } =
        n === 0
          ? await exec(`SELECT ${WORKER_SELECT} FROM workers WHERE project_id = $1 AND id = $2`, [
              projectId,
              id,
            ])
          : await exec(
              `UPDATE workers SET ${columns.map((column, i) => `${column} = $${i + 1}`).join(", ")}
                WHERE project_id = $${n + 1} AND id = $${n + 2}
                RETURNING ${WORKER_SELECT}`,
              [...columns.map((column) => encodeWorkerValue(column, patch[column])), projectId, id],
            );
      return rows[0] && decodeWorker(rows[0]);
    },
  };
}
