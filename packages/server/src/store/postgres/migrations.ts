/** Applying the PostgreSQL migrations (`migrations/*.sql`) through the shared runner (`../migrator.ts`), under an advisory lock. */
import type pg from "pg";
import type { MigrationDriver } from "../migrator.ts";
import { LOCK_NAMESPACE, MIGRATION_LOCK } from "./advisory-locks.ts";
import { toNumber } from "./rows.ts";
import { commit, query } from "./sql-errors.ts";

export const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);

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
