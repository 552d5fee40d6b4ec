/**
 * Space comes back on SQLite (docs/api.md §9): under a steady create / complete / delete load the
 * database file stops growing (freed pages are reused, and `incremental_vacuum` gives them back
 * to the file system), and a file created before auto-vacuum existed is converted once.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { createRun, startTestServer, type TestServer } from "../helpers/server.ts";
import { freshStoreLocation } from "../helpers/stores.ts";
import { complete, MANUAL_SWEEPS, sweepUntilIdle } from "./helpers.ts";

const PAD = "x".repeat(1000);
const CONVERSATION = randomUUID();

/** Size of the database file once the WAL is folded into it. */
function fileSize(file: string): number {
  const db = new Database(file);
  try {
    db.pragma("busy_timeout = 5000");
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  return statSync(file).size;
}

/** Creates `runs` runs of `events` ~1 KB events each and ends them; their ids. */
async function load(server: TestServer, runs: number, events: number): Promise<string[]> {
  const ids: string[] = [];
  for (let r = 0; r < runs; r++) {
    const run = await createRun(server, { conversationId: CONVERSATION });
    const batch = Array.from({ length: events }, (_, i) => ({
      type: "CUSTOM",
      name: "tick",
      value: { i, pad: PAD },
    }));
    const appended = await server.request("POST", `/runs/${run.run_id}/events`, { events: batch });
    assert.equal(appended.status, 200, appended.text);
    await complete(server, run.run_id);
    ids.push(run.run_id);
  }
  return ids;
}

test("the SQLite file stops growing under a steady create, complete and delete load", async () => {
  const location = await freshStoreLocation("sqlite");
  const server = await startTestServer("sqlite", MANUAL_SWEEPS, { location });
  const file = join(location.dataDir!, "runline.db");
  try {
    const sizes: number[] = [];
    const rounds = 12;
    const bytesPerRound = 10 * 50 * PAD.length;
    for (let round = 0; round < rounds; round++) {
      for (const id of await load(server, 10, 50)) {
        assert.equal((await server.request("DELETE", `/runs/${id}`)).status, 204);
      }
      await sweepUntilIdle(server);
      sizes.push(fileSize(file));
    }
    // What stays is small and known: the tombstones of the deleted runs (kept 30 days) and
    // the runs' conversations. Beyond those, every round's data lands on reused pages.
    const growthPerRound = (sizes[rounds - 1]! - sizes[2]!) / (rounds - 3);
    assert.ok(
      growthPerRound < bytesPerRound * 0.05,
      `the file kept growing: ${sizes.map((s) => Math.round(s / 1024)).join(", ")} KiB`,
    );
    // Far more was written than the file holds: the space was used again and again.
    assert.ok(rounds * bytesPerRound > 4 * sizes[rounds - 1]!, `final size ${sizes[rounds - 1]}`);
  } finally {
    await server.close();
    await location.dispose();
  }
});

test("deleting most runs gives the space back to the file system (incremental vacuum)", async () => {
  const location = await freshStoreLocation("sqlite");
  const server = await startTestServer("sqlite", MANUAL_SWEEPS, { location });
  const file = join(location.dataDir!, "runline.db");
  try {
    const ids = await load(server, 40, 100);
    const full = fileSize(file);
    for (const id of ids.slice(0, 36)) {
      assert.equal((await server.request("DELETE", `/runs/${id}`)).status, 204);
    }
    const reports = await sweepUntilIdle(server);
    assert.ok(reports.some((r) => r.pagesReclaimed > 0));
    const after = fileSize(file);
    assert.ok(after < full / 2, `file went from ${full} to ${after} bytes`);
    for (const id of ids.slice(36)) {
      assert.equal(
        (await server.request("GET", `/runs/${id}/events?limit=500`)).body.data.length,
        102,
      );
    }
  } finally {
    await server.close();
    await location.dispose();
  }
});

test("a database file created without auto-vacuum is converted once at start, its data kept", async () => {
  const location = await freshStoreLocation("sqlite");
  const file = join(location.dataDir!, "runline.db");
  try {
    const legacy = new Database(file);
    legacy.pragma("journal_mode = WAL");
    legacy.exec("CREATE TABLE legacy_probe (x TEXT)");
    const insert = legacy.prepare("INSERT INTO legacy_probe VALUES (?)");
    legacy.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run(PAD);
    })();
    assert.equal(legacy.pragma("auto_vacuum", { simple: true }), 0);
    legacy.close();

    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on("warning", onWarning);
    const store = new SqliteStore({ file, synchronous: "NORMAL" });
    try {
      await store.migrate();
      await store.migrate();
    } finally {
      await store.close();
      await new Promise((resolve) => setImmediate(resolve));
      process.off("warning", onWarning);
    }
    assert.equal(warnings.filter((w) => /incremental auto-vacuum/.test(w)).length, 1);

    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma("auto_vacuum", { simple: true }), 2);
      assert.equal(
        (db.prepare("SELECT COUNT(*) AS n FROM legacy_probe").get() as { n: number }).n,
        500,
      );
      assert.ok(db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'run_tombstones'").get());
    } finally {
      db.close();
    }
  } finally {
    await location.dispose();
  }
});
