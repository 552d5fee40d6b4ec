/**
 * The PostgreSQL store, for deployments with several server instances (DATABASE_URL set).
 *
 * One `pg.Pool`. Every connection starts with `statement_timeout`,
 * `idle_in_transaction_session_timeout` and a client-side read timeout, so neither a slow
 * statement nor a stuck transaction holds a run's row lock indefinitely. Reads outside
 * transactions go through the pool (autocommit, READ COMMITTED: they see committed data only
 * and never block writers). `transaction()` checks out one connection for BEGIN … COMMIT;
 * `getRunForUpdate` takes the run's row lock (`SELECT … FOR UPDATE`), which is what serialises
 * concurrent appends to one run across processes.
 *
 * Split by concern: `rows.ts` (columns selected and row ↔ record conversion), `sql-errors.ts`
 * (which failures mean "unavailable"), `migrations.ts` (the shared runner's driver, under an
 * advisory lock), `transaction-ops.ts` (the operations of one transaction), `advisory-locks.ts`;
 * this file holds the pool, the class and its reads outside transactions.
 *
 * Representation (see `migrations/001_runs.sql` and `rows.ts`):
 * - bigint columns (`pk`, event ids, sequences) arrive from pg as strings and are converted to
 *   numbers per column here (no global type parser is installed);
 * - timestamps are `timestamptz`, written as the ISO-8601 strings the interface uses and read
 *   back with `to_char` in UTC, giving the same `2026-11-23T15:04:03.123Z` form whatever the
 *   session's TimeZone or DateStyle (precision: milliseconds, as written);
 * - JSON documents are `json`, selected as text and parsed here. Event payloads are inserted as
 *   the caller's own serialisation (`NewEvent.json`) and come back verbatim, key order included.
 *
 * Errors: failures to reach or keep the database (refused or dropped connections, timeouts,
 * server shutdown, too many connections, statement timeout) are raised as
 * `StoreUnavailableError` (answered 503); anything else (constraint violations, SQL errors)
 * propagates unchanged.
 */ import pg from "pg";
import { conversationFramesWriter } from "../../conversations/frames-writer.ts";
import type { OwnerRecord } from "../../domain/agui/sequence.ts";
import { ChangeJournal } from "../changes.ts";
import {
  claimParams,
  decodeOwnerColumns,
  leasedConditions,
  ownerIdColumn,
  patchColumns,
  runListQuery,
} from "../columns.ts";
import { type ConversationFramesReads, conversationFramesReads } from "../conversation-frames.ts";
import { type HumanInputReads, humanInputReads } from "../human-input.ts";
import { readMigrations, runMigrations } from "../migrator.ts";
import type { RetentionReads } from "../retention.ts";
import { StoredEventRow } from "../stored-event.ts";
import type {
  ApiKeyRow,
  ClaimQuery,
  ConversationRow,
  RunFilter,
  RunPage,
  RunRow,
  RunStore,
  RunStoreTx,
  RunWrite,
  StoredEvent,
  WorkerRow,
} from "../types.ts";
import { type WebhookReads, webhookReads } from "../webhooks.ts";
import { MIGRATIONS_DIR, postgresMigrationDriver } from "./migrations.ts";
import { postgresRetentionReads } from "./retention-ops.ts";
import {
  API_KEY_SELECT,
  CONVERSATION_SELECT,
  decodeApiKey,
  decodeConversation,
  decodeRun,
  decodeWorker,
  type Exec,
  encodeRunValue,
  eventArrays,
  eventsSource,
  ISO_FORMAT,
  isoColumn,
  ownerArrays,
  parseJson,
  type Row,
  RUN_SELECT,
  toNumber,
  UPSERT_OWNERS_CONFLICT,
  WORKER_SELECT,
} from "./rows.ts";
import {
  commit,
  isUnavailable,
  query,
  queryPrepared,
  toError,
  toStoreError,
} from "./sql-errors.ts";
import { apiKeyByPrefix, sqlRunner, transactionOps } from "./transaction-ops.ts";

export interface PostgresStoreOptions {
  connectionString: string;
  /** Maximum number of pooled connections. */
  poolSize: number;
  /**
   * Send the statements every append makes as named prepared statements (parsed and planned
   * once per connection). Off for poolers that cannot carry them. Default true.
   */
  preparedStatements?: boolean;
  /** Server-side limit for any one statement, in milliseconds (0: the server's setting). */
  statementTimeoutMs: number;
  /**
   * Told when an idle pooled connection fails (the server restarted, the network dropped it).
   * The pool has already discarded it; the next query opens a new one. Default: a process warning.
   */
  onIdleConnectionError?: (error: Error) => void;
}

/** NOTIFY channel carrying the id of each revoked API key (heard by `live/postgres-feed.ts`). */
export const API_KEY_REVOCATIONS_CHANNEL = "runline_api_keys";

/** How long to wait for a pooled connection (a free one, or a new one to open). */
const CONNECT_TIMEOUT_MS = 5_000;
/** Client-side allowance beyond statement_timeout before a silent connection is given up. */
const READ_TIMEOUT_MARGIN_MS = 5_000;
/** Lower bound for idle_in_transaction_session_timeout. */
const MIN_IDLE_IN_TRANSACTION_MS = 10_000;

export class PostgresStore implements RunStore {
  readonly changes = new ChangeJournal();
  readonly dialect = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly prepared: boolean;
  /** Connection settings for the dedicated migration connection (no statement timeout). */
  private readonly migrationConfig: pg.ClientConfig;
  private closing: Promise<void> | undefined;
  private readonly revocationListeners: ((keyId: string) => void)[] = [];
  readonly retention: RetentionReads = postgresRetentionReads((text, values) =>
    query(this.pool, text, values),
  );
  readonly humanInput: HumanInputReads = humanInputReads(
    sqlRunner((text, values) => query(this.pool, text, values)),
  );
  readonly conversationFrames: ConversationFramesReads = conversationFramesReads(
    sqlRunner((text, values) => query(this.pool, text, values)),
    "e.data::text",
  );
  readonly webhooks: WebhookReads = webhookReads(
    sqlRunner((text, values) => query(this.pool, text, values)),
  );

  constructor(options: PostgresStoreOptions) {
    // Conversation-stream frames (docs/api.md §8) commit with whatever made them.
    this.changes.addWriter(conversationFramesWriter(this.changes));
    const base: pg.ClientConfig = {
      connectionString: options.connectionString,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      // The connection string's own application_name, if any, takes precedence.
      application_name: "runline",
    };
    const statementTimeout = Math.max(options.statementTimeoutMs, 0);
    this.prepared = options.preparedStatements ?? true;
    this.migrationConfig = base;
    this.pool = new pg.Pool({
      ...base,
      max: options.poolSize,
      idleTimeoutMillis: 30_000,
      // Sent in the startup packet: applies to every pooled connection, no extra round trip.
      ...(statementTimeout > 0 && {
        statement_timeout: statementTimeout,
        // A connection that stops answering (network black hole) is given up on, not waited
        // for forever; the server would have cancelled the statement by then anyway.
        query_timeout: statementTimeout + READ_TIMEOUT_MARGIN_MS,
      }),
      // A transaction left open (a stuck or paused process) would keep its runs locked.
      idle_in_transaction_session_timeout: Math.max(
        2 * statementTimeout,
        MIN_IDLE_IN_TRANSACTION_MS,
      ),
    });
    const onIdleError =
      options.onIdleConnectionError ??
      ((error: Error) =>
        process.emitWarning(
          `PostgreSQL: an idle pooled connection failed and was discarded: ${error.message}`,
        ));
    // Without a listener an idle connection's failure would be an uncaught 'error' event.
    this.pool.on("error", (error) => onIdleError(error));
  }

  async migrate(): Promise<void> {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    // A dedicated connection: migrations may legitimately outlast statement_timeout, and
    // ending the session releases the advisory lock whatever happens.
    const client = new pg.Client(this.migrationConfig);
    client.on("error", () => {
      // Reported by the statement that fails next.
    });
    try {
      await client.connect();
    } catch (error) {
      throw toStoreError(error, "connecting to migrate");
    }
    try {
      await runMigrations(postgresMigrationDriver(client), migrations);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  async ping(): Promise<void> {
    await query(this.pool, "SELECT 1");
  }

  transaction<T>(fn: (tx: RunStoreTx) => Promise<T>): Promise<T> {
    return this.changes.transaction(
      (body) => this.withTransaction((exec) => body(transactionOps(exec))),
      fn,
    );
  }

  /**
   * BEGIN … COMMIT on one pooled connection; ROLLBACK when `body` throws. The connection goes
   * back to the pool afterwards, or is discarded when its state is in doubt.
   */
  private async withTransaction<T>(body: (exec: Exec) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toStoreError(error, "acquiring a connection");
    }
    /** Set when the connection must not be reused. */
    let broken: unknown;
    // While checked out, a connection failure is emitted on the client; unheard, it would crash
    // the process. The failing statement reports it.
    const onError = (error: Error) => {
      broken ??= error;
    };
    client.on("error", onError);
    let open = true;
    const exec: Exec = (text, values) =>
      open
        ? query(client, text, values)
        : Promise.reject(new Error("Transaction already ended: its operations cannot be used"));
    try {
      await exec("BEGIN");
      let result: T;
      try {
        result = await body(exec);
      } catch (error) {
        await client.query("ROLLBACK").catch((rollbackError: unknown) => {
          broken ??= rollbackError;
        });
        throw error;
      }
      await commit(client);
      return result;
    } catch (error) {
      if (isUnavailable(error)) broken ??= error;
      throw error;
    } finally {
      open = false;
      client.off("error", onError);
      client.release(broken ? toError(broken) : undefined);
    }
  }

  async getRun(projectId: string, runId: string): Promise<RunRow | undefined> {
    const { rows } = await queryPrepared(
      this.pool,
      `SELECT ${RUN_SELECT} FROM runs WHERE project_id = $1 AND run_id = $2 AND deleted_at IS NULL`,
      [projectId, runId],
      this.prepared,
    );
    return rows[0] && decodeRun(rows[0]);
  }

  async getRunForAppend(
    projectId: string,
    runId: string,
    ownerIds: readonly string[],
  ): Promise<{ run: RunRow; owners: OwnerRecord[] } | undefined> {
    // One statement (one round trip, one snapshot): the run, and its owner records of the
    // batch's ids as a JSON array.
    const { rows } = await queryPrepared(
      this.pool,
      `SELECT ${RUN_SELECT},
              (SELECT json_agg(json_build_object('id', o.id, 'kind', o.kind, 'owner', o.owner))
                 FROM run_owners o
                WHERE o.run_pk = runs.pk AND o.id = ANY ($3::text[]))::text AS owner_records
         FROM runs WHERE project_id = $1 AND run_id = $2 AND deleted_at IS NULL`,
      [projectId, runId, ownerIds.map(ownerIdColumn)],
      this.prepared,
    );
    const row = rows[0];
    if (!row) return undefined;
    const { owner_records: records, ...runRow } = row;
    const owners = ((parseJson(records) as Row[] | null) ?? []).map(decodeOwnerColumns);
    return { run: decodeRun(runRow), owners };
  }

  async appendToRun(write: RunWrite): Promise<RunRow | undefined> {
    // The whole append as ONE statement in its own (implicit) transaction: one round trip.
    // `run` is the guarded update (compare-and-set): under READ COMMITTED a concurrent writer
    // of the same row makes it wait, then re-check its WHERE against the new row version, so
    // a lost race updates nothing. The inserts read from `run`, so they write nothing then
    // either. Later additions to an append (counters, other tables) belong here as further
    // CTEs reading from `run`.
    //
    // Conversation frames (docs/api.md §8): `stream` bumps the conversation's frame counter by the
    // batch size and `frames` records the batch as one range row with the ids it reserved. The counter row is
    // locked from that UPDATE to the statement's COMMIT only — appends to other conversations
    // never wait on it, and frame ids commit in id order.
    const { expected, patch } = write;
    const columns = patchColumns(patch);
    const values: unknown[] = [];
    const param = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    const assignments = columns
      .map((column) => `${column} = ${param(encodeRunValue(column, patch[column]))}`)
      .join(", ");
    // A run marked deleted in between counts as moved on (its re-read answers 410).
    const guard = `pk = ${param(write.runPk)}
        AND deleted_at IS NULL
        AND latest_event_id = ${param(expected.latest_event_id)}
        AND status = ${param(expected.status)}
        AND lease_owner IS NOT DISTINCT FROM ${param(expected.lease_owner)}::text
        AND lease_expires_at IS NOT DISTINCT FROM ${param(expected.lease_expires_at)}::timestamptz`;
    const firstEventParam = values.length + 1;
    values.push(...eventArrays(write.events));
    const [ids, kinds, owners] = ownerArrays(write.owners);
    // The batch's frames are one row: the range of its events (consecutive ids, ending here).
    if (write.events.some((e, i) => e.event_id !== write.events[0]!.event_id + i)) {
      throw new Error("appendToRun: a batch's event ids must be consecutive");
    }
    const count = param(write.events.length);
    const lastEventId = param(write.events.at(-1)?.event_id ?? expected.latest_event_id);
    const { rows } = await queryPrepared(
      this.pool,
      `WITH run AS (
         UPDATE runs SET ${assignments} WHERE ${guard}
         RETURNING ${RUN_SELECT}
       ), events AS (
         INSERT INTO run_events (run_pk, event_id, event_type, external_seq, data, created_at)
         SELECT run.pk, batch.* FROM run, ${eventsSource(firstEventParam)}
       ), owners AS (
         INSERT INTO run_owners (run_pk, id, kind, owner)
         SELECT run.pk, o.* FROM run,
                unnest(${param(ids)}::text[], ${param(kinds)}::text[], ${param(owners)}::text[])
                  AS o (id, kind, owner)
         ${UPSERT_OWNERS_CONFLICT}
       ), stream AS (
         UPDATE conversation_streams s SET latest_frame_id = s.latest_frame_id + ${count}::bigint
           FROM run
          WHERE s.project_id = run.project_id AND s.conversation_id = run.conversation_id
          RETURNING s.pk, s.latest_frame_id
       ), frames AS (
         INSERT INTO conversation_frames (stream_pk, frame_id, run_pk, event_id, event_count)
         SELECT stream.pk, stream.latest_frame_id, run.pk, ${lastEventId}::bigint, ${count}::integer
           FROM run, stream
          WHERE ${count}::integer > 0
       )
       SELECT run.*, stream.pk AS stream_pk, stream.latest_frame_id AS stream_latest_frame_id
         FROM run LEFT JOIN stream ON true`,
      values,
      this.prepared,
    );
    const row = rows[0];
    if (!row) return undefined;
    const { stream_pk: streamPk, stream_latest_frame_id: latestFrameId, ...runRow } = row;
    if (streamPk !== null && streamPk !== undefined) {
      // Told once committed (this statement's own transaction has committed by now).
      const position = {
        projectId: row.project_id as string,
        streamPk: toNumber(streamPk),
        latestFrameId: toNumber(latestFrameId),
      };
      this.changes.announceFrames([position]);
    }
    return decodeRun(runRow);
  }

  async listRuns(filter: RunFilter, page: RunPage): Promise<RunRow[]> {
    const { sql, params } = runListQuery(filter, page, (n) => `$${n}`);
    const prefix = "SELECT * FROM runs ";
    if (!sql.startsWith(prefix)) throw new Error(`Unexpected run listing query: ${sql}`);
    const text = `SELECT ${RUN_SELECT} FROM runs ${sql.slice(prefix.length)}`;
    return (await query(this.pool, text, params)).rows.map(decodeRun);
  }

  async readEvents(runPk: number, afterEventId: number, limit: number): Promise<StoredEvent[]> {
    const { rows } = await queryPrepared(
      this.pool,
      `SELECT event_id, event_type, data::text AS data, ${isoColumn("created_at")}
         FROM run_events
        WHERE run_pk = $1 AND event_id > $2
        ORDER BY event_id
        LIMIT $3`,
      [runPk, afterEventId, limit],
      this.prepared,
    );
    return rows.map(
      (r) =>
        new StoredEventRow(
          toNumber(r.event_id),
          r.event_type as string,
          r.data as string,
          r.created_at as string,
        ),
    );
  }

  async getConversation(projectId: string, id: string): Promise<ConversationRow | undefined> {
    const { rows } = await query(
      this.pool,
      `SELECT ${CONVERSATION_SELECT} FROM conversations WHERE project_id = $1 AND id = $2`,
      [projectId, id],
    );
    return rows[0] && decodeConversation(rows[0]);
  }

  async getApiKeyByPrefix(prefix: string): Promise<ApiKeyRow | undefined> {
    return apiKeyByPrefix((text, values) => query(this.pool, text, values), prefix);
  }

  async listApiKeys(projectId: string): Promise<ApiKeyRow[]> {
    const { rows } = await query(
      this.pool,
      `SELECT ${API_KEY_SELECT} FROM api_keys WHERE project_id = $1 ORDER BY api_keys.created_at, id`,
      [projectId],
    );
    return rows.map(decodeApiKey);
  }

  async revokeApiKey(projectId: string, id: string, at: string): Promise<boolean> {
    // The NOTIFY is delivered when the statement commits: every instance's live feed hears it
    // and drops the key from its cache of verified keys (auth/api-key-cache.ts), including
    // for revocations made by the CLI.
    const { rows } = await query(
      this.pool,
      `WITH revoked AS (
         UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1)
          WHERE project_id = $2 AND id = $3 RETURNING id
       )
       SELECT pg_notify($4, id) FROM revoked`,
      [at, projectId, id, API_KEY_REVOCATIONS_CHANNEL],
    );
    const revoked = rows.length > 0;
    if (revoked) for (const listener of this.revocationListeners) listener(id);
    return revoked;
  }

  onApiKeyRevoked(listener: (keyId: string) => void): void {
    this.revocationListeners.push(listener);
  }

  externalCommits(): number {
    return 0;
  }

  async touchApiKey(id: string, at: string): Promise<void> {
    await query(this.pool, "UPDATE api_keys SET last_used_at = $1 WHERE id = $2", [at, id]);
  }

  async getOrCreateSecret(name: string, create: () => string): Promise<string> {
    const select = "SELECT value FROM secrets WHERE name = $1";
    const existing = (await query(this.pool, select, [name])).rows[0];
    if (existing) return existing.value as string;
    const inserted = await query(
      this.pool,
      "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value",
      [name, create()],
    );
    if (inserted.rows[0]) return inserted.rows[0].value as string;
    // Another instance created it meanwhile; ON CONFLICT waited for its commit, so it is visible.
    const winner = (await query(this.pool, select, [name])).rows[0];
    if (!winner) throw new Error(`Secret ${name} vanished while being created`);
    return winner.value as string;
  }

  async getWorker(projectId: string, id: string): Promise<WorkerRow | undefined> {
    const { rows } = await query(
      this.pool,
      `SELECT ${WORKER_SELECT} FROM workers WHERE project_id = $1 AND id = $2`,
      [projectId, id],
    );
    return rows[0] && decodeWorker(rows[0]);
  }

  async nextLeaseExpiry(claim: ClaimQuery): Promise<string | undefined> {
    const { rows } = await query(
      this.pool,
      `SELECT to_char(MIN(lease_expires_at) AT TIME ZONE 'UTC', ${ISO_FORMAT}) AS next
         FROM runs WHERE ${leasedConditions((n) => `$${n}`)}`,
      claimParams(claim),
    );
    return (rows[0]?.next as string | null | undefined) ?? undefined;
  }
}
