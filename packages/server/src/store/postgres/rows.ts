/**
 * Row mapping for the PostgreSQL store: the column lists selected (timestamps as ISO-8601 UTC
 * text, JSON as text), and the conversions between rows and the store interface's records
 * (bigint strings to numbers, JSON text to values, arrays for multi-row inserts).
 */
import type pg from "pg";
import type { OwnerRecord } from "../../domain/agui/sequence.ts";
import type { AguiEvent } from "../../domain/agui/types.ts";
import {
  ACTIVE_STATUSES,
  ownerColumns,
  RUN_COLUMNS,
  RUN_JSON_COLUMNS,
  WORKER_COLUMNS,
} from "../columns.ts";
import type {
  ApiKeyRow,
  ConversationRow,
  JsonObject,
  NewEvent,
  RunRow,
  WorkerRow,
} from "../types.ts";

export type Row = Record<string, unknown>;
export type Queryable = pg.Pool | pg.PoolClient | pg.Client;
/** Runs one statement on the connection a set of operations is bound to. */
export type Exec = (text: string, values?: unknown[]) => Promise<pg.QueryResult<Row>>;

// ---------------------------------------------------------------------------------------------
// Column mapping

export const ISO_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Selects a timestamptz column as the interface's ISO-8601 UTC string. */
export const isoColumn = (column: string) =>
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
export const RUN_SELECT = ["pk" as const, ...RUN_COLUMNS]
  .map((column) => {
    if (RUN_TIMESTAMP_COLUMNS.has(column)) return isoColumn(column);
    if (RUN_JSON_COLUMNS.has(column)) return jsonColumn(column);
    return column;
  })
  .join(", ");

export const API_KEY_SELECT = [
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

export const CONVERSATION_SELECT = [
  "project_id",
  "id",
  jsonColumn("metadata"),
  isoColumn("created_at"),
].join(", ");

export const WORKER_SELECT = WORKER_COLUMNS.map((column) => {
  if (column === "last_heartbeat_at" || column === "created_at") return isoColumn(column);
  if (column === "metadata") return jsonColumn(column);
  return column;
}).join(", ");

/**
 * Ids every JSON serialiser writes literally (printable ASCII, no quote, backslash or slash):
 * their quoted form can be searched for in an event's text.
 */
export function isPlainId(id: string): boolean {
  return /^[\x20-\x7e]*$/.test(id) && !/["\\/]/.test(id);
}

export const ACTIVE_LIST = ACTIVE_STATUSES.map((s) => `'${s}'`).join(", ");

/** A bigint as a JS number; refuses values a number cannot hold exactly. */
export function toNumber(value: unknown): number {
  const number = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new Error(`Integer value ${String(value)} is outside JavaScript's safe range`);
  }
  return number;
}

export function parseJson(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : null;
}

export function encodeJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function encodeRunValue(column: keyof RunRow, value: unknown): unknown {
  if (RUN_JSON_COLUMNS.has(column)) return encodeJson(value);
  return value ?? null;
}

export function decodeRun(row: Row): RunRow {
  const run: Row = { ...row };
  for (const column of RUN_BIGINT_COLUMNS) run[column] = toNumber(row[column]);
  for (const column of RUN_JSON_COLUMNS) run[column] = parseJson(row[column]);
  return run as unknown as RunRow;
}

export function decodeConversation(row: Row): ConversationRow {
  return {
    ...(row as unknown as ConversationRow),
    metadata: parseJson(row.metadata) as JsonObject | null,
  };
}

export function decodeApiKey(row: Row): ApiKeyRow {
  return row as unknown as ApiKeyRow;
}

export function decodeWorker(row: Row): WorkerRow {
  return {
    ...(row as unknown as WorkerRow),
    metadata: parseJson(row.metadata) as JsonObject | null,
  };
}

export function encodeWorkerValue(column: keyof WorkerRow, value: unknown): unknown {
  return column === "metadata" ? encodeJson(value) : (value ?? null);
}

/** Owner records as three parallel arrays of their columns (for `unnest`). */
export function ownerArrays(owners: readonly OwnerRecord[]): [string[], string[], string[]] {
  const columns = owners.map(ownerColumns);
  return [columns.map((c) => c.id), columns.map((c) => c.kind), columns.map((c) => c.owner)];
}

/** The INSERT … SELECT source of a batch of events bound at `$first` … `$first+4`. */
export const eventsSource = (first: number) =>
  `unnest($${first}::bigint[], $${first + 1}::text[], $${first + 2}::bigint[], $${first + 3}::json[], $${first + 4}::timestamptz[])
     AS batch (event_id, event_type, external_seq, data, created_at)`;

export function eventArrays(events: readonly NewEvent[]): unknown[] {
  return [
    events.map((e) => e.event_id),
    events.map((e) => e.event_type),
    events.map((e) => e.external_seq),
    events.map((e) => e.json),
    events.map((e) => e.created_at),
  ];
}

export const UPSERT_OWNERS_CONFLICT =
  "ON CONFLICT (run_pk, id, kind) DO UPDATE SET owner = EXCLUDED.owner";

export function decodeEvent(row: Row): AguiEvent {
  return JSON.parse(row.data as string) as AguiEvent;
}

// ---------------------------------------------------------------------------------------------
// Errors
