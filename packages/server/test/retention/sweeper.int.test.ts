/**
 * The retention sweeper (docs/api.md §9): what retention deletes and keeps, bounded batches,
 * resuming after a restart, one sweeper at a time on PostgreSQL, tombstones that expire.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bearer, createKey } from "../auth/fixtures.ts";
import {
  createOtherProject,
  createRun,
  startTestServer,
  type TestServer,
} from "../helpers/server.ts";
import { freshStoreLocation, storeTargets } from "../helpers/stores.ts";
import {
  complete,
  countOf,
  describeRetention,
  MANUAL_SWEEPS,
  type RawQuery,
  rawQuery,
  runRowCount,
  sweepUntilIdle,
} from "./helpers.ts";

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

/** Pretends the run ended `days` ago. */
async function endedAgo(raw: RawQuery, runId: string, days: number): Promise<void> {
  await raw("UPDATE runs SET finished_at = $1 WHERE run_id = $2", [daysAgo(days), runId]);
}

/** Appends `count` CUSTOM events in requests of 100. */
async function appendMany(server: TestServer, runId: string, count: number): Promise<void> {
  for (let done = 0; done < count; done += 100) {
    const events = Array.from({ length: Math.min(100, count - done) }, (_, i) => ({
      type: "CUSTOM",
      name: "tick",
      value: { i: done + i, pad: "x".repeat(200) },
    }));
    const response = await server.request("POST", `/runs/${runId}/events`, { events });
    assert.equal(response.status, 200, response.text);
  }
}

const status = async (server: TestServer, runId: string) =>
  (await server.request("GET", `/runs/${runId}`)).status;

describeRetention(
  "project settings",
  (get) => {
    test("GET and PUT /projects/current/settings read and set retention_days (null: the server default)", async () => {
      const { server } = get();
      const initial = await server.request("GET", "/projects/current/settings");
      assert.equal(initial.status, 200);
      assert.equal(initial.body.retention_days, null);
      assert.equal(initial.body.effective_retention_days, 7);
      const set = await server.request("PUT", "/projects/current/settings", { retention_days: 30 });
      assert.equal(set.status, 200, set.text);
      assert.deepEqual(
        { days: set.body.retention_days, effective: set.body.effective_retention_days },
        { days: 30, effective: 30 },
      );
      assert.equal(
        (await server.request("GET", "/projects/current/settings")).body.retention_days,
        30,
      );
      const forever = await server.request("PUT", "/projects/current/settings", {
        retention_days: 0,
      });
      assert.equal(forever.body.effective_retention_days, 0);
      const reset = await server.request("PUT", "/projects/current/settings", {
        retention_days: null,
      });
      assert.equal(reset.body.retention_days, null);
      assert.equal(reset.body.effective_retention_days, 7);
    });

    test("bad settings are 400 invalid_request and change nothing; a non-admin key is 403", async () => {
      const { server } = get();
      for (const body of [
        { retention_days: -1 },
        { retention_days: 1.5 },
        { retention_days: "3" },
        { retention_days: 3, other: 1 },
      ]) {
        const response = await server.request("PUT", "/projects/current/settings", body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.body.code, "invalid_request");
      }
      const writer = await createKey(server, ["runs:write", "agent-runs:read"]);
      const refused = await server.request(
        "PUT",
        "/projects/current/settings",
        { retention_days: 1 },
        bearer(writer.key),
      );
      assert.equal(refused.status, 403);
      assert.equal(
        (await server.request("GET", "/projects/current/settings")).body.retention_days,
        null,
      );
    });
  },
  { RUNLINE_RETENTION_DAYS: "7" },
);

describeRetention("retention by project setting", (get) => {
  test("trees whose every run ended before the retention go; active, recent and other projects' runs stay", async () => {
    const { server, raw } = get();
    await server.request("PUT", "/projects/current/settings", { retention_days: 1 });

    const oldRoot = await createRun(server);
    const oldChild = await createRun(server, { parent_run_id: oldRoot.run_id });
    const busyRoot = await createRun(server);
    const busyChild = await createRun(server, { parent_run_id: busyRoot.run_id });
    const mixedRoot = await createRun(server);
    const recentChild = await createRun(server, { parent_run_id: mixedRoot.run_id });
    const recent = await createRun(server);
    for (const run of [oldChild, oldRoot, busyRoot, recentChild, mixedRoot, recent]) {
      await complete(server, run.run_id);
    }
    for (const run of [oldChild, oldRoot, busyRoot, mixedRoot]) await endedAgo(raw, run.run_id, 2);
    await endedAgo(raw, recentChild.run_id, 0.5);

    const otherKey = await createOtherProject(server);
    const foreign = await server.request(
      "POST",
      "/runs",
      {
        kind: "agent",
        owner: { kind: "conversation", id: oldRoot.conversation_id },
        request: { agent_id: "a" },
      },
      bearer(otherKey),
    );
    const foreignId = foreign.body.run.run_id as string;
    await server.request(
      "POST",
      `/runs/${foreignId}/complete`,
      { status: "completed" },
      bearer(otherKey),
    );
    await endedAgo(raw, foreignId, 400);

    const reports = await sweepUntilIdle(server);
    assert.equal(
      reports.reduce((n, r) => n + r.expiredRuns, 0),
      2,
    );
    assert.equal(await status(server, oldRoot.run_id), 410);
    assert.equal(await status(server, oldChild.run_id), 410);
    for (const run of [busyRoot, busyChild, mixedRoot, recentChild, recent]) {
      assert.equal(await status(server, run.run_id), 200, run.run_id);
    }
    const foreignRead = await server.request(
      "GET",
      `/runs/${foreignId}`,
      undefined,
      bearer(otherKey),
    );
    assert.equal(foreignRead.status, 200, "a project without retention keeps its runs");
    assert.equal(
      await countOf(raw, "SELECT COUNT(*) AS n FROM runs WHERE run_id IN ($1, $2)", [
        oldRoot.run_id,
        oldChild.run_id,
      ]),
      0,
    );
  });
});

describeRetention(
  "retention by RUNLINE_RETENTION_DAYS",
  (get) => {
    test("the server default applies to projects without a setting, and retention_days 0 overrides it", async () => {
      const { server, raw } = get();
      const old = await createRun(server);
      await complete(server, old.run_id);
      await endedAgo(raw, old.run_id, 4);
      await sweepUntilIdle(server);
      assert.equal(await status(server, old.run_id), 410);

      await server.request("PUT", "/projects/current/settings", { retention_days: 0 });
      const kept = await createRun(server);
      await complete(server, kept.run_id);
      await endedAgo(raw, kept.run_id, 400);
      await sweepUntilIdle(server);
      assert.equal(await status(server, kept.run_id), 200);
    });
  },
  { RUNLINE_RETENTION_DAYS: "3" },
);

describeRetention(
  "purging in bounded batches",
  (get) => {
    test("no purge transaction deletes more than RUNLINE_SWEEP_BATCH_ROWS rows, and together they delete everything", async () => {
      const { server, raw } = get();
      const run = await createRun(server);
      await appendMany(server, run.run_id, 1000);
      await complete(server, run.run_id);
      const pk = Number((await raw("SELECT pk FROM runs WHERE run_id = $1", [run.run_id]))[0]!.pk);
      const rowsOfRun = await runRowCount(raw, pk);
      assert.equal((await server.request("DELETE", `/runs/${run.run_id}`)).status, 204);

      const reports = await sweepUntilIdle(server);
      const batches = reports.flatMap((r) => r.batches);
      assert.ok(
        batches.every((rows) => rows <= 100),
        `batches: ${batches.join(", ")}`,
      );
      assert.ok(batches.length >= 10, `only ${batches.length} batches`);
      // 1000 events + RUN_STARTED + RUN_FINISHED, their conversation frames and the lifecycle
      // frames, and the runs row: everything the run had.
      assert.ok(rowsOfRun > 1003, `the run had ${rowsOfRun} rows`);
      assert.equal(
        batches.reduce((a, b) => a + b, 0),
        rowsOfRun,
      );
      assert.equal(await runRowCount(raw, pk), 0);
      assert.equal(
        await countOf(raw, "SELECT COUNT(*) AS n FROM run_events WHERE run_pk = $1", [pk]),
        0,
      );
    });
  },
  { RUNLINE_SWEEP_BATCH_ROWS: "100" },
);

describeRetention("tombstones", (get) => {
  test("a tombstone older than RUNLINE_TOMBSTONE_DAYS is forgotten: the run is 404 and its public_id free again", async () => {
    const { server, raw } = get();
    const run = await createRun(server, { public_id: "tombstoned-1" });
    await complete(server, run.run_id);
    await server.request("DELETE", "/runs/tombstoned-1");
    await sweepUntilIdle(server);
    assert.equal(await status(server, "tombstoned-1"), 410);
    await raw("UPDATE run_tombstones SET deleted_at = $1 WHERE run_id = $2", [
      daysAgo(29),
      "tombstoned-1",
    ]);
    await sweepUntilIdle(server);
    assert.equal(await status(server, "tombstoned-1"), 410, "kept for at least 30 days");
    await raw("UPDATE run_tombstones SET deleted_at = $1 WHERE run_id = $2", [
      daysAgo(31),
      "tombstoned-1",
    ]);
    const reports = await sweepUntilIdle(server);
    assert.equal(
      reports.reduce((n, r) => n + r.tombstonesExpired, 0),
      1,
    );
    assert.equal(await status(server, "tombstoned-1"), 404);
    const reused = await createRun(server, { public_id: "tombstoned-1" });
    assert.equal(reused.run_id, "tombstoned-1");
  });
});

for (const target of storeTargets()) {
  describe(`sweeper across restarts and instances [${target.kind}]`, { skip: target.skip }, () => {
    test("a sweep cut short resumes after a restart and finishes the purge", async () => {
      const location = await freshStoreLocation(target.kind);
      const raw = rawQuery(location);
      try {
        const first = await startTestServer(target.kind, MANUAL_SWEEPS, { location });
        const run = await createRun(first);
        await appendMany(first, run.run_id, 300);
        await complete(first, run.run_id);
        assert.equal((await first.request("DELETE", `/runs/${run.run_id}`)).status, 204);
        const pk = Number(
          (await raw("SELECT pk FROM runs WHERE run_id = $1", [run.run_id]))[0]!.pk,
        );
        const before = await runRowCount(raw, pk);
        // One batch, then the process goes away.
        const batch = await first.server.store.transaction((tx) => tx.retention.purge(100));
        assert.deepEqual({ rows: batch.rows, more: batch.more }, { rows: 100, more: true });
        await first.close();
        assert.equal(await runRowCount(raw, pk), before - 100);

        const second = await startTestServer(target.kind, MANUAL_SWEEPS, { location });
        try {
          assert.equal(await status(second, run.run_id), 410, "still deleted after the restart");
          await sweepUntilIdle(second);
          assert.equal(
            await countOf(raw, "SELECT COUNT(*) AS n FROM run_events WHERE run_pk = $1", [pk]),
            0,
          );
          assert.equal(await countOf(raw, "SELECT COUNT(*) AS n FROM runs WHERE pk = $1", [pk]), 0);
        } finally {
          await second.close();
        }
      } finally {
        await location.dispose();
      }
    });

    test("only one sweeper works at a time: another instance skips its turn while the lock is held", {
      skip:
        target.kind === "sqlite"
          ? "SQLite has one writer per file: its sweeper lock is always free"
          : false,
    }, async () => {
      const location = await freshStoreLocation(target.kind);
      const a = await startTestServer(target.kind, MANUAL_SWEEPS, { location });
      const b = await startTestServer(target.kind, MANUAL_SWEEPS, { location });
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let locked!: (value: boolean) => void;
        const lockTaken = new Promise<boolean>((resolve) => {
          locked = resolve;
        });
        const holder = a.server.store.transaction(async (tx) => {
          locked(await tx.retention.tryLockSweeper());
          await held;
        });
        assert.equal(await lockTaken, true);
        const skipped = await b.server.sweeper.runOnce();
        assert.equal(skipped.skipped, true);
        release();
        await holder;
        const ran = await b.server.sweeper.runOnce();
        assert.equal(ran.skipped, false);
      } finally {
        await a.close();
        await b.close();
        await location.dispose();
      }
    });
  });
}

describeRetention(
  "the background sweeper",
  (get) => {
    test("purges a deleted run on its own, woken by the DELETE, without anyone calling it", async () => {
      const { server, raw } = get();
      const run = await createRun(server);
      await appendMany(server, run.run_id, 100);
      await complete(server, run.run_id);
      const pk = Number((await raw("SELECT pk FROM runs WHERE run_id = $1", [run.run_id]))[0]!.pk);
      const purged = new Promise<void>((resolve) => {
        server.server.sweeper.onSwept((report) => {
          if (report.purgedRuns > 0) resolve();
        });
      });
      assert.equal((await server.request("DELETE", `/runs/${run.run_id}`)).status, 204);
      await purged;
      assert.equal(
        await countOf(raw, "SELECT COUNT(*) AS n FROM run_events WHERE run_pk = $1", [pk]),
        0,
      );
      assert.equal(await countOf(raw, "SELECT COUNT(*) AS n FROM runs WHERE pk = $1", [pk]), 0);
    });
  },
  { RUNLINE_SWEEP_INTERVAL_MS: "3600000" },
);
