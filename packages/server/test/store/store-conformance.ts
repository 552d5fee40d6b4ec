/**
 * The RunStore conformance suite: every store implementation must pass it unchanged.
 * `describeStore` registers the suite for one store kind (skipped, visibly, when unavailable).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { NewEvent, NewRun, RunStore, WorkerRow } from "../../src/store/types.ts";
import { newRunRow } from "../helpers/fixtures.ts";
import { openTestStore, type TestStoreTarget } from "../helpers/stores.ts";

const event = (
  id: number,
  type: string,
  externalSeq: number | null,
  extra: object = {},
): NewEvent => {
  const body = { type, ...extra };
  return {
    event_id: id,
    event_type: type,
    external_seq: externalSeq,
    event: body,
    json: JSON.stringify(body),
    created_at: new Date().toISOString(),
  };
};

export function describeStore(target: TestStoreTarget): void {
  describe(`RunStore conformance: ${target.kind}`, { skip: target.skip }, () => {
    let store: RunStore;
    before(async () => {
      store = await openTestStore(target.kind);
    });
    after(async () => {
      await store?.close();
    });

    test("migrate is idempotent", async () => {
      await store.migrate();
      await store.migrate();
      await store.ping();
    });

    test("insertRun stores every field and refuses a second run with the same id", async () => {
      const row = newRunRow({ metadata: { a: 1 }, worker_key: "w" });
      const inserted = await store.transaction((tx) => tx.insertRun(row));
      assert.ok(inserted);
      assert.equal(typeof inserted.pk, "number");
      const { pk: _pk, ...stored } = inserted;
      assert.deepEqual(stored, row);
      const again = await store.transaction((tx) => tx.insertRun({ ...row, agent_id: "other" }));
      assert.equal(again, undefined);
      const read = await store.getRun("p1", row.run_id);
      assert.equal(read?.agent_id, "agent");
      assert.equal(await store.getRun("p2", row.run_id), undefined, "runs are per project");
    });

    test("a transaction that throws writes nothing", async () => {
      const row = newRunRow();
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertRun(row);
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.equal(await store.getRun("p1", row.run_id), undefined);
    });

    test("events read back in id order with their JSON intact", async () => {
      const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
      await store.transaction(async (tx) => {
        await tx.insertEvents(run.pk, [
          event(1, "RUN_STARTED", null, { threadId: "t", runId: "r" }),
          event(2, "CUSTOM", 1, { name: "x", value: { nested: ["ü", 1.5, null] } }),
          event(3, "CUSTOM", 2, { name: "y", value: 2 }),
        ]);
        await tx.updateRun(run.pk, { latest_event_id: 3, latest_external_event_sequence: 2 });
      });
      const all = await store.readEvents(run.pk, 0, 10);
      assert.deepEqual(
        all.map((e) => e.event_id),
        [1, 2, 3],
      );
      assert.deepEqual(all[1]?.event, {
        type: "CUSTOM",
        name: "x",
        value: { nested: ["ü", 1.5, null] },
      });
      assert.deepEqual(
        (await store.readEvents(run.pk, 1, 1)).map((e) => e.event_id),
        [2],
      );
      const after = await store.getRun("p1", run.run_id);
      assert.equal(after?.latest_event_id, 3);
      assert.equal(after?.latest_external_event_sequence, 2);
    });

    test("a duplicate event id is refused and the transaction leaves no trace", async () => {
      const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
      await store.transaction((tx) =>
        tx.insertEvents(run.pk, [event(1, "CUSTOM", 1, { name: "a", value: 1 })]),
      );
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.updateRun(run.pk, { latest_event_id: 99 });
          await tx.insertEvents(run.pk, [event(1, "CUSTOM", 2, { name: "b", value: 2 })]);
        }),
      );
      assert.equal((await store.readEvents(run.pk, 0, 10)).length, 1);
      assert.equal((await store.getRun("p1", run.run_id))?.latest_event_id, 0);
    });

    test("externalEventsAfter skips server-written events, by event id or by external sequence", async () => {
      const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
      await store.transaction((tx) =>
        tx.insertEvents(run.pk, [
          event(1, "RUN_STARTED", null, { threadId: "t", runId: "r" }),
          event(2, "CUSTOM", 1, { name: "a", value: 1 }),
          event(3, "TOOL_CALL_RESULT", null, { toolCallId: "tc", messageId: "m", content: "ok" }),
          event(4, "CUSTOM", 2, { name: "b", value: 2 }),
        ]),
      );
      const byId = await store.transaction((tx) =>
        tx.externalEventsAfter(run.pk, { afterEventId: 0 }, 10),
      );
      assert.deepEqual(
        byId.map((e) => e.name),
        ["a", "b"],
      );
      const bySeq = await store.transaction((tx) =>
        tx.externalEventsAfter(run.pk, { afterExternalSeq: 1 }, 10),
      );
      assert.deepEqual(
        bySeq.map((e) => e.name),
        ["b"],
      );
      const limited = await store.transaction((tx) =>
        tx.externalEventsAfter(run.pk, { afterEventId: 0 }, 1),
      );
      assert.equal(limited.length, 1);
      const result = await store.transaction((tx) => tx.findToolCallResult(run.pk, "tc"));
      assert.equal(result?.content, "ok");
      assert.equal(
        await store.transaction((tx) => tx.findToolCallResult(run.pk, "nope")),
        undefined,
      );
    });

    test("updateRun changes only the given columns, JSON included", async () => {
      const run = (await store.transaction((tx) =>
        tx.insertRun(newRunRow({ metadata: { keep: true } })),
      ))!;
      await store.transaction((tx) =>
        tx.updateRun(run.pk, {
          status: "running",
          worker_session: { key: "s" },
          started_at: "2026-01-01T00:00:00.000Z",
        }),
      );
      const read = await store.getRun("p1", run.run_id);
      assert.equal(read?.status, "running");
      assert.deepEqual(read?.worker_session, { key: "s" });
      assert.deepEqual(read?.metadata, { keep: true });
      assert.equal(read?.started_at, "2026-01-01T00:00:00.000Z");
    });

    test("listRuns filters and pages by keyset in both directions", async () => {
      const conversation = "00000000-0000-4000-8000-000000000001";
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const row = newRunRow({
          project_id: "p-list",
          conversation_id: conversation,
          agent_id: i % 2 ? "odd" : "even",
        });
        ids.push(row.run_id);
        await store.transaction((tx) => tx.insertRun(row));
      }
      const desc = await store.listRuns({ project_id: "p-list" }, { order: "desc", limit: 3 });
      assert.deepEqual(
        desc.map((r) => r.run_id),
        [ids[4], ids[3], ids[2]],
      );
      const next = await store.listRuns(
        { project_id: "p-list" },
        { order: "desc", limit: 3, afterPk: desc[2]!.pk },
      );
      assert.deepEqual(
        next.map((r) => r.run_id),
        [ids[1], ids[0]],
      );
      const asc = await store.listRuns(
        { project_id: "p-list", agent_id: "odd" },
        { order: "asc", limit: 10 },
      );
      assert.deepEqual(
        asc.map((r) => r.run_id),
        [ids[1], ids[3]],
      );
      assert.equal(
        (await store.listRuns({ project_id: "p-other" }, { order: "asc", limit: 10 })).length,
        0,
      );
    });

    test("listActiveRunsInTree finds active descendants at any depth, not the run itself", async () => {
      const root = newRunRow({ project_id: "p-tree" });
      const child = newRunRow({
        project_id: "p-tree",
        parent_run_id: root.run_id,
        root_run_id: root.run_id,
      });
      const grandchild = newRunRow({
        project_id: "p-tree",
        parent_run_id: child.run_id,
        root_run_id: root.run_id,
      });
      const done = newRunRow({
        project_id: "p-tree",
        parent_run_id: root.run_id,
        root_run_id: root.run_id,
        status: "completed",
      });
      await store.transaction(async (tx) => {
        for (const r of [root, child, grandchild, done]) await tx.insertRun(r);
      });
      const found = await store.transaction((tx) => tx.listActiveRunsInTree("p-tree", root.run_id));
      assert.deepEqual(
        new Set(found.map((r) => r.run_id)),
        new Set([child.run_id, grandchild.run_id]),
      );
    });

    test("ensureConversation creates once and reports whether it did", async () => {
      const conversation = {
        project_id: "p1",
        id: "00000000-0000-4000-8000-00000000000a",
        metadata: { title: "hi" },
        created_at: new Date().toISOString(),
      };
      const first = await store.transaction((tx) => tx.ensureConversation(conversation));
      const second = await store.transaction((tx) =>
        tx.ensureConversation({ ...conversation, metadata: null }),
      );
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.deepEqual(second.conversation.metadata, { title: "hi" });
      assert.deepEqual((await store.getConversation("p1", conversation.id))?.metadata, {
        title: "hi",
      });
      assert.equal(await store.getConversation("p2", conversation.id), undefined);
    });

    test("projects, API keys and revocation", async () => {
      const now = new Date().toISOString();
      await store.transaction(async (tx) => {
        await tx.lockBootstrap();
        await tx.insertProject({ id: "proj-keys", name: "k", created_at: now });
        await tx.insertApiKey({
          id: "key-1",
          project_id: "proj-keys",
          name: "n",
          prefix: "abc123",
          secret_hash: "00ff",
          scopes: ["admin"],
          created_at: now,
          revoked_at: null,
          last_used_at: null,
        });
      });
      assert.ok(await store.transaction((tx) => tx.firstProjectId()));
      const projects = await store.transaction((tx) => tx.listProjects());
      assert.deepEqual(
        projects.find((p) => p.id === "proj-keys"),
        { id: "proj-keys", name: "k", created_at: now },
      );
      const key = await store.getApiKeyByPrefix("abc123");
      assert.deepEqual(key?.scopes, ["admin"]);
      assert.equal((await store.listApiKeys("proj-keys")).length, 1);
      await store.touchApiKey("key-1", now);
      assert.equal((await store.getApiKeyByPrefix("abc123"))?.last_used_at, now);
      assert.equal(await store.revokeApiKey("other-project", "key-1", now), false);
      assert.equal(await store.revokeApiKey("proj-keys", "key-1", now), true);
      assert.equal((await store.getApiKeyByPrefix("abc123"))?.revoked_at, now);
    });

    test("getOrCreateSecret creates once and then returns the same value", async () => {
      const a = await store.getOrCreateSecret("test-secret", () => "first");
      const b = await store.getOrCreateSecret("test-secret", () => "second");
      assert.equal(a, "first");
      assert.equal(b, "first");
    });

    test("concurrent transactions commit independently: the ones that throw leave no trace", async () => {
      const rows = Array.from({ length: 30 }, (_, i) =>
        newRunRow({ project_id: "p-group", agent_id: `g${i}` }),
      );
      const results = await Promise.allSettled(
        rows.map((row, i) =>
          store.transaction(async (tx) => {
            await tx.insertRun(row);
            if (i % 3 === 0) throw new Error(`refused ${i}`);
            return i;
          }),
        ),
      );
      results.forEach((result, i) => {
        assert.equal(result.status, i % 3 === 0 ? "rejected" : "fulfilled", `transaction ${i}`);
      });
      const stored = await store.listRuns({ project_id: "p-group" }, { order: "asc", limit: 100 });
      assert.deepEqual(
        new Set(stored.map((r) => r.agent_id)),
        new Set(rows.filter((_, i) => i % 3 !== 0).map((r) => r.agent_id)),
      );
    });

    test("concurrent transactions on one run serialise: no lost update", async () => {
      const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store.transaction(async (tx) => {
            const current = (await tx.getRunForUpdate("p1", run.run_id))!;
            const next = current.latest_event_id + 1;
            await tx.insertEvents(run.pk, [
              event(next, "CUSTOM", next, { name: "n", value: next }),
            ]);
            await tx.updateRun(run.pk, { latest_event_id: next });
          }),
        ),
      );
      const events = await store.readEvents(run.pk, 0, 100);
      assert.deepEqual(
        events.map((e) => e.event_id),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    test("owner records are found by id whatever their kind, and replaced per (kind, id)", async () => {
      const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
      const other = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
      await store.transaction(async (tx) => {
        await tx.putOwners(run.pk, [
          { kind: "message", id: "m", owner: false },
          { kind: "reasoning", id: "m", owner: "" },
          { kind: "toolCall", id: "__proto__", owner: "s1" },
          { kind: "activity", id: "unrelated", owner: "s2" },
          // Ids and owners come from event payloads, where NUL and lone surrogates are allowed.
          { kind: "message", id: "nul\u0000id", owner: "sub\u0000agent" },
          { kind: "message", id: "half \ud800", owner: "\udc00" },
        ]);
        await tx.putOwners(other.pk, [{ kind: "message", id: "m", owner: "elsewhere" }]);
      });
      await store.transaction((tx) =>
        tx.putOwners(run.pk, [{ kind: "message", id: "m", owner: "s3" }]),
      );
      const sort = (records: { kind: string }[]) =>
        [...records].sort((a, b) => a.kind.localeCompare(b.kind));
      const read = await store.transaction((tx) =>
        tx.getOwners(run.pk, ["m", "__proto__", "missing"]),
      );
      const unusual = await store.transaction((tx) =>
        tx.getOwners(run.pk, ["nul\u0000id", "half \ud800", "half \ufffd"]),
      );
      assert.deepEqual(
        [...unusual].sort((a, b) => a.id.localeCompare(b.id)),
        [
          { kind: "message", id: "half \ud800", owner: "\udc00" },
          { kind: "message", id: "nul\u0000id", owner: "sub\u0000agent" },
        ],
      );
      assert.deepEqual(sort(read), [
        { kind: "message", id: "m", owner: "s3" },
        { kind: "reasoning", id: "m", owner: "" },
        { kind: "toolCall", id: "__proto__", owner: "s1" },
      ]);
      assert.deepEqual(await store.transaction((tx) => tx.getOwners(run.pk, [])), []);
      const forAppend = await store.getRunForAppend("p1", run.run_id, ["m"]);
      assert.equal(forAppend?.run.pk, run.pk);
      assert.deepEqual(sort(forAppend?.owners ?? []), [
        { kind: "message", id: "m", owner: "s3" },
        { kind: "reasoning", id: "m", owner: "" },
      ]);
      assert.equal(await store.getRunForAppend("p2", run.run_id, ["m"]), undefined);
    });

    test("appendToRun writes events, owners and the patch only while the run matches what was read", async () => {
      const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
      const write = (expected: typeof run, id: number, owner: string) => ({
        runPk: run.pk,
        expected,
        patch: { latest_event_id: id, latest_external_event_sequence: id },
        events: [event(id, "CUSTOM", id, { name: "n", value: id })],
        owners: [{ kind: "message" as const, id: "m", owner }],
      });
      const first = await store.appendToRun(write(run, 1, "first"));
      // The run as the write left it, every column as stored.
      assert.deepEqual(first, await store.getRun("p1", run.run_id));
      assert.equal(first?.latest_event_id, 1);
      // Stale: the run's cursor moved on since `run` was read.
      assert.equal(await store.appendToRun(write(run, 1, "stale")), undefined);
      const after = (await store.getRun("p1", run.run_id))!;
      assert.equal(after.latest_event_id, 1);
      // A lease change alone also makes the read stale.
      await store.transaction((tx) =>
        tx.updateRun(run.pk, { lease_owner: "w", lease_expires_at: "2030-01-01T00:00:00.000Z" }),
      );
      assert.equal(await store.appendToRun(write(after, 2, "stale")), undefined);
      const leased = (await store.getRun("p1", run.run_id))!;
      assert.ok(await store.appendToRun(write(leased, 2, "second")));
      const events = await store.readEvents(run.pk, 0, 10);
      assert.deepEqual(
        events.map((e) => e.event),
        [
          { type: "CUSTOM", name: "n", value: 1 },
          { type: "CUSTOM", name: "n", value: 2 },
        ],
      );
      const owners = await store.transaction((tx) => tx.getOwners(run.pk, ["m"]));
      assert.deepEqual(owners, [{ kind: "message", id: "m", owner: "second" }]);
    });

    test("concurrent compare-and-set appends to one run: exactly one of each race wins", async () => {
      const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.appendToRun({
            runPk: run.pk,
            expected: run,
            patch: { latest_event_id: 1 },
            events: [event(1, "CUSTOM", null, { name: "n", value: i })],
            owners: [],
          }),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.readEvents(run.pk, 0, 10)).length, 1);
    });

    describeWorkerStorage(() => store);
  });
}

const at = (seconds: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, seconds)).toISOString();

function workerRow(overrides: Partial<WorkerRow> = {}): WorkerRow {
  return {
    id: randomUUID(),
    project_id: "p-workers",
    implementation_kind: "kind-a",
    worker_key: `key-${randomUUID()}`,
    implementation_display_name: null,
    display_name: null,
    metadata: null,
    status: "active",
    last_heartbeat_at: at(0),
    created_at: at(0),
    ...overrides,
  };
}

/** Workers and claims: registration, the claim query, lease expiry, concurrent claims. */
function describeWorkerStorage(getStore: () => RunStore): void {
  test("ensureWorker creates one worker per (project, kind, key) and returns the stored one", async () => {
    const store = getStore();
    const row = workerRow({ display_name: "first", metadata: { v: 1 } });
    const first = await store.transaction((tx) => tx.ensureWorker(row));
    assert.equal(first.created, true);
    assert.deepEqual(first.worker, row);
    const again = await store.transaction((tx) =>
      tx.ensureWorker({ ...row, id: randomUUID(), display_name: "second" }),
    );
    assert.equal(again.created, false);
    assert.deepEqual(again.worker, row, "the existing worker, unchanged");
    const otherKind = await store.transaction((tx) =>
      tx.ensureWorker({ ...row, id: randomUUID(), implementation_kind: "kind-b" }),
    );
    assert.equal(otherKind.created, true);
    const otherProject = await store.transaction((tx) =>
      tx.ensureWorker({ ...row, id: randomUUID(), project_id: "p-workers-2" }),
    );
    assert.equal(otherProject.created, true);
    assert.deepEqual(await store.getWorker("p-workers", row.id), row);
    assert.equal(
      await store.getWorker("p-workers-2", row.id),
      undefined,
      "workers are per project",
    );
  });

  test("updateWorker changes only the given fields of a worker of that project", async () => {
    const store = getStore();
    const row = workerRow({ display_name: "keep", metadata: { a: 1 } });
    await store.transaction((tx) => tx.ensureWorker(row));
    const updated = await store.transaction((tx) =>
      tx.updateWorker("p-workers", row.id, {
        last_heartbeat_at: at(30),
        status: "inactive",
        metadata: { b: [2] },
      }),
    );
    assert.deepEqual(updated, {
      ...row,
      last_heartbeat_at: at(30),
      status: "inactive",
      metadata: { b: [2] },
    });
    assert.deepEqual(await store.getWorker("p-workers", row.id), updated);
    assert.deepEqual(
      await store.transaction((tx) => tx.updateWorker("p-workers", row.id, {})),
      updated,
    );
    assert.equal(
      await store.transaction((tx) => tx.updateWorker("p-elsewhere", row.id, { status: "active" })),
      undefined,
    );
    assert.equal((await store.getWorker("p-workers", row.id))?.status, "inactive");
  });

  test("claimableRunForUpdate takes the oldest pending or lease-expired run of the kind, honouring worker_key", async () => {
    const store = getStore();
    const project = `p-claim-${randomUUID()}`;
    const kind = "kind-claim";
    const runs = {
      done: newRunRow({ project_id: project, implementation_kind: kind, status: "completed" }),
      otherKind: newRunRow({ project_id: project, implementation_kind: "other" }),
      noKind: newRunRow({ project_id: project }),
      otherKey: newRunRow({ project_id: project, implementation_kind: kind, worker_key: "k2" }),
      leased: newRunRow({
        project_id: project,
        implementation_kind: kind,
        status: "running",
        lease_owner: "w-other",
        lease_expires_at: at(100),
      }),
      waiting: newRunRow({
        project_id: project,
        implementation_kind: kind,
        status: "waiting_for_tool",
        lease_owner: "w-other",
        lease_expires_at: at(1),
      }),
      expiring: newRunRow({
        project_id: project,
        implementation_kind: kind,
        status: "running",
        lease_owner: "w-other",
        lease_expires_at: at(50),
      }),
      pendingMine: newRunRow({ project_id: project, implementation_kind: kind, worker_key: "k1" }),
      unleased: newRunRow({ project_id: project, implementation_kind: kind, status: "running" }),
    };
    await store.transaction(async (tx) => {
      for (const run of Object.values(runs)) await tx.insertRun(run);
    });
    const query = { project_id: project, implementation_kind: kind, worker_key: "k1" };
    const claim = (now: string) =>
      store.transaction((tx) => tx.claimableRunForUpdate({ ...query, now }));
    const takeAll = async (now: string) => {
      const taken: string[] = [];
      for (;;) {
        const run = await store.transaction(async (tx) => {
          const found = await tx.claimableRunForUpdate({ ...query, now });
          if (found)
            await tx.updateRun(found.pk, {
              lease_owner: "w1",
              lease_expires_at: at(999),
              status: "running",
            });
          return found;
        });
        if (!run) return taken;
        taken.push(run.run_id);
      }
    };

    assert.equal((await claim(at(10)))?.run_id, runs.pendingMine.run_id, "the oldest first");
    assert.deepEqual(await takeAll(at(10)), [runs.pendingMine.run_id, runs.unleased.run_id]);
    assert.equal(await claim(at(10)), undefined, "nothing left before the lease expires");
    assert.deepEqual(
      await takeAll(at(50)),
      [runs.expiring.run_id],
      "a lease expires at its instant",
    );
    assert.equal(await claim(at(99)), undefined, "a held lease keeps its run");
    assert.deepEqual(await takeAll(at(100)), [runs.leased.run_id]);
    assert.equal(await claim(at(100)), undefined, "other kinds, other keys, waiting and done stay");
  });

  test("nextLeaseExpiry is the earliest future lease on a matching running run", async () => {
    const store = getStore();
    const project = `p-expiry-${randomUUID()}`;
    const kind = "kind-expiry";
    const query = { project_id: project, implementation_kind: kind, worker_key: "k1" };
    assert.equal(await store.nextLeaseExpiry({ ...query, now: at(0) }), undefined);
    const leased = (seconds: number, extra: Partial<NewRun> = {}) =>
      newRunRow({
        project_id: project,
        implementation_kind: kind,
        status: "running",
        lease_owner: "w",
        lease_expires_at: at(seconds),
        ...extra,
      });
    await store.transaction(async (tx) => {
      await tx.insertRun(leased(40));
      await tx.insertRun(leased(20));
      await tx.insertRun(leased(5, { worker_key: "k2" }));
      await tx.insertRun(leased(6, { status: "waiting_for_tool" }));
      await tx.insertRun(leased(7, { implementation_kind: "other" }));
    });
    assert.equal(await store.nextLeaseExpiry({ ...query, now: at(0) }), at(20));
    assert.equal(await store.nextLeaseExpiry({ ...query, now: at(20) }), at(40));
    assert.equal(await store.nextLeaseExpiry({ ...query, now: at(40) }), undefined);
  });

  test("concurrent claims never take the same run", async () => {
    const store = getStore();
    const project = `p-race-${randomUUID()}`;
    const kind = "kind-race";
    await store.transaction(async (tx) => {
      for (let i = 0; i < 10; i++) {
        await tx.insertRun(newRunRow({ project_id: project, implementation_kind: kind }));
      }
    });
    const claims = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.transaction(async (tx) => {
          const run = await tx.claimableRunForUpdate({
            project_id: project,
            implementation_kind: kind,
            worker_key: `k${i}`,
            now: at(0),
          });
          if (!run) return undefined;
          await tx.updateRun(run.pk, {
            status: "running",
            lease_owner: `w${i}`,
            lease_expires_at: at(60),
          });
          return run.run_id;
        }),
      ),
    );
    const taken = claims.filter((id): id is string => id !== undefined);
    assert.equal(new Set(taken).size, taken.length, "no run taken twice");
    const all = await store.listRuns({ project_id: project }, { order: "asc", limit: 100 });
    assert.equal(taken.length, 10, "every run was taken: a claim finds nothing only when all are");
    assert.ok(all.every((r) => r.lease_owner !== null));
  });
}
