/**
 * Storage for spawned servers: a fresh SQLite data directory or an isolated PostgreSQL schema
 * (through `test/helpers/stores.ts`, so the PostgreSQL rules are the suite's: skipped visibly
 * without TEST_DATABASE_URL, mandatory under CI=true).
 */
import { freshStoreLocation, type StoreKind, storeTargets } from "../../helpers/stores.ts";

export interface ProcessStorage {
  kind: StoreKind;
  /** The environment that points a server at this storage. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function processStorage(
  kind: StoreKind,
  sqliteSynchronous: "NORMAL" | "FULL" = "NORMAL",
): Promise<ProcessStorage> {
  const location = await freshStoreLocation(kind);
  const env: Record<string, string> =
    kind === "sqlite"
      ? { RUNLINE_DATA_DIR: location.dataDir!, RUNLINE_SQLITE_SYNCHRONOUS: sqliteSynchronous }
      : { DATABASE_URL: location.databaseUrl! };
  return { kind, env, dispose: () => location.dispose() };
}

/** Why PostgreSQL variants are skipped here (false when they run). Throws under CI without it. */
export function postgresSkip(): string | false {
  return storeTargets().find((t) => t.kind === "postgres")?.skip ?? false;
}
