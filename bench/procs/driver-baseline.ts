/**
 * Baselines without HTTP: the same rows written and read straight through the store's driver
 * (better-sqlite3 / pg), into the same schema (the server's own migration files, applied to a
 * fresh database or schema), with the same durability setting. What an append of N events
 * costs at the very least: one transaction holding one multi-row INSERT of the N rows.
 *
 * Ops: `sqliteInsert`, `pgInsert` (closed loop for a duration), `sqliteRead`, `pgRead` (page a
 * run's whole log the way the store does — 500 rows per query, JSON parsed).
 */
import {
  closeSync,
  fdatasyncSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { serveChild } from "../lib/child.ts";
import { textDelta } from "../lib/payloads.ts";

const MIGRATIONS = {
  sqlite: new URL("../../packages/server/src/store/sqlite/migrations/", import.meta.url),
  postgres: new URL("../../packages/server/src/store/postgres/migrations/", import.meta.url),
};

function migrationSql(dialect: "sqlite" | "postgres"): string[] {
  const dir = MIGRATIONS[dialect];
  return readdirSync(dir)
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort()
    .map((f) => readFileSync(new URL(f, dir), "utf8"));
}

export interface InsertSpec {
  batchSize: number;
  /** Batches go round-robin to this many runs. */
  runs: number;
  warmupMs: number;
  durationMs: number;
}

export interface SqliteInsertSpec extends InsertSpec {
  file: string;
  synchronous: "NORMAL" | "FULL";
}

export interface PgInsertSpec extends InsertSpec {
  /** A connection string whose search_path names an empty schema. */
  url: string;
  connections: number;
}

export interface InsertResult {
  events: number;
  transactions: number;
  windowMs: number;
}

export interface ReadResult {
  events: number;
  elapsedMs: number;
}

const EVENT_JSON = JSON.stringify(textDelta());

/** Values for a runs row: every NOT NULL column without a default gets a placeholder. */
function placeholderRun(
  columns: { name: string; notNull: boolean; hasDefault: boolean; isJson: boolean }[],
  i: number,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of columns) {
    if (c.name === "pk" || !c.notNull || c.hasDefault) continue;
    row[c.name] = c.isJson
      ? "{}"
      : c.name.endsWith("_at")
        ? new Date().toISOString()
        : `bench-${i}`;
  }
  row.run_id = `bench-run-${i}`;
  row.status = "running";
  return row;
}

function sqliteInsert(spec: SqliteInsertSpec): InsertResult {
  const db = new Database(spec.file);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${spec.synchronous}`);
  db.pragma("foreign_keys = ON");
  for (const sql of migrationSql("sqlite")) db.exec(sql);
  const info = db.prepare("PRAGMA table_info(runs)").all() as {
    name: string;
    notnull: number;
    dflt_value: unknown;
  }[];
  const columns = info.map((c) => ({
    name: c.name,
    notNull: c.notnull === 1,
    hasDefault: c.dflt_value !== null,
    isJson: ["request_snapshot", "sequence_state", "metadata", "worker_session"].includes(c.name),
  }));
  const pks: number[] = [];
  db.transaction(() => {
    for (let i = 0; i < spec.runs; i++) {
      const row = placeholderRun(columns, i);
      const names = Object.keys(row);
      const result = db
        .prepare(
          `INSERT INTO runs (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`,
        )
        .run(...names.map((n) => row[n]));
      pks.push(Number(result.lastInsertRowid));
    }
  })();
  const insert = db.prepare(
    `INSERT INTO run_events (run_pk, event_id, event_type, external_seq, data, created_at) VALUES ${Array.from(
      { length: spec.batchSize },
      () => "(?, ?, ?, ?, ?, ?)",
    ).join(", ")}`,
  );
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const nextId = new Map<number, number>();
  const params: unknown[] = new Array(spec.batchSize * 6);
  let events = 0;
  let transactions = 0;
  const start = performance.now();
  const windowStart = start + spec.warmupMs;
  const end = windowStart + spec.durationMs;
  for (let n = 0; ; n++) {
    const now = performance.now();
    if (now >= end) break;
    const pk = pks[n % pks.length] as number;
    let id = nextId.get(pk) ?? 0;
    const createdAt = new Date().toISOString();
    for (let i = 0; i < spec.batchSize; i++) {
      id++;
      params[i * 6] = pk;
      params[i * 6 + 1] = id;
      params[i * 6 + 2] = "TEXT_MESSAGE_CONTENT";
      params[i * 6 + 3] = id;
      params[i * 6 + 4] = EVENT_JSON;
      params[i * 6 + 5] = createdAt;
    }
    nextId.set(pk, id);
    begin.run();
    insert.run(...params);
    commit.run();
    if (now >= windowStart) {
      events += spec.batchSize;
      transactions++;
    }
  }
  db.close();
  return { events, transactions, windowMs: spec.durationMs };
}

async function pgInsert(spec: PgInsertSpec): Promise<InsertResult> {
  const setup = new pg.Client({ connectionString: spec.url });
  await setup.connect();
  const pks: number[] = [];
  try {
    for (const sql of migrationSql("postgres")) await setup.query(sql);
    const { rows: info } = await setup.query<{
      column_name: string;
      is_nullable: string;
      column_default: string | null;
      is_identity: string;
      data_type: string;
    }>(
      `SELECT column_name, is_nullable, column_default, is_identity, data_type
         FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'runs'`,
    );
    const columns = info.map((c) => ({
      name: c.column_name,
      notNull: c.is_nullable === "NO",
      hasDefault: c.column_default !== null || c.is_identity === "YES",
      isJson: c.data_type === "json" || c.data_type === "jsonb",
    }));
    for (let i = 0; i < spec.runs; i++) {
      const row = placeholderRun(columns, i);
      const names = Object.keys(row);
      const { rows } = await setup.query<{ pk: string }>(
        `INSERT INTO runs (${names.join(", ")}) VALUES (${names.map((_, j) => `$${j + 1}`).join(", ")}) RETURNING pk`,
        names.map((n) => row[n]),
      );
      pks.push(Number(rows[0]?.pk));
    }
  } finally {
    await setup.end();
  }
  const clients = await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      const c = new pg.Client({ connectionString: spec.url });
      await c.connect();
      return c;
    }),
  );
  const nextId = new Map<number, number>();
  let events = 0;
  let transactions = 0;
  let turn = 0;
  const start = performance.now();
  const windowStart = start + spec.warmupMs;
  const end = windowStart + spec.durationMs;
  const insertSql = `INSERT INTO run_events (run_pk, event_id, event_type, external_seq, data, created_at)
       SELECT $1::bigint, event_id, event_type, external_seq, data, created_at
         FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::json[], $6::timestamptz[])
           AS batch (event_id, event_type, external_seq, data, created_at)`;
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < end) {
          const pk = pks[turn++ % pks.length] as number;
          const first = (nextId.get(pk) ?? 0) + 1;
          nextId.set(pk, first + spec.batchSize - 1);
          const ids = Array.from({ length: spec.batchSize }, (_, i) => first + i);
          const createdAt = new Date().toISOString();
          const t0 = performance.now();
          await client.query("BEGIN");
          await client.query(insertSql, [
            pk,
            ids,
            ids.map(() => "TEXT_MESSAGE_CONTENT"),
            ids,
            ids.map(() => EVENT_JSON),
            ids.map(() => createdAt),
          ]);
          await client.query("COMMIT");
          if (t0 >= windowStart && performance.now() <= end) {
            events += spec.batchSize;
            transactions++;
          }
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  return { events, transactions, windowMs: spec.durationMs };
}

function sqliteRead(spec: { file: string; runId: string }): ReadResult {
  const db = new Database(spec.file, { readonly: true, fileMustExist: true });
  const run = db.prepare("SELECT pk FROM runs WHERE run_id = ?").get(spec.runId) as
    | { pk: number }
    | undefined;
  if (!run) throw new Error(`run ${spec.runId} not found`);
  const page = db.prepare(
    "SELECT event_id, event_type, data, created_at FROM run_events WHERE run_pk = ? AND event_id > ? ORDER BY event_id LIMIT ?",
  );
  const start = performance.now();
  let after = 0;
  let events = 0;
  for (;;) {
    const rows = page.all(run.pk, after, 500) as { event_id: number; data: string }[];
    for (const row of rows) JSON.parse(row.data);
    events += rows.length;
    const last = rows[rows.length - 1];
    if (!last || rows.length < 500) break;
    after = last.event_id;
  }
  const elapsedMs = performance.now() - start;
  db.close();
  return { events, elapsedMs };
}

async function pgRead(spec: { url: string; runId: string }): Promise<ReadResult> {
  const client = new pg.Client({ connectionString: spec.url });
  await client.connect();
  try {
    const { rows: runs } = await client.query<{ pk: string }>(
      "SELECT pk FROM runs WHERE run_id = $1",
      [spec.runId],
    );
    const pk = runs[0]?.pk;
    if (pk === undefined) throw new Error(`run ${spec.runId} not found`);
    const start = performance.now();
    let after = 0;
    let events = 0;
    for (;;) {
      const { rows } = await client.query<{ event_id: string; data: string }>(
        `SELECT event_id, event_type, data::text AS data, created_at FROM run_events
          WHERE run_pk = $1 AND event_id > $2 ORDER BY event_id LIMIT 500`,
        [pk, after],
      );
      for (const row of rows) JSON.parse(row.data);
      events += rows.length;
      const last = rows[rows.length - 1];
      if (!last || rows.length < 500) break;
      after = Number(last.event_id);
    }
    return { events, elapsedMs: performance.now() - start };
  } finally {
    await client.end();
  }
}

/** Bytes of a run's stored `sequence_state` (what every append reads, parses and rewrites). */
function sqliteRunState(spec: { file: string; runId: string }): { bytes: number } {
  const db = new Database(spec.file, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare("SELECT length(sequence_state) AS bytes FROM runs WHERE run_id = ?")
      .get(spec.runId) as { bytes: number } | undefined;
    return { bytes: row?.bytes ?? 0 };
  } finally {
    db.close();
  }
}

export interface FsyncProbe {
  count: number;
  p50: number;
  p99: number;
}

/**
 * The disk's commit latency, the floor under every synchronous=FULL figure: rewrite 4 KiB and
 * fdatasync it, up to `count` times or for `maxMs`.
 */
function fsyncProbe(spec: { dir: string; count: number; maxMs: number }): FsyncProbe {
  const file = join(spec.dir, "fsync-probe");
  const fd = openSync(file, "w");
  const block = Buffer.alloc(4096, 1);
  const times: number[] = [];
  const start = performance.now();
  try {
    for (let i = 0; i < spec.count && performance.now() - start < spec.maxMs; i++) {
      const t0 = performance.now();
      writeSync(fd, block, 0, block.length, 0);
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { count: times.length, p50: at(0.5), p99: at(0.99) };
}

serveChild(
  { pid: process.pid },
  {
    sqliteInsert: async (spec: SqliteInsertSpec) => sqliteInsert(spec),
    pgInsert: (spec: PgInsertSpec) => pgInsert(spec),
    sqliteRead: async (spec: { file: string; runId: string }) => sqliteRead(spec),
    pgRead: (spec: { url: string; runId: string }) => pgRead(spec),
    sqliteRunState: async (spec: { file: string; runId: string }) => sqliteRunState(spec),
    fsyncProbe: async (spec: { dir: string; count: number; maxMs: number }) => fsyncProbe(spec),
  },
);
