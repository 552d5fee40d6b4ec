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
 * Representation (see `migrations/001_runs.sql`):
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
 */
import pg from "pg";
import { conversationFramesWriter } from "../../conversations/frames-writer.ts";
import type { OwnerRecord } from "../../domain/agui/sequence.ts";
import type { AguiEvent } from "../../domain/agui/types.ts";
import { ChangeJournal } from "../changes.ts";
import {
  ACTIVE_STATUSES,
  claimableConditions,
  claimParams,
  decodeOwnerColumns,
  leasedConditions,
  ownerColumns,
  ownerIdColumn,
  patchColumns,
  RUN_COLUMNS,
  RUN_JSON_COLUMNS,
  runListQuery,
  WORKER_COLUMNS,
  workerPatchColumns,
} from "../columns.ts";
import {
  type ConversationFramesReads,
  conversationFramesReads,
  conversationFramesTx,
} from "../conversation-frames.ts";
import { StoreUnavailableError } from "../errors.ts";
import {
  type HumanInputReads,
  humanInputReads,
  humanInputTx,
  numberedPlaceholders,
  type SqlRunner,
} from "../human-input.ts";
import { type MigrationDriver, readMigrations, runMigrations } from "../migrator.ts";
import type { RetentionReads } from "../retention.ts";
import { StoredEventRow } from "../stored-event.ts";
import type {
  ApiKeyRow,
  ClaimQuery,
  ConversationRow,
  JsonObject,
  NewEvent,
  NewRun,
  RunFilter,
  RunPage,
  RunPatch,
  RunRow,
  RunStore,
  RunStoreTx,
  RunStoreTxOps,
  RunWrite,
  StoredEvent,
  WorkerPatch,
  WorkerRow,
} from "../types.ts";
import { type WebhookReads, webhookReads, webhookTx } from "../webhooks.ts";
import { postgresRetentionReads, postgresRetentionTx } from "./retention-ops.ts";

export interface PostgresStoreOptions {
  connectionString: string;
  /** Maximum number of pooled connections. */
  poolSize: number;
  /** Server-side limit for any one statement, in milliseconds (0: the server's setting). */
  statementTimeoutMs: number;
  /**
   * Told when an idle pooled connection fails (the server restarted, the network dropped it).
   * The pool has already discarded it; the next query opens a new one. Default: a process warning.
   */
  onIdleConnectionError?: (error: Error) => void;
}

type Row = Record<string, unknown>;
type Queryable = pg.Pool | pg.PoolClient | pg.Client;
/** Runs one statement on the connection a set of operations is bound to. */
type Exec = (text: string, values?: unknown[]) => Promise<pg.QueryResult<Row>>;

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

/** NOTIFY channel carrying the id of each revoked API key (heard by `live/postgres-feed.ts`). */
export const API_KEY_REVOCATIONS_CHANNEL = "runline_api_keys";

/** Advisory lock keys, as (namespace, lock) int4 pairs: 0x52554E4C is "RUNL". */
const LOCK_NAMESPACE = 0x52554e4c;
const MIGRATION_LOCK = 1;
const BOOTSTRAP_LOCK = 2;

/** How long to wait for a pooled connection (a free one, or a new one to open). */
const CONNECT_TIMEOUT_MS = 5_000;
/** Client-side allowance beyond statement_timeout before a silent connection is given up. */
const READ_TIMEOUT_MARGIN_MS = 5_000;
/** Lower bound for idle_in_transaction_session_timeout. */
const MIN_IDLE_IN_TRANSACTION_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// Column mapping

const ISO_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Selects a timestamptz column as the interface's ISO-8601 UTC string. */
const isoColumn = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', ${ISO_FORMAT}) AS ${column}`;
const jsonColumn = (column: string) => `${column}::text AS ${column}`;

const RUN_TIMESTAMP_COLUMNS = new Set<string>([
  "lease_expires_at",
  "created_at",
  "started_at",
  "finished_at",
]);
const RUN_BIGINT_COLUMNS = ["pk", "latest_event_id", "latest_external_event_sequence"] as const;

/** The select list that reads a runs row into the shape `decodeRun` expects. */
const RUN_SELECT = ["pk" as const, ...RUN_COLUMNS]
  .map((column) => {
    if (RUN_TIMESTAMP_COLUMNS.has(column)) return isoColumn(column);
    if (RUN_JSON_COLUMNS.has(column)) return jsonColumn(column);
    return column;
  })
  .join(", ");

const API_KEY_SELECT = [
  "id",
  "project_id",
  "name",
  "prefix",
  "secret_hash",
  "scopes",
  isoColumn("created_at"),
  isoColumn("revoked_at"),
  isoColumn("last_used_at"),
].join(", ");

const CONVERSATION_SELECT = [
  "project_id",
  "id",
  jsonColumn("metadata"),
  isoColumn("created_at"),
].join(", ");

const WORKER_SELECT = WORKER_COLUMNS.map((column) => {
  if (column === "last_heartbeat_at" || column === "created_at") return isoColumn(column);
  if (column === "metadata") return jsonColumn(column);
  return column;
}).join(", ");

/**
 * Ids every JSON serialiser writes literally (printable ASCII, no quote, backslash or slash):
 * their quoted form can be searched for in an event's text.
 */
function isPlainId(id: string): boolean {
  return /^[\x20-\x7e]*$/.test(id) && !/["\\/]/.test(id);
}

const ACTIVE_LIST = ACTIVE_STATUSES.map((s) => `'${s}'`).join(", ");

/** A bigint as a JS number; refuses values a number cannot hold exactly. */
function toNumber(value: unknown): number {
  const number = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new Error(`Integer value ${String(value)} is outside JavaScript's safe range`);
  }
  return number;
}

function parseJson(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : null;
}

function encodeJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function encodeRunValue(column: keyof RunRow, value: unknown): unknown {
  if (RUN_JSON_COLUMNS.has(column)) return encodeJson(value);
  return value ?? null;
}

function decodeRun(row: Row): RunRow {
  const run: Row = { ...row };
  for (const column of RUN_BIGINT_COLUMNS) run[column] = toNumber(row[column]);
  for (const column of RUN_JSON_COLUMNS) run[column] = parseJson(row[column]);
  return run as unknown as RunRow;
}

function decodeConversation(row: Row): ConversationRow {
  return {
    ...(row as unknown as ConversationRow),
    metadata: parseJson(row.metadata) as JsonObject | null,
  };
}

function decodeApiKey(row: Row): ApiKeyRow {
  return row as unknown as ApiKeyRow;
}

function decodeWorker(row: Row): WorkerRow {
  return {
    ...(row as unknown as WorkerRow),
    metadata: parseJson(row.metadata) as JsonObject | null,
  };
}

function encodeWorkerValue(column: keyof WorkerRow, value: unknown): unknown {
  return column === "metadata" ? encodeJson(value) : (value ?? null);
}

/** Owner records as three parallel arrays of their columns (for `unnest`). */
function ownerArrays(owners: readonly OwnerRecord[]): [string[], string[], string[]] {
  const columns = owners.map(ownerColumns);
  return [columns.map((c) => c.id), columns.map((c) => c.kind), columns.map((c) => c.owner)];
}

/** The INSERT … SELECT source of a batch of events bound at `$first` … `$first+4`. */
const eventsSource = (first: number) =>
  `unnest($${first}::bigint[], $${first + 1}::text[], $${first + 2}::bigint[], $${first + 3}::json[], $${first + 4}::timestamptz[])
     AS batch (event_id, event_type, external_seq, data, created_at)`;

function eventArrays(events: readonly NewEvent[]): unknown[] {
  return [
    events.map((e) => e.event_id),
    events.map((e) => e.event_type),
    events.map((e) => e.external_seq),
    events.map((e) => e.json),
    events.map((e) => e.created_at),
  ];
}

const UPSERT_OWNERS_CONFLICT =
  "ON CONFLICT (run_pk, id, kind) DO UPDATE SET owner = EXCLUDED.owner";

function decodeEvent(row: Row): AguiEvent {
  return JSON.parse(row.data as string) as AguiEvent;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** SQLSTATE classes meaning the database cannot serve us right now. */
const UNAVAILABLE_SQLSTATE_CLASSES = [
  "08", // connection exception
  "53", // insufficient resources: too many connections, disk full, out of memory
];
const UNAVAILABLE_SQLSTATES = new Set([
  "57P01", // admin_shutdown: terminated by an administrator or a fast shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up, in recovery
  "57P05", // idle_session_timeout
  "57014", // query_canceled: statement_timeout elapsed (overloaded) or cancelled by an operator
  "25P03", // idle_in_transaction_session_timeout: the server ended the session
  "58000", // system_error
  "58030", // io_error
]);
/** Node socket and DNS errors. */
const UNAVAILABLE_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** Errors node-postgres raises without a code when a connection fails or is unusable. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect$/, // pool: no connection within connectionTimeoutMillis
  /^timeout expired$/,
  /^Query read timeout$/,
  /is not queryable$/, // a client whose connection failed or was closed
  /^Cannot use a pool after calling end on the pool$/, // the store is closing
];

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof StoreUnavailableError) return true;
  if (error instanceof AggregateError && error.errors.some(isUnavailable)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (UNAVAILABLE_ERRNOS.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (code.length === 5 && UNAVAILABLE_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return true;
  }
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** `error` as a StoreUnavailableError when it means the database is unreachable, else unchanged. */
function toStoreError(error: unknown, during?: string): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
  return new StoreUnavailableError(
    `PostgreSQL is unavailable${during ? ` (${during})` : ""}: ${describe(error)}`,
    { cause: error },
  );
}

/** A readable reason, also for Node's AggregateError (one connection attempt per address). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  if (error instanceof AggregateError) return error.errors.map(describe).join("; ");
  return String((error as { code?: unknown }).code ?? error.name);
}

async function query(
  db: Queryable,
  text: string,
  values?: unknown[],
): Promise<pg.QueryResult<Row>> {
  try {
    return await db.query<Row>(text, values);
  } catch (error) {
    throw toStoreError(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Migrations

/**
 * The migration runner's hold on a dedicated connection (`store/migrator.ts` has the rules):
 * the advisory lock makes instances starting together take turns, and each migration commits
 * with its record or not at all.
 */
export function postgresMigrationDriver(client: pg.Client): MigrationDriver {
  return {
    async withLock(fn) {
      await query(client, "SELECT pg_advisory_lock($1, $2)", [LOCK_NAMESPACE, MIGRATION_LOCK]);
      try {
        return await fn();
      } finally {
        // On a broken connection this fails, but ending the session releases the lock anyway.
        await client
          .query("SELECT pg_advisory_unlock($1, $2)", [LOCK_NAMESPACE, MIGRATION_LOCK])
          .catch(() => undefined);
      }
    },
    async ensureTable() {
      await query(
        client,
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version     integer PRIMARY KEY,
           name        text NOT NULL,
           applied_at  timestamptz NOT NULL DEFAULT now()
         )`,
      );
    },
    async appliedVersions() {
      const { rows } = await query(client, "SELECT version FROM schema_migrations");
      return rows.map((r) => toNumber(r.version));
    },
    async apply(migration) {
      await query(client, "BEGIN");
      try {
        await query(client, migration.sql);
        await query(client, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
          migration.version,
          migration.name,
        ]);
        await commit(client);
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------

export class PostgresStore implements RunStore {
  readonly changes = new ChangeJournal();
  readonly dialect = "postgres" as const;
  private readonly pool: pg.Pool;
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
    const { rows } = await query(
      this.pool,
      `SELECT ${RUN_SELECT} FROM runs WHERE project_id = $1 AND run_id = $2 AND deleted_at IS NULL`,
      [projectId, runId],
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
    const { rows } = await query(
      this.pool,
      `SELECT ${RUN_SELECT},
              (SELECT json_agg(json_build_object('id', o.id, 'kind', o.kind, 'owner', o.owner))
                 FROM run_owners o
                WHERE o.run_pk = runs.pk AND o.id = ANY ($3::text[]))::text AS owner_records
         FROM runs WHERE project_id = $1 AND run_id = $2 AND deleted_at IS NULL`,
      [projectId, runId, ownerIds.map(ownerIdColumn)],
    );
    const row = rows[0];
    if (!row) return undefined;
    const { owner_records: records, ...runRow } = row;
    const owners = ((parseJson(records) as Row[] | null) ?? []).map(decodeOwnerColumns);
    return { run: decodeRun(runRow), owners };
  }

  async appendToRun(write: RunWrite): Promise<boolean> {
    // The whole append as ONE statement in its own (implicit) transaction: one round trip.
    // `run` is the guarded update (compare-and-set): under READ COMMITTED a concurrent writer
    // of the same row makes it wait, then re-check its WHERE against the new row version, so
    // a lost race updates nothing. The inserts read from `run`, so they write nothing then
    // either. Later additions to an append (counters, other tables) belong here as further
    // CTEs reading from `run`.
    //
    // Conversation frames (docs/api.md §8): `stream` bumps the conversation's frame counter by the
    // batch size and `frames` numbers the events with the ids it reserved. The counter row is
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
    const eventIds = `$${firstEventParam}::bigint[]`;
    const count = param(write.events.length);
    const { rows } = await query(
      this.pool,
      `WITH run AS (
         UPDATE runs SET ${assignments} WHERE ${guard}
         RETURNING pk, project_id, conversation_id
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
         INSERT INTO conversation_frames (stream_pk, frame_id, run_pk, event_id)
         SELECT stream.pk, stream.latest_frame_id - ${count}::bigint + e.ord, run.pk, e.event_id
           FROM run, stream, unnest(${eventIds}) WITH ORDINALITY AS e (event_id, ord)
       )
       SELECT run.project_id, stream.pk AS stream_pk, stream.latest_frame_id
         FROM run LEFT JOIN stream ON true`,
      values,
    );
    const row = rows[0];
    if (!row) return false;
    if (row.stream_pk !== null && row.stream_pk !== undefined) {
      // Told once committed (this statement's own transaction has committed by now).
      const position = {
        projectId: row.project_id as string,
        streamPk: toNumber(row.stream_pk),
        latestFrameId: toNumber(row.latest_frame_id),
      };
      this.changes.announceFrames([position]);
    }
    return true;
  }

  async listRuns(filter: RunFilter, page: RunPage): Promise<RunRow[]> {
    const { sql, params } = runListQuery(filter, page, (n) => `$${n}`);
    const prefix = "SELECT * FROM runs ";
    if (!sql.startsWith(prefix)) throw new Error(`Unexpected run listing query: ${sql}`);
    const text = `SELECT ${RUN_SELECT} FROM runs ${sql.slice(prefix.length)}`;
    return (await query(this.pool, text, params)).rows.map(decodeRun);
  }

  async readEvents(runPk: number, afterEventId: number, limit: number): Promise<StoredEvent[]> {
    const { rows } = await query(
      this.pool,
      `SELECT event_id, event_type, data::text AS data, ${isoColumn("created_at")}
         FROM run_events
        WHERE run_pk = $1 AND event_id > $2
        ORDER BY event_id
        LIMIT $3`,
      [runPk, afterEventId, limit],
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

/** COMMIT, making sure it committed: on a failed transaction PostgreSQL answers ROLLBACK. */
async function commit(client: pg.PoolClient | pg.Client): Promise<void> {
  let result: pg.QueryResult<Row>;
  try {
    result = await client.query<Row>("COMMIT");
  } catch (error) {
    // If the connection was lost, whether the transaction committed is unknown.
    throw toStoreError(error, "during COMMIT: the transaction's outcome is unknown");
  }
  if (result.command !== "COMMIT") {
    throw new Error(
      `COMMIT was answered with ${result.command}: a statement in the transaction failed and ` +
        "the error was caught without aborting the transaction; nothing was written",
    );
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

async function apiKeyByPrefix(exec: Exec, prefix: string): Promise<ApiKeyRow | undefined> {
  const { rows } = await exec(`SELECT ${API_KEY_SELECT} FROM api_keys WHERE prefix = $1`, [prefix]);
  return rows[0] && decodeApiKey(rows[0]);
}

/** Shared SQL (`?` placeholders) run through `exec`. */
function sqlRunner(exec: Exec): SqlRunner {
  return async (sql, params) => (await exec(numberedPlaceholders(sql), [...params])).rows;
}

/** The operations of one transaction, every statement run through `exec` on its connection. */
function transactionOps(exec: Exec): RunStoreTxOps {
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
