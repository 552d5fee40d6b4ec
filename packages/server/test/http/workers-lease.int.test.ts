/**
 * Leases over time (docs/api.md §5, §4.3 fencing), on every store, with the server's ledger clock
 * under the test's control (`controlClock`): expiry hands a run to another worker, the old
 * worker is fenced off, the new one continues the log; heartbeats and worker status.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { describeEachStore } from "../helpers/server.ts";
import {
  claim,
  controlClock,
  createWorkerRun,
  registerWorker,
  uniqueKind,
  until,
} from "../workers/worker-helpers.ts";

const INACTIVE_AFTER_S = 30;

describeEachStore(
  "worker leases over time",
  (server) => {
    let clock: { advance(seconds: number): void };
    before(() => {
      clock = controlClock(server());
    });

    test("a worker that stops renewing loses its run to another once the lease expires; its late writes get 409 lease_lost and the new worker continues the log", async () => {
      const kind = uniqueKind();
      const oldWorker = await registerWorker(server(), kind, "old");
      const newWorker = await registerWorker(server(), kind, "new");
      const run = await createWorkerRun(server(), kind);
      const events = `/conversations/${run.conversation_id}/runs/${run.run_id}/events`;

      const first = await claim(server(), oldWorker, { lease_duration_seconds: 5 });
      assert.equal(first.body.run.run_id, run.run_id);
      const progress = await server().request(
        "POST",
        events,
        {
          expected_previous_event_id: 1,
          events: [
            { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" },
            { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "half" },
          ],
        },
        oldWorker.auth,
      );
      assert.equal(progress.status, 200, progress.text);
      assert.deepEqual(
        (await claim(server(), newWorker)).body,
        { run: null },
        "not while the lease holds",
      );

      clock.advance(5); // the lease expires at this instant
      const lateAppend = await server().request(
        "POST",
        events,
        { events: [{ type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "late" }] },
        oldWorker.auth,
      );
      assert.equal(lateAppend.status, 409, "an expired lease fences even before a takeover");
      assert.equal(lateAppend.body.code, "lease_lost");

      const takeover = await claim(server(), newWorker, { lease_duration_seconds: 60 });
      const taken = takeover.body.run;
      assert.equal(taken.run_id, run.run_id);
      assert.equal(taken.lease_owner, newWorker.id);
      assert.equal(taken.status, "running");
      assert.equal(taken.latest_event_id, 3, "the cursors say where the log stands");
      assert.equal(taken.latest_external_event_sequence, 2);

      for (const [path, body] of [
        [events, { events: [{ type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "x" }] }],
        [`/runs/${run.run_id}/complete`, { status: "completed" }],
      ] as const) {
        const response = await server().request("POST", path, body, oldWorker.auth);
        assert.equal(response.status, 409, `${path}: ${response.text}`);
        assert.equal(response.body.code, "lease_lost");
      }
      const renewal = await server().request(
        "POST",
        `/agent-workers/workers/${oldWorker.id}/runs/${run.run_id}/lease`,
        { lease_duration_seconds: 60 },
        oldWorker.auth,
      );
      assert.deepEqual(renewal.body, { run: null }, "the old worker is told to drop the run");

      const resumed = await server().request(
        "POST",
        events,
        {
          expected_previous_event_id: taken.latest_event_id,
          expected_previous_external_event_sequence: taken.latest_external_event_sequence,
          events: [
            { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: " and the rest" },
            { type: "TEXT_MESSAGE_END", messageId: "m1" },
          ],
        },
        newWorker.auth,
      );
      assert.equal(resumed.status, 200, resumed.text);
      const done = await server().request(
        "POST",
        `/runs/${run.run_id}/complete`,
        { status: "completed" },
        newWorker.auth,
      );
      assert.equal(done.status, 200, done.text);
      const log = await server().request("GET", `/runs/${run.run_id}/events`);
      assert.deepEqual(
        log.body.data.map((e: { event: { type: string; delta?: string } }) =>
          e.event.delta ? `${e.event.type}:${e.event.delta}` : e.event.type,
        ),
        [
          "RUN_STARTED",
          "TEXT_MESSAGE_START",
          "TEXT_MESSAGE_CONTENT:half",
          "TEXT_MESSAGE_CONTENT: and the rest",
          "TEXT_MESSAGE_END",
          "RUN_FINISHED",
        ],
        "one gap-free log, nothing from the fenced worker",
      );
    });

    test("a renewed lease keeps the run from other workers past its first expiry", async () => {
      const kind = uniqueKind();
      const holder = await registerWorker(server(), kind);
      const other = await registerWorker(server(), kind);
      const run = await createWorkerRun(server(), kind);
      await claim(server(), holder, { lease_duration_seconds: 5 });
      clock.advance(4);
      const renewed = await server().request(
        "POST",
        `/agent-workers/workers/${holder.id}/runs/${run.run_id}/lease`,
        { lease_duration_seconds: 10 },
        holder.auth,
      );
      assert.equal(renewed.body.run.lease_owner, holder.id);
      clock.advance(4);
      assert.deepEqual((await claim(server(), other)).body, { run: null });
      clock.advance(7);
      assert.equal((await claim(server(), other)).body.run.run_id, run.run_id);
    });

    test("a long-polling claim takes a run when the lease on it expires, with no other signal", async () => {
      const kind = uniqueKind();
      const holder = await registerWorker(server(), kind);
      const waiter = await registerWorker(server(), kind);
      const run = await createWorkerRun(server(), kind);
      await claim(server(), holder, { lease_duration_seconds: 5 });
      clock.advance(4.5); // half a second of the lease left on the server's clock
      const before = server().server.claimWakeups.watching;
      const polling = claim(server(), waiter, { wait_seconds: 30, lease_duration_seconds: 60 });
      const response = await polling;
      assert.equal(response.body.run?.run_id, run.run_id);
      assert.equal(response.body.run.lease_owner, waiter.id);
      await until(() => server().server.claimWakeups.watching === before, "no watcher left");
    });

    test(`a worker reads inactive after ${INACTIVE_AFTER_S} s without a heartbeat, and active again after one`, async () => {
      const worker = await registerWorker(server(), uniqueKind());
      assert.equal(worker.record.status, "active");
      const read = () =>
        server().request("GET", `/agent-workers/workers/${worker.id}`, undefined, worker.auth);
      clock.advance(INACTIVE_AFTER_S - 1);
      assert.equal((await read()).body.worker.status, "active");
      clock.advance(1);
      assert.equal((await read()).body.worker.status, "inactive");
      const beat = await server().request(
        "POST",
        `/agent-workers/workers/${worker.id}/heartbeat`,
        undefined,
        worker.auth,
      );
      assert.equal(beat.body.worker.status, "active");
      assert.equal((await read()).body.worker.status, "active");
    });
  },
  { RUNLINE_WORKER_INACTIVE_AFTER_S: String(INACTIVE_AFTER_S) },
);
