/**
 * Storage of human input (docs/api.md §7, §7.1): input requests and AG-UI interrupts, in the
 * tables of migration 006. One implementation serves both stores: the SQL is plain enough to
 * be the same in SQLite and PostgreSQL, written with `?` placeholders that `SqlRunner`
 * implementations translate; each store supplies a runner for its transaction connection and
 * one for committed reads (`RunStoreTx.humanInput`, `RunStore.humanInput`).
 *
 * Timestamps are stored as the ISO-8601 UTC strings the rest of the interface uses (always
 * `YYYY-MM-DDTHH:MM:SS.sssZ`, so text order is time order in both engines); JSON documents as
 * their text. Status changes are conditional UPDATEs (`… WHERE status = 'open' RETURNING *`):
 * of two concurrent answers exactly one changes the row, on either engine.
 */
import type { InputRequestStatusSchema, InterruptStatusSchema } from "@runline/contract";
import type { z } from "zod";
import type { JsonObject } from "./types.ts";

/** The contract's closed sets (`InputRequestStatusSchema`, `InterruptStatusSchema`). */
export type InputRequestStatus = z.output<typeof InputRequestStatusSchema>;
export type InterruptStatus = z.output<typeof InterruptStatusSchema>;

export interface InputResponseRecord {
  id: string;
  input_request_id: string;
  conversation_id: string;
  run_id: string;
  actor_type: "user" | "api_key" | "worker";
  actor_id: string;
  values: Record<string, string | number | boolean | null>;
  created_at: string;
}

export interface InputRequestRow {
  /** Keyset of listings; never on the wire. */
  pk: number;
  id: string;
  project_id: string;
  conversation_id: string;
  run_pk: number;
  run_id: string;
  tool_call_id: string;
  kind: "form";
  /** As stored: an `open` row past `expires_at` reads as expired (see `effective…`). */
  status: InputRequestStatus;
  requested_responder_type: "human" | "agent" | "system";
  title: string;
  description: string | null;
  fields: JsonObject[];
  metadata: JsonObject | null;
  created_at: string;
  expires_at: string;
  submitted_at: string | null;
  cancelled_at: string | null;
  expired_at: string | null;
  latest_response: InputResponseRecord | null;
}

export type NewInputRequest = Omit<InputRequestRow, "pk">;

export interface InterruptRow {
  pk: number;
  project_id: string;
  conversation_id: string;
  interrupt_id: string;
  run_pk: number;
  run_id: string;
  status: InterruptStatus;
  /** The AG-UI Interrupt, verbatim. */
  interrupt: JsonObject;
  /** `interrupt.expiresAt` as an ISO UTC string, when it parses as a date. */
  expires_at: string | null;
  created_at: string;
  closed_at: string | null;
  resolved_by_run_id: string | null;
  resume: JsonObject | null;
}

export type NewInterrupt = Omit<InterruptRow, "pk">;

export interface InputRequestFilter {
  project_id: string;
  conversation_id: string;
  /** Effective status at `now` (an open request past its deadline counts as expired). */
  status?: InputRequestStatus | undefined;
  run_id?: string | undefined;
  now: string;
}

export interface InterruptFilter {
  project_id: string;
  conversation_id: string;
  status?: InterruptStatus | undefined;
  now: string;
}

export interface KeysetPage {
  afterPk?: number | undefined;
  order: "asc" | "desc";
  limit: number;
}

/** Reads of committed data. */
export interface HumanInputReads {
  getInputRequest(projectId: string, id: string): Promise<InputRequestRow | undefined>;
  listInputRequests(filter: InputRequestFilter, page: KeysetPage): Promise<InputRequestRow[]>;
  listInterrupts(filter: InterruptFilter, page: KeysetPage): Promise<InterruptRow[]>;
  /** Requests (of every project) stored as open whose deadline is at or before `now`. */
  dueInputRequests(now: string, limit: number): Promise<InputRequestRow[]>;
}

/** Writes (and reads that must see them) inside one transaction. */
export interface HumanInputTx {
  insertInputRequest(row: NewInputRequest): Promise<InputRequestRow>;
  getInputRequest(projectId: string, id: string): Promise<InputRequestRow | undefined>;
  /** The request stored as open for this run's tool call, if any (expired or not). */
  openInputRequestFor(runPk: number, toolCallId: string): Promise<InputRequestRow | undefined>;
  /**
   * Moves an open request to `status` with its timestamp (and response); undefined when the
   * request is no longer open in storage (someone else changed it first).
   */
  closeInputRequest(
    pk: number,
    change: {
      status: Exclude<InputRequestStatus, "open">;
      at: string;
      response?: InputResponseRecord;
    },
  ): Promise<InputRequestRow | undefined>;
  /** Cancels every open request of a run (its run ended); returns them as they now are. */
  cancelOpenInputRequestsOfRun(runPk: number, at: string): Promise<InputRequestRow[]>;
  insertInterrupt(row: NewInterrupt): Promise<InterruptRow | undefined>;
  /** Interrupts stored as open in a conversation, oldest first. */
  openInterrupts(projectId: string, conversationId: string): Promise<InterruptRow[]>;
  closeInterrupt(
    pk: number,
    change: {
      status: Exclude<InterruptStatus, "open">;
      at: string;
      resolvedByRunId: string | null;
      resume: JsonObject | null;
    },
  ): Promise<InterruptRow | undefined>;
}

type Row = Record<string, unknown>;

/** Runs one statement (written with `?` placeholders) and returns its rows (RETURNING too). */
export type SqlRunner = (sql: string, params: readonly unknown[]) => Promise<Row[]>;

const INPUT_REQUEST_COLUMNS = [
  "id",
  "project_id",
  "conversation_id",
  "run_pk",
  "run_id",
  "tool_call_id",
  "kind",
  "status",
  "requested_responder_type",
  "title",
  "description",
  "fields",
  "metadata",
  "created_at",
  "expires_at",
  "submitted_at",
  "cancelled_at",
  "expired_at",
  "latest_response",
] as const satisfies readonly (keyof NewInputRequest)[];
const INPUT_REQUEST_JSON = new Set<string>(["fields", "metadata", "latest_response"]);

const INTERRUPT_COLUMNS = [
  "project_id",
  "conversation_id",
  "interrupt_id",
  "run_pk",
  "run_id",
  "status",
  "interrupt",
  "expires_at",
  "created_at",
  "closed_at",
  "resolved_by_run_id",
  "resume",
] as const satisfies readonly (keyof NewInterrupt)[];
const INTERRUPT_JSON = new Set<string>(["interrupt", "resume"]);

function encode<T extends object>(
  row: T,
  columns: readonly (keyof T & string)[],
  json: Set<string>,
) {
  return columns.map((column) => {
    const value = row[column];
    if (value === undefined || value === null) return null;
    return json.has(column) ? JSON.stringify(value) : value;
  });
}

function decode<T>(row: Row, json: Set<string>): T {
  const out: Row = { ...row, pk: Number(row.pk), run_pk: Number(row.run_pk) };
  for (const column of json) {
    const value = row[column];
    out[column] = typeof value === "string" ? JSON.parse(value) : null;
  }
  return out as T;
}

const decodeInputRequest = (row: Row) => decode<InputRequestRow>(row, INPUT_REQUEST_JSON);
const decodeInterrupt = (row: Row) => decode<InterruptRow>(row, INTERRUPT_JSON);

/**
 * The WHERE terms of a filter on the status as read at `now` (params appended): a row stored
 * `open` whose deadline has passed counts as expired. (Input requests always have a deadline;
 * an interrupt may have none, and then never expires.)
 */
function effectiveStatusCondition(status: string, now: string, params: unknown[]): string {
  switch (status) {
    case "open":
      params.push(now);
      return "status = 'open' AND (expires_at IS NULL OR expires_at > ?)";
    case "expired":
      params.push(now);
      return "(status = 'expired' OR (status = 'open' AND expires_at <= ?))";
    default:
      params.push(status);
      return "status = ?";
  }
}

function keyset(page: KeysetPage, where: string[], params: unknown[]): string {
  if (page.afterPk !== undefined) {
    where.push(page.order === "desc" ? "pk < ?" : "pk > ?");
    params.push(page.afterPk);
  }
  params.push(page.limit);
  return `ORDER BY pk ${page.order === "desc" ? "DESC" : "ASC"} LIMIT ?`;
}

export function humanInputReads(run: SqlRunner): HumanInputReads {
  return {
    getInputRequest: async (projectId, id) => {
      const rows = await run("SELECT * FROM input_requests WHERE project_id = ? AND id = ?", [
        projectId,
        id,
      ]);
      return rows[0] && decodeInputRequest(rows[0]);
    },
    listInputRequests: async (filter, page) => {
      const params: unknown[] = [filter.project_id, filter.conversation_id];
      const where = ["project_id = ?", "conversation_id = ?"];
      if (filter.status) where.push(effectiveStatusCondition(filter.status, filter.now, params));
      if (filter.run_id !== undefined) {
        where.push("run_id = ?");
        params.push(filter.run_id);
      }
      const tail = keyset(page, where, params);
      const rows = await run(
        `SELECT * FROM input_requests WHERE ${where.join(" AND ")} ${tail}`,
        params,
      );
      return rows.map(decodeInputRequest);
    },
    listInterrupts: async (filter, page) => {
      const params: unknown[] = [filter.project_id, filter.conversation_id];
      const where = ["project_id = ?", "conversation_id = ?"];
      if (filter.status) where.push(effectiveStatusCondition(filter.status, filter.now, params));
      const tail = keyset(page, where, params);
      const rows = await run(
        `SELECT * FROM interrupts WHERE ${where.join(" AND ")} ${tail}`,
        params,
      );
      return rows.map(decodeInterrupt);
    },
    dueInputRequests: async (now, limit) => {
      const rows = await run(
        "SELECT * FROM input_requests WHERE status = 'open' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
        [now, limit],
      );
      return rows.map(decodeInputRequest);
    },
  };
}

export function humanInputTx(run: SqlRunner): HumanInputTx {
  const reads = humanInputReads(run);
  return {
    insertInputRequest: async (row) => {
      const rows = await run(
        `INSERT INTO input_requests (${INPUT_REQUEST_COLUMNS.join(", ")})
         VALUES (${INPUT_REQUEST_COLUMNS.map(() => "?").join(", ")}) RETURNING *`,
        encode(row, INPUT_REQUEST_COLUMNS, INPUT_REQUEST_JSON),
      );
      return decodeInputRequest(rows[0] as Row);
    },
    getInputRequest: reads.getInputRequest,
    openInputRequestFor: async (runPk, toolCallId) => {
      const rows = await run(
        "SELECT * FROM input_requests WHERE run_pk = ? AND tool_call_id = ? AND status = 'open'",
        [runPk, toolCallId],
      );
      return rows[0] && decodeInputRequest(rows[0]);
    },
    closeInputRequest: async (pk, change) => {
      const stamp = `${change.status}_at`;
      const rows = await run(
        `UPDATE input_requests SET status = ?, ${stamp} = ?, latest_response = COALESCE(?, latest_response)
          WHERE pk = ? AND status = 'open' RETURNING *`,
        [change.status, change.at, change.response ? JSON.stringify(change.response) : null, pk],
      );
      return rows[0] && decodeInputRequest(rows[0]);
    },
    cancelOpenInputRequestsOfRun: async (runPk, at) => {
      const rows = await run(
        `UPDATE input_requests SET status = 'cancelled', cancelled_at = ?
          WHERE run_pk = ? AND status = 'open' RETURNING *`,
        [at, runPk],
      );
      return rows.map(decodeInputRequest).sort((a, b) => a.pk - b.pk);
    },
    insertInterrupt: async (row) => {
      const rows = await run(
        `INSERT INTO interrupts (${INTERRUPT_COLUMNS.join(", ")})
         VALUES (${INTERRUPT_COLUMNS.map(() => "?").join(", ")})
         ON CONFLICT DO NOTHING RETURNING *`,
        encode(row, INTERRUPT_COLUMNS, INTERRUPT_JSON),
      );
      return rows[0] && decodeInterrupt(rows[0]);
    },
    openInterrupts: async (projectId, conversationId) => {
      const rows = await run(
        `SELECT * FROM interrupts WHERE project_id = ? AND conversation_id = ? AND status = 'open'
          ORDER BY pk`,
        [projectId, conversationId],
      );
      return rows.map(decodeInterrupt);
    },
    closeInterrupt: async (pk, change) => {
      const rows = await run(
        `UPDATE interrupts SET status = ?, closed_at = ?, resolved_by_run_id = ?, resume = ?
          WHERE pk = ? AND status = 'open' RETURNING *`,
        [
          change.status,
          change.at,
          change.resolvedByRunId,
          change.resume ? JSON.stringify(change.resume) : null,
          pk,
        ],
      );
      return rows[0] && decodeInterrupt(rows[0]);
    },
  };
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the SQL above has no other `?`). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
