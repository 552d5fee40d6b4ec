/**
 * The migration runner's hold on the SQLite writer connection (`store/migrator.ts` has the
 * rules). A process has one writer connection, and each migration's transaction takes the
 * file's write lock (another process — the CLI — waits for it, `busy_timeout`), so no lock of
 * its own is needed; a migration commits with its record or not at all.
 */
import type Database from "better-sqlite3";
import type { MigrationDriver } from "../migrator.ts";

export function sqliteMigrationDriver(db: Database.Database): MigrationDriver {
  return {
    withLock: (fn) => fn(),
    async ensureTable() {
      db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
      );
    },
    async appliedVersions() {
      return db
        .prepare("SELECT version FROM schema_migrations")
        .all()
        .map((r) => (r as { version: number }).version);
    },
    async apply(migration) {
      db.transaction(() => {
        db.exec(migration.sql);
        db.prepare(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        ).run(migration.version, migration.name, new Date().toISOString());
      })();
    },
  };
}
