/**
 * Retention tests: a server per store whose sweeper runs only when a test asks (interval 0),
 * and a raw connection to its database, to look at what is really stored.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import type { SweepReport } from "../../src/retention/sweeper.ts";
import { RUN_DATA_TABLES } from "../../src/store/run-data-tables.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import {
  freshStoreLocation,
  type StoreKind,
  storeTargets,
  type TestStoreLocation,
} from "../helpers/stores.ts";

/** Runs one SQL query on the store's database, outside Runline: rows as plain objects. */
export type RawQuery = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export function rawQuery(location: TestStoreLocation): RawQuery {
  if (location.kind === "sqlite") {
    const file = join(location.dataDir!, "runline.db");
    return async (sql, params = []) => {
      const db = new Database(file);
      db.pragma("busy_timeout = 5000");
      try {
        const statement = db.prepare(sql.replace(/\$\d+/g, "?"));
        if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
        statement.run(...params);
        return [];
      } finally {
        db.close();
      }
    };
  }
  return async (sql, params = []) => {
    const client = new pg.Client({ connectionString: location.databaseUrl! });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
}

export interface RetentionFixture {
  server: TestServer;
  location: TestStoreLocation;
  raw: RawQuery;
  kind: StoreKind;
}

/** No background sweeps: tests drive the sweeper with `sweepUntilIdle`. */
export const MANUAL_SWEEPS = { RUNLINE_SWEEP_INTERVAL_MS: "0" };

/** One suite per store with its own server (and location, kept for raw queries). */
export function describeRetention(
  name: string,
  body: (get: () => RetentionFixture) => void,
  env: Record<string, string> = {},
): void {
  for (const target of storeTargets()) {
    describe(`${name} [${target.kind}]`, { skip: target.skip }, () => {
      let fixture: RetentionFixture | undefined;
      before(async () => {
        const location = await freshStoreLocation(target.kind);
        const server = await startTestServer(
          target.kind,
          { ...MANUAL_SWEEPS, ...env },
          { location },
        );
        fixture = { server, location, raw: rawQuery(location), kind: target.kind };
      });
      after(async () => {
        await fixture?.server.close();
        await fixture?.location.dispose();
      });
      body(() => {
        if (!fixture) throw new Error("server not started");
        return fixture;
      });
    });
  }
}

/** Sweeps until nothing is left; every sweep's report, in order. */
export async function sweepUntilIdle(server: TestServer): Promise<SweepReport[]> {
  const reports: SweepReport[] = [];
  for (let i = 0; i < 100; i++) {
    const report = await server.server.sweeper.runOnce();
    reports.push(report);
    if (!report.more && !report.skipped) return reports;
  }
  assert.fail("the sweeper did not finish in 100 sweeps");
}

/** Ends a run through the API. */
export async function complete(server: TestServer, runId: string, status = "completed") {
  const response = await server.request("POST", `/runs/${runId}/complete`, { status });
  assert.equal(response.status, 200, response.text);
}

export const countOf = async (raw: RawQuery, sql: string, params: unknown[]) =>
  Number((await raw(sql, params))[0]?.n);

/** Rows a run holds in every per-run table (`RUN_DATA_TABLES`) and `runs` itself. */
export async function runRowCount(raw: RawQuery, runPk: number): Promise<number> {
  let total = await countOf(raw, "SELECT COUNT(*) AS n FROM runs WHERE pk = $1", [runPk]);
  for (const { table, match } of RUN_DATA_TABLES) {
    if (match !== "run_pk") continue;
    total += await countOf(raw, `SELECT COUNT(*) AS n FROM ${table} WHERE run_pk = $1`, [runPk]);
  }
  return total;
}
