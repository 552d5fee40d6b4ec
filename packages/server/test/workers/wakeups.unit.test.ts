/** In-process claim wake-ups: no lost wake-up between a look and a wait, targeted, clean. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { claimSignalFor, LocalClaimWakeups } from "../../src/workers/wakeups.ts";
import { newRunRow } from "../helpers/fixtures.ts";

const target = { projectId: "p", implementationKind: "k", workerKey: "w1" };

describe("LocalClaimWakeups", () => {
  test("a signal that arrives before the wait ends the next wait at once", async () => {
    const wakeups = new LocalClaimWakeups();
    const watch = wakeups.watch(target);
    wakeups.notify({ projectId: "p", implementationKind: "k", workerKey: null });
    assert.equal(await watch.wait(60_000), "notified");
    assert.equal(await watch.wait(0), "timeout", "one signal wakes one wait");
    watch.close();
  });

  test("a signal during a wait ends it; signals for other projects, kinds or worker keys do not", async () => {
    const wakeups = new LocalClaimWakeups();
    const watch = wakeups.watch(target);
    const waiting = watch.wait(60_000);
    wakeups.notify({ projectId: "p", implementationKind: "other", workerKey: null });
    wakeups.notify({ projectId: "other", implementationKind: "k", workerKey: null });
    wakeups.notify({ projectId: "p", implementationKind: "k", workerKey: "w2" });
    wakeups.notify({ projectId: "p", implementationKind: "k", workerKey: "w1" });
    assert.equal(await waiting, "notified");
    watch.close();
    assert.equal(await watch.wait(0), "aborted", "a closed watch waits no more");
  });

  test("abort and close end a wait and free the watch", async () => {
    const wakeups = new LocalClaimWakeups();
    const first = wakeups.watch(target);
    const second = wakeups.watch(target);
    assert.equal(wakeups.watching, 2);
    assert.equal(wakeups.waiting, 0, "watching is not yet waiting");
    const controller = new AbortController();
    const aborted = first.wait(60_000, controller.signal);
    assert.equal(wakeups.waiting, 1);
    controller.abort();
    assert.equal(await aborted, "aborted");
    const closed = second.wait(60_000);
    second.close();
    assert.equal(await closed, "aborted");
    first.close();
    assert.equal(wakeups.watching, 0);
    assert.equal(wakeups.waiting, 0);
  });
});

describe("claimSignalFor", () => {
  const now = "2030-01-01T00:00:10.000Z";
  test("a pending or unleased running run with an implementation kind signals its project, kind and key", () => {
    const pending = newRunRow({ implementation_kind: "k", worker_key: "w" });
    assert.deepEqual(claimSignalFor({ ...pending, pk: 1 }, now), {
      projectId: "p1",
      implementationKind: "k",
      workerKey: "w",
    });
    const expired = newRunRow({
      implementation_kind: "k",
      status: "running",
      lease_owner: "x",
      lease_expires_at: now,
    });
    assert.ok(claimSignalFor({ ...expired, pk: 2 }, now));
  });

  test("runs without a kind, leased, waiting or ended signal nothing", () => {
    for (const run of [
      newRunRow(),
      newRunRow({
        implementation_kind: "k",
        status: "running",
        lease_owner: "x",
        lease_expires_at: "2030-01-01T00:00:11.000Z",
      }),
      newRunRow({ implementation_kind: "k", status: "waiting_for_tool" }),
      newRunRow({ implementation_kind: "k", status: "completed" }),
    ]) {
      assert.equal(claimSignalFor({ ...run, pk: 1 }, now), undefined);
    }
  });
});
