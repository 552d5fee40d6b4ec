/** Isolated PostgreSQL schemas for tests (one per store or server, dropped afterwards). */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestStoreLocation } from "./stores.ts";

export async function freshPostgresSchema(): Promise<TestStoreLocation> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("TEST_DATABASE_URL is not set");
  const schema = `runline_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    kind: "postgres",
    databaseUrl: url.toString(),
    dispose: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
