/**
 * Retention and deletion on PostgreSQL (docs/api.md §9): the shared operations of `../retention.ts`
 * over node-postgres. One sweeper at a time across instances: each sweeper transaction first
 * takes a transaction-level advisory lock, keyed by the schema (deployments sharing a database
 * in separate schemas do not wait on each other), and an instance that finds it taken skips
 * its turn. Space: purge batches are short transactions, so autovacuum can reclaim the dead
 * rows as the sweeper goes; nothing is given back to the file system (see docs/operations.md).
 */
import type pg from "pg";
import {
  type RetentionDialect,
  type RetentionReads,
  type RetentionTx,
  retentionReads,
  retentionTxOps,
} from "../retention.ts";

type Row = Record<string, unknown>;
type Exec = (text: string, values?: unknown[]) => Promise<pg.QueryResult<Row>>;

/** Advisory lock namespace of the sweeper ("RUNM"), next to the store's "RUNL" locks. */
const SWEEPER_LOCK_NAMESPACE = 0x52554e4d;

const ISO_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

function dialect(exec: Exec): RetentionDialect {
  return {
    p: (n) => `$${n}`,
    iso: (column) => `to_char(${column} AT TIME ZONE 'UTC', ${ISO_FORMAT}) AS ${column}`,
    all: async (sql, params) => (await exec(sql, params)).rows,
    run: async (sql, params) => (await exec(sql, params)).rowCount ?? 0,
  };
}

export function postgresRetentionTx(exec: Exec): RetentionTx {
  return retentionTxOps(dialect(exec), async () => {
    const { rows } = await exec(
      "SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema())) AS locked",
      [SWEEPER_LOCK_NAMESPACE],
    );
    return rows[0]?.locked === true;
  });
}

export function postgresRetentionReads(exec: Exec): RetentionReads {
  return retentionReads(dialect(exec), async () => 0);
}
