/**
 * Retention and deletion on SQLite (docs/api.md §9): the shared operations of `../retention.ts`
 * over better-sqlite3, and the file-space side — `auto_vacuum=INCREMENTAL`, so the sweeper's
 * `incremental_vacuum` can give purged pages back to the file system.
 */
import type Database from "better-sqlite3";
import {
  type RetentionDialect,
  type RetentionReads,
  type RetentionTx,
  retentionReads,
  retentionTxOps,
} from "../retention.ts";

type Row = Record<string, unknown>;

/** Numbered parameters as better-sqlite3 named ones (`@p1`…), statements prepared once. */
function dialect(db: () => Database.Database): RetentionDialect {
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db().prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const bind = (params: unknown[]) =>
    Object.fromEntries(params.map((value, i) => [`p${i + 1}`, value]));
  return {
    p: (n) => `@p${n}`,
    iso: (column) => column,
    all: async (sql, params) => prepare(sql).all(bind(params)) as Row[],
    run: async (sql, params) => prepare(sql).run(bind(params)).changes,
  };
}

/** Inside a writer transaction: SQLite has one writer, so the sweeper lock is always free. */
export function sqliteRetentionTx(writer: Database.Database): RetentionTx {
  return retentionTxOps(
    dialect(() => writer),
    async () => true,
  );
}

/**
 * Reads on the reader connection; `reclaimSpace` goes through the store's transaction queue
 * (`inWriter`), so it waits its turn like any write and holds the writer for one bounded step.
 */
export function sqliteRetentionReads(
  reader: () => Database.Database,
  writer: () => Database.Database,
  inWriter: <T>(fn: () => T) => Promise<T>,
): RetentionReads {
  return retentionReads(dialect(reader), (pages) =>
    inWriter(() => {
      const db = writer();
      const before = db.pragma("freelist_count", { simple: true }) as number;
      db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
      return before - (db.pragma("freelist_count", { simple: true }) as number);
    }),
  );
}

/**
 * Turns on incremental auto-vacuum. A new file takes the setting before its first table; a file
 * created without it (before migration 005) needs one full VACUUM, outside any transaction —
 * it rewrites the file once (it needs up to the file's size in free disk space, and time
 * proportional to its size), logged so the operator knows why the start is slow.
 */
export function ensureIncrementalVacuum(
  db: Database.Database,
  log: (message: string) => void = (message) => process.emitWarning(message),
): void {
  const INCREMENTAL = 2;
  if (db.pragma("auto_vacuum", { simple: true }) === INCREMENTAL) return;
  db.pragma("auto_vacuum = INCREMENTAL");
  const tables = db.prepare("SELECT COUNT(*) AS n FROM sqlite_schema").get() as { n: number };
  if (tables.n === 0) return; // Empty file: the setting applies from the first table on.
  log("SQLite: enabling incremental auto-vacuum on an existing database (one VACUUM, once)");
  db.exec("VACUUM");
}
