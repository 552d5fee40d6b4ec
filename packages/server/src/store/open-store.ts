/** Chooses the store from configuration: PostgreSQL when DATABASE_URL is set, else SQLite. */
import { join, resolve } from "node:path";
import type { Config } from "../config/config.ts";
import { SqliteStore } from "./sqlite/sqlite-store.ts";
import type { RunStore } from "./types.ts";

export async function openStore(config: Config): Promise<RunStore> {
  if (config.databaseUrl) {
    const { PostgresStore } = await import("./postgres/postgres-store.ts");
    return new PostgresStore({
      connectionString: config.databaseUrl,
      poolSize: config.pgPoolSize,
      statementTimeoutMs: config.pgStatementTimeoutMs,
    });
  }
  return new SqliteStore({
    file: join(resolve(config.dataDir), "runline.db"),
    synchronous: config.sqliteSynchronous,
  });
}
