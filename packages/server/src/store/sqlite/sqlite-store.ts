/**
 * The embedded default store: one SQLite file in WAL mode through better-sqlite3.
 *
 * Two connections: a writer, on which transactions run one at a time (SQLite has one writer
 * anyway; a queue keeps async callers from interleaving inside a transaction, and commits them
 * in groups — see `transaction`), and a
 * reader, which sees only committed data and is never blocked by the writer (WAL).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
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
  type SqlRunner,
} from "../human-input.ts";
import { readMigrations, runMigrations } from "../migrator.ts";
import type { RetentionReads } from "../retention.ts";
import { StoredEventRow } from "../stored-event.ts";
import type {
  ApiKeyRow,
  ClaimQuery,
  ConversationRow,
  LogPosition,
  NewEvent,
  NewRun,
  ProjectRow,
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
import { sqliteMigrationDriver } from "./migrate.ts";
import {
  ensureIncrementalVacuum,
  sqliteRetentionReads,
  sqliteRetentionTx,
} from "./retention-ops.ts";

export interface SqliteStoreOptions {
  /** Path of the database file (its directory is created), or ":memory:" is NOT supported (two connections). */
  file: string;
  synchronous: "NORMAL" | "FULL";
}

type Row = Record<string, unknown>;

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

function encodeRun(run: NewRun): Row {
  const row: Row = {};
  for (const column of RUN_COLUMNS) {
    const value = run[column];
    row[column] = RUN_JSON_COLUMNS.has(column) && value !== null ? JSON.stringify(value) : value;
  }
  return row;
}

function decodeRun(row: Row): RunRow {
  // `deleted_at` (§9) only ever selects which rows are visible: it is not part of a run.
  const { deleted_at: _deleted, ...run } = row as Record<string, unknown>;
  for (const column of RUN_JSON_COLUMNS) {
    const value = run[column];
    run[column] = typeof value === "string" ? JSON.parse(value) : null;
  }
  return run as unknown as RunRow;
}

/** Owner records of the (encoded) ids in the JSON array bound second (one statement for any number). */
const SELECT_OWNERS =
  "SELECT id, kind, owner FROM run_owners WHERE run_pk = ? AND id IN (SELECT value FROM json_each(?))";

/** The JSON array of encoded ids bound to `SELECT_OWNERS`. */
const ownerIdList = (ids: readonly string[]): string => JSON.stringify(ids.map(ownerIdColumn));

function decodeApiKey(row: Row): ApiKeyRow {
  return { ...(row as unknown as ApiKeyRow), scopes: JSON.parse(row.scopes as string) };
}

function decodeConversation(row: Row): ConversationRow {
  return {
    ...(row as unknown as ConversationRow),
    metadata: typeof row.metadata === "string" ? JSON.parse(row.metadata) : null,
  };
}

function decodeWorker(row: Row): WorkerRow {
  return {
    ...(row as unknown as WorkerRow),
    metadata: typeof row.metadata === "string" ? JSON.parse(row.metadata) : null,
  };
}

function encodeWorkerValue(column: keyof WorkerRow, value: unknown): unknown {
  return column === "metadata" && value !== null && value !== undefined
    ? JSON.stringify(value)
    : value;
}

/** Rows per multi-row INSERT (6 parameters each, well under SQLite's parameter limit). */
const MAX_ROWS_PER_INSERT = 100;

/** Most transactions one group commit carries. */
const MAX_GROUP = 256;

/**
 * How long one group may run before it commits and lets the event loop turn (milliseconds; the
 * transaction running when it elapses finishes first). Keeps event-loop delay bounded under a
 * backlog of big batches, where 256 transactions could take far longer.
 */
const GROUP_BUDGET_MS = 10;

interface PendingTransaction {
  fn: (tx: RunStoreTxOps) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** SQLite result codes that mean "storage is unusable right now", not "your request is wrong". */
const UNAVAILABLE = /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/;

/** Storage faults become StoreUnavailableError (503); everything else stays as it is. */
function storeError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNAVAILABLE.test(code)) {
    return new StoreUnavailableError(`SQLite storage unavailable: ${code}`, { cause: error });
  }
  return error;
}

const ACTIVE_LIST = ACTIVE_STATUSES.map((s) => `'${s}'`).join(", ");

/** See `RunStoreTx.releasableQueuedRun` (parameters: project, conversation). */
const RELEASABLE_QUEUED_RUN = `SELECT * FROM runs q
  WHERE q.project_id = ? AND q.conversation_id = ? AND q.run_id = q.root_run_id
    AND q.queued_behind IS NOT NULL AND q.deleted_at IS NULL AND q.status IN (${ACTIVE_LIST})
    AND NOT EXISTS (
      SELECT 1 FROM runs a
       WHERE a.project_id = q.project_id AND a.conversation_id = q.conversation_id
         AND a.run_id = a.root_run_id AND a.pk < q.pk AND a.deleted_at IS NULL
         AND a.status IN (${ACTIVE_LIST}))
  ORDER BY q.pk LIMIT 1`;

export class SqliteStore implements RunStore {
  readonly dialect = "sqlite" as const;
  private readonly writer: Database.Database;
  private reader: Database.Database | undefined;
  private readonly pending: PendingTransaction[] = [];
  private draining = false;
  private drained: Promise<void> = Promise.resolve();
  private readonly updateStatements = new Map<string, Database.Statement>();
  private txOps: RunStoreTxOps | undefined;
  private control: TransactionControl | undefined;
  private dataVersion: Database.Statement | undefined;
  readonly changes = new ChangeJournal();
  private readonly revocationListeners: ((keyId: string) => void)[] = [];
  readonly retention: RetentionReads = sqliteRetentionReads(
    () => this.read(),
    () => this.writer,
    (fn) => this.transaction(async () => fn()),
  );
  readonly humanInput: HumanInputReads = humanInputReads(
    statementRunner((sql) => this.readStatement(sql)),
  );
  readonly conversationFrames: ConversationFramesReads = conversationFramesReads(
    statementRunner((sql) => this.readStatement(sql)),
    "e.data",
  );
  readonly webhooks: WebhookReads = webhookReads(statementRunner((sql) => this.readStatement(sql)));

  constructor(private readonly options: SqliteStoreOptions) {
    mkdirSync(join(options.file, ".."), { recursive: true });
    this.writer = new Database(options.file);
    // Before the first table exists (new files): lets the sweeper return free pages (§9).
    this.writer.pragma("auto_vacuum = INCREMENTAL");
    this.writer.pragma("journal_mode = WAL");
    this.writer.pragma(`synchronous = ${options.synchronous}`);
    this.writer.pragma("foreign_keys = ON");
    this.writer.pragma("busy_timeout = 5000");
    // Conversation-stream frames (docs/api.md §8) commit with whatever made them.
    this.changes.addWriter(conversationFramesWriter(this.changes));
  }

  async migrate(): Promise<void> {
    const db = this.writer;
    ensureIncrementalVacuum(db);
    await runMigrations(sqliteMigrationDriver(db), await readMigrations(MIGRATIONS_DIR));
  }

  async close(): Promise<void> {
    await this.drained;
    this.reader?.close();
    this.writer.close();
  }

  async ping(): Promise<void> {
    this.read().prepare("SELECT 1").get();
  }

  /**
   * Group commit: transactions queued while one group runs share the next `BEGIN … COMMIT`,
   * each inside its own savepoint (a failing one is rolled back alone), and all are answered
   * after that single COMMIT — one fsync for many appends. The event loop gets a turn between
   * groups, so a backlog of commits never starves I/O.
   */
  transaction<T>(fn: (tx: RunStoreTx) => Promise<T>): Promise<T> {
    return this.changes.transaction((body) => this.enqueue(body), fn);
  }

  private enqueue<T>(fn: (tx: RunStoreTxOps) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        fn,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      if (!this.draining) {
        // Start on the next turn: requests read in this I/O phase join the same group.
        this.draining = true;
        this.drained = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
          this.drain(),
        );
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        await this.runGroup();
        // Timers, socket reads, SSE writes and heartbeats run here, between groups.
        if (this.pending.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      // Runs in the same turn as the loop's last check: no transaction can slip in between.
      this.draining = false;
    }
  }

  /**
   * One group: queued transactions (including ones queued meanwhile) until `MAX_GROUP` ran or
   * `GROUP_BUDGET_MS` passed, then COMMIT. better-sqlite3 is synchronous, so a group holds the
   * event loop from BEGIN to COMMIT: the budget is what keeps that short under any backlog.
   */
  private async runGroup(): Promise<void> {
    const db = this.writer;
    this.control ??= transactionControl(db);
    const control = this.control;
    try {
      control.begin.run();
    } catch (error) {
      for (const t of this.pending.splice(0, MAX_GROUP)) t.reject(storeError(error));
      return;
    }
    const started = performance.now();
    const done: { t: PendingTransaction; value: unknown }[] = [];
    const failed: { t: PendingTransaction; error: unknown }[] = [];
    for (let ran = 0; ran < MAX_GROUP && performance.now() - started < GROUP_BUDGET_MS; ran++) {
      const t = this.pending.shift();
      if (!t) break;
      control.savepoint.run();
      try {
        this.txOps ??= this.createTx();
        const value = await t.fn(this.txOps);
        control.release.run();
        done.push({ t, value });
      } catch (error) {
        if (!db.inTransaction) {
          // SQLite rolled the whole transaction back (disk full, I/O error): nothing of this
          // group is committed. Fail what ran; what did not run yet stays queued.
          for (const ran of [...done, ...failed]) ran.t.reject(storeError(error));
          t.reject(storeError(error));
          return;
        }
        control.rollbackTo.run();
        control.release.run();
        failed.push({ t, error: storeError(error) });
      }
    }
    try {
      control.commit.run();
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      for (const { t } of [...done, ...failed]) t.reject(storeError(error));
      return;
    }
    for (const { t, value } of done) t.resolve(value);
    for (const { t, error } of failed) t.reject(error);
  }

  /** The read connection, opened lazily (after migrations created the file's WAL index). */
  private read(): Database.Database {
    if (!this.reader) {
      this.reader = new Database(this.options.file, { readonly: true, fileMustExist: true });
      this.reader.pragma("busy_timeout = 5000");
    }
    return this.reader;
  }

  private readonly readStatements = new Map<string, Database.Statement>();
  private readonly writerReadStatements = new Map<string, Database.Statement>();

  /**
   * A prepared statement for a committed read. While no transaction is open on the writer it
   * runs there: the writer made every recent commit, so its page cache is current, whereas the
   * reader's whole cache is invalidated by each of them (the profile of 1-event appends showed
   * a point read of the run costing several times more on the reader). While a group is open on
   * the writer (another request's microtask interleaving with it), the reader keeps uncommitted
   * rows out of sight. Both see exactly what has committed.
   */
  private readStatement(sql: string, raw = false): Database.Statement {
    const onWriter = !this.writer.inTransaction;
    const cache = onWriter ? this.writerReadStatements : this.readStatements;
    const key = raw ? `raw:${sql}` : sql;
    let statement = cache.get(key);
    if (!statement) {
      statement = (onWriter ? this.writer : this.read()).prepare(sql);
      // Rows as arrays: no object with named properties per row (half the cost of a log page).
      if (raw) statement.raw(true);
      cache.set(key, statement);
    }
    return statement;
  }

  async getRun(projectId: string, runId: string): Promise<RunRow | undefined> {
    const row = this.readStatement(
      "SELECT * FROM runs WHERE project_id = ? AND run_id = ? AND deleted_at IS NULL",
    ).get(projectId, runId) as Row | undefined;
    return row ? decodeRun(row) : undefined;
  }

  async getRunForAppend(
    projectId: string,
    runId: string,
    ownerIds: readonly string[],
  ): Promise<{ run: RunRow; owners: OwnerRecord[] } | undefined> {
    // Two statements on the reader, run back to back in one turn: no commit (all on this
    // thread) can land between them.
    const row = this.readStatement(
      "SELECT * FROM runs WHERE project_id = ? AND run_id = ? AND deleted_at IS NULL",
    ).get(projectId, runId) as Row | undefined;
    if (!row) return undefined;
    const owners =
      ownerIds.length === 0
        ? []
        : (this.readStatement(SELECT_OWNERS).all(row.pk, ownerIdList(ownerIds)) as Row[]).map(
            decodeOwnerColumns,
          );
    return { run: decodeRun(row), owners };
  }

  async appendToRun(write: RunWrite): Promise<RunRow | undefined> {
    return this.transaction(async (tx) => {
      // The guarded UPDATE first: when the run moved on since it was read, nothing is written.
      const columns = patchColumns(write.patch);
      const { expected } = write;
      const row = this.guardedUpdateStatement(columns).get(
        ...columns.map((c) => encodeValue(c, write.patch[c])),
        write.runPk,
        expected.latest_event_id,
        expected.status,
        expected.lease_owner,
        expected.lease_expires_at,
      ) as Row | undefined;
      if (!row) return undefined;
      await tx.insertEvents(write.runPk, write.events);
      await tx.putOwners(write.runPk, write.owners);
      return decodeRun(row);
    });
  }

  async listRuns(filter: RunFilter, page: RunPage): Promise<RunRow[]> {
    const { sql, params } = runListQuery(filter, page, () => "?");
    return (this.readStatement(sql).all(...params) as Row[]).map(decodeRun);
  }

  async readEvents(runPk: number, afterEventId: number, limit: number): Promise<StoredEvent[]> {
    const rows = this.readStatement(
      "SELECT event_id, event_type, data, created_at FROM run_events WHERE run_pk = ? AND event_id > ? ORDER BY event_id LIMIT ?",
      true,
    ).all(runPk, afterEventId, limit) as [number, string, string, string][];
    return rows.map((r) => new StoredEventRow(r[0], r[1], r[2], r[3]));
  }

  async getConversation(projectId: string, id: string): Promise<ConversationRow | undefined> {
    const row = this.readStatement(
      "SELECT * FROM conversations WHERE project_id = ? AND id = ?",
    ).get(projectId, id) as Row | undefined;
    return row ? decodeConversation(row) : undefined;
  }

  async getApiKeyByPrefix(prefix: string): Promise<ApiKeyRow | undefined> {
    const row = this.readStatement("SELECT * FROM api_keys WHERE prefix = ?").get(prefix) as
      | Row
      | undefined;
    return row ? decodeApiKey(row) : undefined;
  }

  async listApiKeys(projectId: string): Promise<ApiKeyRow[]> {
    return (
      this.readStatement("SELECT * FROM api_keys WHERE project_id = ? ORDER BY created_at, id").all(
        projectId,
      ) as Row[]
    ).map(decodeApiKey);
  }

  async revokeApiKey(projectId: string, id: string, at: string): Promise<boolean> {
    const revoked = await this.transaction(async () => {
      const result = this.writer
        .prepare(
          "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE project_id = ? AND id = ?",
        )
        .run(at, projectId, id);
      return result.changes > 0;
    });
    if (revoked) for (const listener of this.revocationListeners) listener(id);
    return revoked;
  }

  onApiKeyRevoked(listener: (keyId: string) => void): void {
    this.revocationListeners.push(listener);
  }

  externalCommits(): number {
    // Asked on every authenticated request (the API-key cache): prepared once.
    this.dataVersion ??= this.writer.prepare("PRAGMA data_version").pluck();
    return this.dataVersion.get() as number;
  }

  async touchApiKey(id: string, at: string): Promise<void> {
    await this.transaction(async () => {
      this.writer.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(at, id);
    });
  }

  async getOrCreateSecret(name: string, create: () => string): Promise<string> {
    return this.transaction(async () => {
      this.writer
        .prepare("INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
        .run(name, create());
      return (
        this.writer.prepare("SELECT value FROM secrets WHERE name = ?").get(name) as {
          value: string;
        }
      ).value;
    });
  }

  async getWorker(projectId: string, id: string): Promise<WorkerRow | undefined> {
    const row = this.readStatement("SELECT * FROM workers WHERE project_id = ? AND id = ?").get(
      projectId,
      id,
    ) as Row | undefined;
    return row ? decodeWorker(row) : undefined;
  }

  async nextLeaseExpiry(query: ClaimQuery): Promise<string | undefined> {
    const row = this.readStatement(
      `SELECT MIN(lease_expires_at) AS next FROM runs WHERE ${leasedConditions(() => "?")}`,
    ).get(...claimParams(query)) as { next: string | null };
    return row.next ?? undefined;
  }

  private createTx(): RunStoreTxOps {
    const db = this.writer;
    // A run marked deleted (§9) is gone for every operation; its tombstone answers instead.
    const selectRun = db.prepare(
      "SELECT * FROM runs WHERE project_id = ? AND run_id = ? AND deleted_at IS NULL",
    );
    const insertRun = db.prepare(
      `INSERT INTO runs (${RUN_COLUMNS.join(", ")}) VALUES (${RUN_COLUMNS.map((c) => `@${c}`).join(", ")})
       ON CONFLICT (project_id, run_id) DO NOTHING RETURNING *`,
    );
    // One multi-row INSERT per batch (statements cached by row count).
    const insertEventsStatements = new Map<number, Database.Statement>();
    const insertEventsStatement = (rows: number): Database.Statement => {
      let statement = insertEventsStatements.get(rows);
      if (!statement) {
        statement = db.prepare(
          `INSERT INTO run_events (run_pk, event_id, event_type, external_seq, data, created_at) VALUES ${Array(rows).fill("(?, ?, ?, ?, ?, ?)").join(", ")}`,
        );
        insertEventsStatements.set(rows, statement);
      }
      return statement;
    };
    const externalAfterId = db.prepare(
      "SELECT data FROM run_events WHERE run_pk = ? AND event_id > ? AND external_seq IS NOT NULL ORDER BY event_id LIMIT ?",
    );
    const externalAfterSeq = db.prepare(
      "SELECT data FROM run_events WHERE run_pk = ? AND external_seq > ? ORDER BY external_seq LIMIT ?",
    );
    const selectOwners = db.prepare(SELECT_OWNERS);
    const upsertOwner = db.prepare(
      `INSERT INTO run_owners (run_pk, id, kind, owner) VALUES (?, ?, ?, ?)
       ON CONFLICT (run_pk, id, kind) DO UPDATE SET owner = excluded.owner`,
    );
    const toolCallResult = db.prepare(
      `SELECT data FROM run_events WHERE run_pk = ? AND event_type = 'TOOL_CALL_RESULT'
         AND json_extract(data, '$.toolCallId') = ? ORDER BY event_id DESC LIMIT 1`,
    );
    const activeDescendants = db.prepare(
      `WITH RECURSIVE tree (run_id) AS (
         SELECT run_id FROM runs WHERE project_id = @project AND parent_run_id = @run
         UNION
         SELECT r.run_id FROM runs r JOIN tree t ON r.project_id = @project AND r.parent_run_id = t.run_id
       )
       SELECT * FROM runs WHERE project_id = @project AND run_id IN (SELECT run_id FROM tree)
         AND status IN (${ACTIVE_LIST}) ORDER BY pk`,
    );
    const insertConversation = db.prepare(
      "INSERT INTO conversations (project_id, id, metadata, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    );
    const selectConversation = db.prepare(
      "SELECT * FROM conversations WHERE project_id = ? AND id = ?",
    );
    const firstProject = db.prepare("SELECT id FROM projects ORDER BY created_at, id LIMIT 1");
    const allProjects = db.prepare(
      "SELECT id, name, created_at FROM projects ORDER BY created_at, id",
    );
    const insertProject = db.prepare(
      "INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)",
    );
    const insertApiKey = db.prepare(
      `INSERT INTO api_keys (id, project_id, name, prefix, secret_hash, scopes, created_at, revoked_at, last_used_at)
       VALUES (@id, @project_id, @name, @prefix, @secret_hash, @scopes, @created_at, @revoked_at, @last_used_at)`,
    );
    const selectApiKey = db.prepare("SELECT * FROM api_keys WHERE prefix = ?");
    const claimable = db.prepare(
      `SELECT * FROM runs WHERE ${claimableConditions(() => "?")} ORDER BY pk LIMIT 1`,
    );
    const insertWorker = db.prepare(
      `INSERT INTO workers (${WORKER_COLUMNS.join(", ")}) VALUES (${WORKER_COLUMNS.map((c) => `@${c}`).join(", ")})
       ON CONFLICT (project_id, implementation_kind, worker_key) DO NOTHING`,
    );
    /** Worker UPDATE statements by the patch's column list. */
    const workerUpdates = new Map<string, Database.Statement>();
    const selectWorkerByKey = db.prepare(
      "SELECT * FROM workers WHERE project_id = ? AND implementation_kind = ? AND worker_key = ?",
    );

    const writeStatements = new Map<string, Database.Statement>();
    const writeRunner = statementRunner((sql) => {
      let statement = writeStatements.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        writeStatements.set(sql, statement);
      }
      return statement;
    });
    const humanInput = humanInputTx(writeRunner);
    const conversationFrames = conversationFramesTx(writeRunner, "sqlite");
    const activeRoots = db.prepare(
      `SELECT * FROM runs WHERE project_id = ? AND conversation_id = ? AND run_id = root_run_id
         AND deleted_at IS NULL AND status IN (${ACTIVE_LIST}) ORDER BY pk`,
    );
    const releasable = db.prepare(RELEASABLE_QUEUED_RUN);

    return {
      retention: sqliteRetentionTx(db),
      humanInput,
      conversationFrames,
      lockConversation: async () => {
        // BEGIN IMMEDIATE already holds SQLite's single write lock.
      },
      activeRootRuns: async (projectId, conversationId) =>
        (activeRoots.all(projectId, conversationId) as Row[]).map(decodeRun),
      releasableQueuedRun: async (projectId, conversationId) => {
        const row = releasable.get(projectId, conversationId) as Row | undefined;
        return row ? decodeRun(row) : undefined;
      },
      // One writer: a claim needs no row locks.
      webhooks: webhookTx(writeRunner, ""),
      getRunForUpdate: async (projectId, runId) => {
        const row = selectRun.get(projectId, runId) as Row | undefined;
        return row ? decodeRun(row) : undefined;
      },
      insertRun: async (run) => {
        const row = insertRun.get(encodeRun(run)) as Row | undefined;
        return row ? decodeRun(row) : undefined;
      },
      updateRun: async (pk, patch) => {
        const columns = patchColumns(patch);
        if (columns.length === 0) return;
        this.updateStatement(columns).run(...columns.map((c) => encodeValue(c, patch[c])), pk);
      },
      insertEvents: async (runPk, events: readonly NewEvent[]) => {
        for (let i = 0; i < events.length; i += MAX_ROWS_PER_INSERT) {
          const chunk = events.slice(i, i + MAX_ROWS_PER_INSERT);
          insertEventsStatement(chunk.length).run(
            chunk.flatMap((e) => [
              runPk,
              e.event_id,
              e.event_type,
              e.external_seq,
              e.json,
              e.created_at,
            ]),
          );
        }
      },
      externalEventsAfter: async (runPk, position: LogPosition, limit) => {
        const rows = (
          "afterEventId" in position
            ? externalAfterId.all(runPk, position.afterEventId, limit)
            : externalAfterSeq.all(runPk, position.afterExternalSeq, limit)
        ) as { data: string }[];
        return rows.map((r) => JSON.parse(r.data) as AguiEvent);
      },
      getOwners: async (runPk, ids) =>
        ids.length === 0
          ? []
          : (selectOwners.all(runPk, ownerIdList(ids)) as Row[]).map(decodeOwnerColumns),
      putOwners: async (runPk, owners) => {
        for (const record of owners) {
          const { id, kind, owner } = ownerColumns(record);
          upsertOwner.run(runPk, id, kind, owner);
        }
      },
      findToolCallResult: async (runPk, toolCallId) => {
        const row = toolCallResult.get(runPk, toolCallId) as { data: string } | undefined;
        return row ? (JSON.parse(row.data) as AguiEvent) : undefined;
      },
      listActiveRunsInTree: async (projectId, runId) =>
        (activeDescendants.all({ project: projectId, run: runId }) as Row[]).map(decodeRun),
      ensureConversation: async (conversation: ConversationRow) => {
        const result = insertConversation.run(
          conversation.project_id,
          conversation.id,
          conversation.metadata === null ? null : JSON.stringify(conversation.metadata),
          conversation.created_at,
        );
        const row = selectConversation.get(conversation.project_id, conversation.id) as Row;
        // Its stream exists from the start: followers can subscribe before the first run.
        if (result.changes > 0) {
          await conversationFrames.ensureStream(conversation.project_id, conversation.id);
        }
        return { conversation: decodeConversation(row), created: result.changes > 0 };
      },
      lockBootstrap: async () => {
        // BEGIN IMMEDIATE already holds SQLite's single write lock.
      },
      firstProjectId: async () => (firstProject.get() as { id: string } | undefined)?.id,
      listProjects: async () => allProjects.all() as ProjectRow[],
      insertProject: async (project: ProjectRow) => {
        insertProject.run(project.id, project.name, project.created_at);
      },
      insertApiKey: async (key: ApiKeyRow) => {
        insertApiKey.run({ ...key, scopes: JSON.stringify(key.scopes) });
      },
      getApiKeyByPrefix: async (prefix) => {
        const row = selectApiKey.get(prefix) as Row | undefined;
        return row ? decodeApiKey(row) : undefined;
      },
      claimableRunForUpdate: async (query) => {
        // BEGIN IMMEDIATE holds SQLite's one write lock: no other claim runs meanwhile.
        const row = claimable.get(...claimParams(query)) as Row | undefined;
        return row ? decodeRun(row) : undefined;
      },
      ensureWorker: async (worker) => {
        const encoded: Row = {};
        for (const column of WORKER_COLUMNS) {
          encoded[column] = encodeWorkerValue(column, worker[column]);
        }
        const created = insertWorker.run(encoded).changes > 0;
        const row = selectWorkerByKey.get(
          worker.project_id,
          worker.implementation_kind,
          worker.worker_key,
        ) as Row;
        return { worker: decodeWorker(row), created };
      },
      updateWorker: async (projectId, id, patch: WorkerPatch) => {
        const columns = workerPatchColumns(patch);
        const key = columns.join(",");
        let statement = workerUpdates.get(key);
        if (!statement) {
          const assignments = columns.map((c) => `${c} = ?`).join(", ");
          statement = db.prepare(
            columns.length === 0
              ? "SELECT * FROM workers WHERE project_id = ? AND id = ?"
              : `UPDATE workers SET ${assignments} WHERE project_id = ? AND id = ? RETURNING *`,
          );
          workerUpdates.set(key, statement);
        }
        const values = columns.map((c) => encodeWorkerValue(c, patch[c]));
        const row = statement.get(...values, projectId, id) as Row | undefined;
        return row ? decodeWorker(row) : undefined;
      },
    };
  }

  /** `UPDATE runs` of these columns, only while the run matches a `RunGuard`. */
  private guardedUpdateStatement(columns: (keyof RunPatch)[]): Database.Statement {
    const key = `guarded:${columns.join(",")}`;
    let statement = this.updateStatements.get(key);
    if (!statement) {
      statement = this.writer.prepare(
        `UPDATE runs SET ${columns.map((c) => `${c} = ?`).join(", ")}
          WHERE pk = ? AND deleted_at IS NULL AND latest_event_id = ? AND status = ?
            AND lease_owner IS ? AND lease_expires_at IS ?
          RETURNING *`,
      );
      this.updateStatements.set(key, statement);
    }
    return statement;
  }

  private updateStatement(columns: (keyof RunPatch)[]): Database.Statement {
    const key = columns.join(",");
    let statement = this.updateStatements.get(key);
    if (!statement) {
      statement = this.writer.prepare(
        `UPDATE runs SET ${columns.map((c) => `${c} = ?`).join(", ")} WHERE pk = ?`,
      );
      this.updateStatements.set(key, statement);
    }
    return statement;
  }
}

/** The writer's transaction-control statements, prepared once (`exec` parses its SQL every time). */
interface TransactionControl {
  begin: Database.Statement;
  savepoint: Database.Statement;
  release: Database.Statement;
  rollbackTo: Database.Statement;
  commit: Database.Statement;
}

function transactionControl(db: Database.Database): TransactionControl {
  return {
    begin: db.prepare("BEGIN IMMEDIATE"),
    savepoint: db.prepare("SAVEPOINT tx"),
    release: db.prepare("RELEASE tx"),
    rollbackTo: db.prepare("ROLLBACK TO tx"),
    commit: db.prepare("COMMIT"),
  };
}

/** Runs statements prepared (and cached) by `prepare`: rows for readers, none for the rest. */
function statementRunner(prepare: (sql: string) => Database.Statement): SqlRunner {
  return async (sql, params) => {
    const statement = prepare(sql);
    if (statement.reader) return statement.all(...params) as Row[];
    statement.run(...params);
    return [];
  };
}

function encodeValue(column: keyof RunPatch, value: unknown): unknown {
  return RUN_JSON_COLUMNS.has(column) && value !== null && value !== undefined
    ? JSON.stringify(value)
    : value;
}
