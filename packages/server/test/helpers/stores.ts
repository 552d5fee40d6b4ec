/**
 * Which stores the tests run against: SQLite always; PostgreSQL when TEST_DATABASE_URL is set.
 * Under CI (CI=true) PostgreSQL is mandatory: without TEST_DATABASE_URL the suite fails.
 * On a laptop without it, the PostgreSQL variants are registered as skipped, visibly.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { RunStore } from "../../src/store/types.ts";

export type StoreKind = "sqlite" | "postgres";

export interface TestStoreTarget {
  kind: StoreKind;
  /** Why this target is skipped, when it is. */
  skip: string | false;
}

export function storeTargets(): TestStoreTarget[] {
  const url = process.env.TEST_DATABASE_URL;
  if (!url && process.env.CI === "true") {
    throw new Error("CI=true requires TEST_DATABASE_URL: the PostgreSQL tests are mandatory in CI");
  }
  return [
    { kind: "sqlite", skip: false },
    {
      kind: "postgres",
      skip: url ? false : "TEST_DATABASE_URL is not set: PostgreSQL tests skipped",
    },
  ];
}

/** A fresh, empty, isolated store location; `dispose` removes it. */
export interface TestStoreLocation {
  kind: StoreKind;
  /** For SQLite: the data directory. */
  dataDir?: string;
  /** For PostgreSQL: a connection string to an isolated schema. */
  databaseUrl?: string;
  dispose(): Promise<void>;
}

export async function freshStoreLocation(kind: StoreKind): Promise<TestStoreLocation> {
  if (kind === "sqlite") {
    const dataDir = mkdtempSync(join(tmpdir(), "runline-test-"));
    return {
      kind,
      dataDir,
      dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const { freshPostgresSchema } = await import("./postgres.ts");
  return freshPostgresSchema();
}

/** Opens a migrated store at a fresh location; closing it also disposes the location. */
export async function openTestStore(kind: StoreKind): Promise<RunStore> {
  const location = await freshStoreLocation(kind);
  let store: RunStore;
  if (kind === "sqlite") {
    store = new SqliteStore({ file: join(location.dataDir!, "runline.db"), synchronous: "NORMAL" });
  } else {
    const { PostgresStore } = await import("../../src/store/postgres/postgres-store.ts");
    store = new PostgresStore({
      connectionString: location.databaseUrl!,
      poolSize: 5,
      statementTimeoutMs: 10_000,
    });
  }
  await store.migrate();
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await location.dispose();
  };
  return store;
}
