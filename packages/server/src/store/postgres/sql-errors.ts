/**
 * Error classification for the PostgreSQL store: failures to reach or keep the database are
 * `StoreUnavailableError` (answered 503); anything else propagates unchanged. `query` runs one
 * statement with that classification; `commit` makes sure a COMMIT committed.
 */
import type pg from "pg";
import { StoreUnavailableError } from "../errors.ts";
import type { Queryable, Row } from "./rows.ts";

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

export function isUnavailable(error: unknown): boolean {
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
export function toStoreError(error: unknown, during?: string): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
  return new StoreUnavailableError(
    `PostgreSQL is unavailable${during ? ` (${during})` : ""}: ${describe(error)}`,
    { cause: error },
  );
}

/** A readable reason, also for Node's AggregateError (one connection attempt per address). */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  if (error instanceof AggregateError) return error.errors.map(describe).join("; ");
  return String((error as { code?: unknown }).code ?? error.name);
}

export async function query(
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

/** Statement names by text: `prepared` names each distinct text once, for the process's life. */
const statementNames = new Map<string, string>();

/**
 * `query` as a named prepared statement: each connection parses and plans it once (PostgreSQL
 * then reuses the plan, generic once it proves no worse), instead of on every call. For the
 * statements every append sends; their texts are few (one per shape of the run update), so
 * the names stay few. `RUNLINE_PG_PREPARED_STATEMENTS=false` turns it off for poolers that
 * cannot carry named statements (PgBouncer before 1.21 in transaction mode).
 */
export async function queryPrepared(
  db: Queryable,
  text: string,
  values: unknown[],
  enabled: boolean,
): Promise<pg.QueryResult<Row>> {
  if (!enabled) return query(db, text, values);
  let name = statementNames.get(text);
  if (!name) {
    name = `runline_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  try {
    return await db.query<Row>({ name, text, values });
  } catch (error) {
    throw toStoreError(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Migrations

/** COMMIT, making sure it committed: on a failed transaction PostgreSQL answers ROLLBACK. */
export async function commit(client: pg.PoolClient | pg.Client): Promise<void> {
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

export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
