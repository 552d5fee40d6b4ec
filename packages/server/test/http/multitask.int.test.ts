/**
 * multitask_strategy on run creation (docs/api.md §8): what a new root run does about the
 * conversation's other active root runs — allow, reject, enqueue (a FIFO queue workers respect),
 * interrupt (cancel them, with cascade, in the creating transaction).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { createRun, describeEachStore, type TestServer } from "../helpers/server.ts";
import { append, complete, custom } from "../live/run-fixtures.ts";
import { claim, registerWorker, uniqueKind, until } from "../workers/worker-helpers.ts";

/** POST /runs in conversation `cid` with a strategy; the raw response. */
function create(
  server: TestServer,
  cid: string,
  strategy: string | undefined,
  extra: Record<string, unknown> = {},
  request: Record<string, unknown> = {},
) {
  return server.request("POST", "/runs", {
    kind: "agent",
    owner: { kind: "conversation", id: cid },
    request: { agent_id: "agent-1", ...request },
    ...(strategy !== undefined && { multitask_strategy: strategy }),
    ...extra,
  });
}

async function created(
  server: TestServer,
  cid: string,
  strategy: string | undefined,
  extra: Record<string, unknown> = {},
  request: Record<string, unknown> = {},
) {
  const response = await create(server, cid, strategy, extra, request);
  assert.equal(response.status, 202, response.text);
  return response.body.run as { run_id: string; status: string; queued_behind: string | null };
}

async function runOf(server: TestServer, runId: string) {
  const response = await server.request("GET", `/runs/${runId}`);
  assert.equal(response.status, 200, response.text);
  return response.body as { run_id: string; status: string; queued_behind: string | null };
}

describeEachStore("multitask strategies (docs/api.md §8)", (server) => {
  test("allow (the default, and explicit) creates alongside active root runs; both records show queued_behind null", async () => {
    const cid = randomUUID();
    const first = await created(server(), cid, undefined, {}, { initial_status: "running" });
    const second = await created(server(), cid, "allow");
    assert.equal(first.queued_behind, null);
    assert.equal(second.queued_behind, null);
    const record = await server().request("GET", `/conversations/${cid}/runs/${second.run_id}`);
    assert.equal(record.body.queued_behind, null);
    assert.ok("queued_behind" in record.body);
  });

  test("reject answers 409 conversation_busy with active_run_ids (root runs only) and creates nothing", async () => {
    const cid = randomUUID();
    const root = await created(server(), cid, undefined, {}, { initial_status: "running" });
    const pending = await created(server(), cid, undefined);
    // A child of the root, in the same conversation: children never count.
    await created(server(), cid, undefined, { parent_run_id: root.run_id });
    const publicId = `rej-${randomUUID()}`;
    const refused = await create(server(), cid, "reject", { public_id: publicId });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, "conversation_busy");
    assert.deepEqual(refused.body.active_run_ids, [root.run_id, pending.run_id]);
    assert.equal((await server().request("GET", `/runs/${publicId}`)).status, 404);
    // Once they have ended, reject creates.
    await complete(server(), root.run_id);
    await complete(server(), pending.run_id, "cancelled");
    const accepted = await created(server(), cid, "reject", { public_id: publicId });
    assert.equal(accepted.run_id, publicId);
  });

  test("reject and enqueue on an idle conversation create an ordinary run", async () => {
    for (const strategy of ["reject", "enqueue", "interrupt"]) {
      const run = await created(server(), randomUUID(), strategy);
      assert.equal(run.status, "pending");
      assert.equal(run.queued_behind, null);
    }
  });

  test("enqueue: runs wait in creation order, refuse appends with 409 run_queued, and are released one by one as the runs before them end", async () => {
    const cid = randomUUID();
    const first = await created(server(), cid, undefined, {}, { initial_status: "running" });
    const second = await created(server(), cid, "enqueue", {}, { initial_status: "running" });
    const third = await created(server(), cid, "enqueue");
    assert.equal(second.status, "pending", "a queued run does not start");
    assert.equal(second.queued_behind, first.run_id);
    assert.equal(third.queued_behind, second.run_id);
    const refused = await server().request("POST", `/runs/${second.run_id}/events`, {
      events: [custom("x")],
    });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, "run_queued");
    await append(server(), first.run_id, [custom("still going")]);
    await complete(server(), first.run_id);
    assert.equal((await runOf(server(), second.run_id)).queued_behind, null, "released");
    assert.equal((await runOf(server(), third.run_id)).queued_behind, second.run_id, "still waits");
    await append(server(), second.run_id, [custom("now it may")]);
    const cancelled = await server().request("POST", `/runs/${second.run_id}/cancel`, {});
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal((await runOf(server(), third.run_id)).queued_behind, null);
  });

  test("enqueue waits for every earlier root run: ending the one it names is not enough while an older one is active", async () => {
    const cid = randomUUID();
    const older = await created(server(), cid, undefined);
    const newer = await created(server(), cid, undefined);
    const queued = await created(server(), cid, "enqueue");
    assert.equal(queued.queued_behind, newer.run_id);
    await complete(server(), newer.run_id, "cancelled");
    assert.equal((await runOf(server(), queued.run_id)).queued_behind, newer.run_id);
    await complete(server(), older.run_id, "failed");
    assert.equal((await runOf(server(), queued.run_id)).queued_behind, null);
  });

  test("workers skip queued runs and a long-polling claim wakes when the queue releases one", async () => {
    const kind = uniqueKind("queue");
    const worker = await registerWorker(server(), kind);
    const cid = randomUUID();
    const first = await created(server(), cid, undefined, {}, { implementation_kind: kind });
    const queued = await created(server(), cid, "enqueue", {}, { implementation_kind: kind });
    const taken = await claim(server(), worker, { lease_duration_seconds: 60 });
    assert.equal(taken.body.run.run_id, first.run_id);
    const nothing = await claim(server(), worker, { lease_duration_seconds: 60 });
    assert.equal(nothing.status, 200);
    assert.equal(nothing.body.run, null, "the queued run is not claimable");
    const waitingBefore = server().server.claimWakeups.waiting;
    const polling = claim(server(), worker, { wait_seconds: 30, lease_duration_seconds: 60 });
    await until(
      () => server().server.claimWakeups.waiting === waitingBefore + 1,
      "the claim waits",
    );
    const done = await server().request(
      "POST",
      `/runs/${first.run_id}/complete`,
      { status: "completed" },
      worker.auth,
    );
    assert.equal(done.status, 200, done.text);
    const woken = await polling;
    assert.equal(woken.status, 200, woken.text);
    assert.equal(woken.body.run.run_id, queued.run_id);
    assert.equal(woken.body.run.queued_behind, null);
  });

  test("interrupt cancels every active root run with its descendants in the creating transaction; other conversations are untouched", async () => {
    const cid = randomUUID();
    const root = await created(server(), cid, undefined, {}, { initial_status: "running" });
    const child = await createRun(
      server(),
      { parent_run_id: root.run_id },
      { initial_status: "running" },
    );
    const other = await created(server(), cid, undefined);
    const elsewhere = await created(server(), randomUUID(), undefined);
    const newRun = await created(server(), cid, "interrupt", {}, { initial_status: "running" });
    assert.equal(newRun.status, "running");
    for (const id of [root.run_id, child.run_id, other.run_id]) {
      const run = await runOf(server(), id);
      assert.equal(run.status, "cancelled", id);
      const log = await server().request("GET", `/runs/${id}/events?limit=500`);
      const last = log.body.data.at(-1);
      assert.deepEqual(last.event, {
        type: "RUN_ERROR",
        message: "Run cancelled",
        code: "cancelled",
      });
    }
    assert.equal((await runOf(server(), elsewhere.run_id)).status, "pending");
  });

  test("a duplicate public_id returns the existing run without applying the strategy again", async () => {
    const cid = randomUUID();
    const publicId = `dup-${randomUUID()}`;
    const first = await created(server(), cid, "reject", { public_id: publicId });
    // The conversation is now busy with that very run: reject would refuse, interrupt would cancel it.
    for (const strategy of ["reject", "interrupt", "enqueue"]) {
      const again = await create(server(), cid, strategy, { public_id: publicId });
      assert.equal(again.status, 202, again.text);
      assert.equal(again.body.duplicate, true);
      assert.equal(again.body.run.run_id, first.run_id);
      assert.equal(again.body.run.status, "pending");
      assert.equal(again.body.run.queued_behind, null);
    }
  });

  test("an unknown strategy is 400 invalid_request naming multitask_strategy", async () => {
    const response = await create(server(), randomUUID(), "queue-please");
    assert.equal(response.status, 400);
    assert.equal(response.body.code, "invalid_request");
    assert.match(response.text, /multitask_strategy/);
  });

  test("concurrent enqueues into one conversation form one FIFO queue in creation order: each run is released only after all earlier ones ended", async () => {
    const cid = randomUUID();
    const head = await created(server(), cid, undefined);
    await Promise.all(Array.from({ length: 4 }, () => created(server(), cid, "enqueue")));
    const listed = await server().request("GET", `/conversations/${cid}/runs?limit=100`);
    assert.equal(listed.status, 200, listed.text);
    // Oldest first: the order the queue must release them in.
    const order = (
      listed.body.data as { run_id: string; queued_behind: string | null }[]
    ).reverse();
    assert.equal(order[0]!.run_id, head.run_id);
    // Each waits behind the run created just before it.
    for (let i = 1; i < order.length; i++) {
      assert.equal(order[i]!.queued_behind, order[i - 1]!.run_id);
    }
    for (let i = 0; i < order.length; i++) {
      for (let j = i + 1; j < order.length; j++) {
        assert.notEqual((await runOf(server(), order[j]!.run_id)).queued_behind, null);
      }
      await complete(server(), order[i]!.run_id, "cancelled");
      const next = order[i + 1];
      if (next) assert.equal((await runOf(server(), next.run_id)).queued_behind, null);
    }
  });
});
