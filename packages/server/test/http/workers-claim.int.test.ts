/**
 * Claims under concurrency and long-polling claims (docs/api.md §5), on every store: many workers
 * never share a run, a waiting claim is woken by the run it can take, and a waiting claim whose
 * client goes away leaves nothing behind.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createRun, describeEachStore, type TestServer } from "../helpers/server.ts";
import {
  claim,
  createWorkerRun,
  type RegisteredWorker,
  registerWorker,
  uniqueKind,
  until,
} from "../workers/worker-helpers.ts";

/** Claims asleep in a long-poll right now. */
const waiting = (server: TestServer) => server.server.claimWakeups.waiting;
/** Claims watching for wake-ups (asleep or looking). */
const watching = (server: TestServer) => server.server.claimWakeups.watching;

/** Claims until nothing is left; returns the ids of the runs this worker got. */
async function drain(server: TestServer, worker: RegisteredWorker): Promise<string[]> {
  const taken: string[] = [];
  for (;;) {
    const response = await claim(server, worker, { lease_duration_seconds: 3600 });
    assert.equal(response.status, 200, response.text);
    if (response.body.run === null) return taken;
    assert.equal(response.body.run.lease_owner, worker.id);
    taken.push(response.body.run.run_id);
  }
}

describeEachStore("worker claims", (server) => {
  test("8 concurrent workers claiming from 200 runs: every run is claimed exactly once while its lease holds", async () => {
    const kind = uniqueKind("swarm");
    const created: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const runs = await Promise.all(
        Array.from({ length: 20 }, () => createWorkerRun(server(), kind)),
      );
      created.push(...runs.map((r) => r.run_id));
    }
    const workers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => registerWorker(server(), kind, `w${i}`)),
    );
    const takenByWorker = await Promise.all(workers.map((w) => drain(server(), w)));

    const taken = takenByWorker.flat();
    assert.equal(taken.length, 200, "200 claims succeeded");
    assert.equal(new Set(taken).size, 200, "no run was claimed twice");
    assert.deepEqual(new Set(taken), new Set(created), "every run was claimed");
    for (const [i, runIds] of takenByWorker.entries()) {
      for (const runId of runIds) {
        const stored = await server().server.store.getRun(workers[i]!.projectId, runId);
        assert.equal(stored?.lease_owner, workers[i]!.id, "the claimer holds the lease");
        assert.equal(stored?.status, "running");
        assert.equal(stored?.latest_event_id, 1, "exactly one RUN_STARTED");
      }
    }
  });

  test("a long-polling claim returns the run created while it waits", async () => {
    const kind = uniqueKind("poll");
    const worker = await registerWorker(server(), kind);
    const before = waiting(server());
    const watchingBefore = watching(server());
    let settled = false;
    const polling = claim(server(), worker, { wait_seconds: 30, lease_duration_seconds: 60 }).then(
      (response) => {
        settled = true;
        return response;
      },
    );
    await until(() => waiting(server()) === before + 1, "the claim waits");
    await createRun(server()); // no implementation kind: not for this claim
    await createWorkerRun(server(), uniqueKind("other")); // another kind: not for this claim
    await createWorkerRun(server(), kind, { worker_key: "someone-else" }); // another worker's
    assert.equal(settled, false, "still waiting: nothing it can take appeared yet");
    const run = await createWorkerRun(server(), kind);
    const response = await polling;
    assert.equal(response.status, 200);
    assert.equal(response.body.run?.run_id, run.run_id);
    assert.equal(response.body.run.lease_owner, worker.id);
    assert.equal(response.body.run.status, "running");
    assert.equal(watching(server()), watchingBefore, "the claim stopped watching");
  });

  test("a long-polling claim returns at once when a run is already there, and wait_seconds 0 never waits", async () => {
    const kind = uniqueKind("ready");
    const worker = await registerWorker(server(), kind);
    const run = await createWorkerRun(server(), kind);
    const response = await claim(server(), worker, { wait_seconds: 30 });
    assert.equal(response.body.run.run_id, run.run_id);
    const empty = await claim(server(), worker, { wait_seconds: 0 });
    assert.deepEqual(empty.body, { run: null });
  });

  test("a long-polling claim whose client disconnects stops waiting and leaves no watcher behind", async () => {
    const kind = uniqueKind("gone");
    const worker = await registerWorker(server(), kind);
    const before = waiting(server());
    const watchingBefore = watching(server());
    const controller = new AbortController();
    const request = fetch(`${server().url}/agent-workers/workers/${worker.id}/claim`, {
      method: "POST",
      headers: { ...worker.auth, "content-type": "application/json" },
      body: JSON.stringify({ wait_seconds: 30 }),
      signal: controller.signal,
    });
    await until(() => waiting(server()) === before + 1, "the claim waits");
    controller.abort();
    await assert.rejects(request, { name: "AbortError" });
    await until(() => watching(server()) === watchingBefore, "the server stops watching for it");
    assert.equal(waiting(server()), before);
    const run = await createWorkerRun(server(), kind);
    const stored = await server().server.store.getRun(worker.projectId, run.run_id);
    assert.equal(stored?.status, "pending", "the abandoned claim took nothing");
    assert.equal(stored?.lease_owner, null);
  });

  test("many waiting claims share out new runs: each run goes to exactly one of them", async () => {
    const kind = uniqueKind("herd");
    const workers = await Promise.all(
      Array.from({ length: 4 }, (_, i) => registerWorker(server(), kind, `h${i}`)),
    );
    const before = waiting(server());
    const polls = workers.map((w) => claim(server(), w, { wait_seconds: 30 }));
    await until(() => waiting(server()) === before + 4, "all four wait");
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => createWorkerRun(server(), kind)),
    );
    const results = await Promise.all(polls);
    const got = results.map((r) => r.body.run?.run_id);
    assert.deepEqual(new Set(got), new Set(runs.map((r) => r.run_id)));
    assert.equal(new Set(got).size, 4);
  });
});
