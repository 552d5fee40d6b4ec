/**
 * Migration 003 moves the owners an existing run kept inside `sequence_state` into `run_owners`,
 * so runs that were open during an upgrade keep being checked the same way. On every store.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import type { SequenceState } from "../../src/domain/agui/sequence.ts";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { RunStore } from "../../src/store/types.ts";
import { newRunRow } from "../helpers/fixtures.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";

/** Runs raw SQL on the store's database (outside the store). */
async function execRaw(location: TestStoreLocation, sql: string): Promise<void> {
  if (location.kind === "sqlite") {
    const db = new Database(join(location.dataDir!, "runline.db"));
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: location.databaseUrl! });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function openAt(location: TestStoreLocation): RunStore {
  return location.kind === "sqlite"
    ? new SqliteStore({ file: join(location.dataDir!, "runline.db"), synchronous: "NORMAL" })
    : new PostgresStore({
        connectionString: location.databaseUrl!,
        poolSize: 2,
        statementTimeoutMs: 10_000,
      });
}

/** A pre-003 state, as JSON text ("__proto__" is an ordinary id, kept as a plain key). */
const LEGACY_STATE = `{"phase":"running","runStarted":true,
  "open":{"textMessages":[{"id":"m","subagentRunId":"s1"}],"toolCalls":[],"reasoningMessages":[],
    "reasoningSpans":[],"steps":[],"subagents":["s1"]},
  "closedSubagents":["s0"],
  "owners":{"message":{"m":"s1","closed":false},"toolCall":{"__proto__":""},"activity":{},
    "reasoning":{"r":false}}}`;

for (const target of storeTargets()) {
  describe(`migration 003 [${target.kind}]`, { skip: target.skip }, () => {
    test("owners kept in an open run's sequence_state move to run_owners and leave the state", async () => {
      const location = await freshStoreLocation(target.kind);
      let store = openAt(location);
      try {
        await store.migrate();
        // A run as a server before 003 wrote it.
        const legacy = JSON.parse(LEGACY_STATE) as SequenceState & { owners: unknown };
        const run = await store.transaction((tx) =>
          tx.insertRun(newRunRow({ status: "running", sequence_state: legacy })),
        );
        assert.ok(run);
        await store.close();
        // Migration 003 as the upgrade ran it, on that run. (Not through `migrate()`: the runner
        // refuses to apply a version older than ones already applied.)
        const migration003 = readFileSync(
          new URL(`../../src/store/${target.kind}/migrations/003_run_owners.sql`, import.meta.url),
          "utf8",
        );
        await execRaw(location, `DROP TABLE run_owners; ${migration003}`);
        store = openAt(location);
        const after = await store.getRun("p1", run.run_id);
        const { owners: _owners, ...expectedState } = JSON.parse(LEGACY_STATE);
        assert.deepEqual(after?.sequence_state, expectedState);
        const records = await store.transaction((tx) =>
          tx.getOwners(run.pk, ["m", "closed", "__proto__", "r"]),
        );
        assert.deepEqual(
          [...records].sort((a, b) => a.id.localeCompare(b.id)),
          [
            { kind: "toolCall", id: "__proto__", owner: "" },
            { kind: "message", id: "closed", owner: false },
            { kind: "message", id: "m", owner: "s1" },
            { kind: "reasoning", id: "r", owner: false },
          ],
        );
      } finally {
        await store.close().catch(() => {});
        await location.dispose();
      }
    });
  });
}
