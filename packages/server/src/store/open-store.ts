/** Chooses the store from configuration: PostgreSQL when DATABASE_URL is set, else SQLite. */
import { join, resolve } from "node:path";
import type { Config } from "../config/config.ts";
import { SqliteStore } from "./sqlite/sqlite-store.ts";
import type { RunStore } from "./types.ts";

/** The SQLite database file a configuration points at (absolute). */
export function sqliteFile(config: Pick<Config, "dataDir">): string {
  return join(resolve(config.dataDir), "runline.db");
}

/**
 * Where the store lives, for people: "SQLite <file>" or "PostgreSQL <url>" with the URL's
 * password replaced by "***" (the line is printed at start and may end up in shared logs).
 */
export function describeStore(config: Pick<Config, "databaseUrl" | "dataDir">): string {
  if (!config.databaseUrl) return `SQLite ${sqliteFile(config)}`;
  try {
    const url = new URL(config.databaseUrl);
    if (url.password) url.password = "***";
    if (url.searchParams.has("password")) url.searchParams.set("password", "***");
    return `PostgreSQL ${url.toString()}`;
  } catch {
    return "PostgreSQL (DATABASE_URL)"; // unparsable: say nothing that could be a secret
  }
}

export async function openStore(config: Config): Promise<RunStore> {
  if (config.databaseUrl) {
    const { PostgresStore } = await import("./postgres/postgres-store.ts");
    return new PostgresStore({
      connectionString: config.databaseUrl,
      poolSize: config.pgPoolSize,
      preparedStatements: config.pgPreparedStatements,
      statementTimeoutMs: config.pgStatementTimeoutMs,
    });
  }
  return new SqliteStore({
    file: sqliteFile(config),
    synchronous: config.sqliteSynchronous,
  });
}
