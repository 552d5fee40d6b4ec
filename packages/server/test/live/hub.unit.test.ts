/** The live hub (src/live/hub.ts): one read per run for all subscribers, coalescing, cleanup. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type HubSubscriber, LiveHub } from "../../src/live/hub.ts";
import type { StoredEvent } from "../../src/store/types.ts";

function row(id: number): StoredEvent {
  const event = { type: "CUSTOM", name: `e${id}` };
  return { event_id: id, event_type: "CUSTOM", event, json: JSON.stringify(event), created_at: "" };
}

/** An in-memory log per run pk, with every read recorded and released by the test. */
class FakeLog {
  readonly rows = new Map<number, StoredEvent[]>();
  readonly reads: { runPk: number; after: number; release: () => void }[] = [];
  fail: Error | undefined;

  commit(runPk: number, count: number): number {
    const rows = this.rows.get(runPk) ?? [];
    for (let i = 0; i < count; i++) rows.push(row(rows.length + 1));
    this.rows.set(runPk, rows);
    return rows.length;
  }

  read = (runPk: number, after: number, limit: number): Promise<StoredEvent[]> =>
    new Promise((resolve, reject) => {
      const snapshot = (this.rows.get(runPk) ?? [])
        .filter((r) => r.event_id > after)
        .slice(0, limit);
      const failure = this.fail;
      this.reads.push({
        runPk,
        after,
        release: () => (failure ? reject(failure) : resolve(snapshot)),
      });
    });

  /** Releases pending reads (and any they cause) until none is left. */
  async settle(): Promise<void> {
    for (;;) {
      const pending = this.reads.filter((r) => !("done" in r));
      if (pending.length === 0) return;
      for (const read of pending) {
        Object.assign(read, { done: true });
        read.release();
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

function recorder(): HubSubscriber & { ids: number[]; errors: unknown[] } {
  const ids: number[] = [];
  const errors: unknown[] = [];
  return {
    ids,
    errors,
    onEvents: (rows) => ids.push(...rows.map((r) => r.event_id)),
    onError: (error) => errors.push(error),
  };
}

describe("LiveHub", () => {
  it("one read of new rows serves every subscriber of a run", async () => {
    const log = new FakeLog();
    const hub = new LiveHub({ readEvents: log.read });
    const subscribers = Array.from({ length: 50 }, () => recorder());
    for (const s of subscribers) hub.subscribe(7, 0, s);
    hub.announce(7, log.commit(7, 3));
    await log.settle();
    assert.equal(log.reads.length, 1);
    for (const s of subscribers) assert.deepEqual(s.ids, [1, 2, 3]);
    assert.equal(hub.subscriberCount, 50);
  });

  it("announcements during a read coalesce into one more read; those at or below the cursor cost nothing", async () => {
    const log = new FakeLog();
    const hub = new LiveHub({ readEvents: log.read });
    const s = recorder();
    hub.subscribe(1, 0, s);
    hub.announce(1, log.commit(1, 1));
    for (let i = 0; i < 5; i++) hub.announce(1, log.commit(1, 1));
    assert.equal(log.reads.length, 1, "one read at a time per run");
    await log.settle();
    assert.equal(log.reads.length, 2);
    assert.deepEqual(s.ids, [1, 2, 3, 4, 5, 6]);
    hub.announce(1, 6);
    hub.announce(1, 3);
    await log.settle();
    assert.equal(log.reads.length, 2);
  });

  it("starts after the position its first subscriber knows, and reads on while pages come back full", async () => {
    const log = new FakeLog();
    const hub = new LiveHub({ readEvents: log.read, batchSize: 2 });
    log.commit(3, 4);
    const s = recorder();
    hub.subscribe(3, 4, s);
    hub.announce(3, log.commit(3, 5));
    await log.settle();
    assert.deepEqual(s.ids, [5, 6, 7, 8, 9]);
    assert.deepEqual(
      log.reads.map((r) => r.after),
      [4, 6, 8],
    );
  });

  it("runs without subscribers are not read; the last unsubscribe drops the run", async () => {
    const log = new FakeLog();
    const hub = new LiveHub({ readEvents: log.read });
    hub.announce(1, log.commit(1, 2));
    const a = recorder();
    const b = recorder();
    const offA = hub.subscribe(1, 2, a);
    const offB = hub.subscribe(1, 2, b);
    offA();
    offA();
    assert.equal(hub.subscriberCount, 1);
    hub.announce(1, log.commit(1, 1));
    await log.settle();
    assert.deepEqual(a.ids, []);
    assert.deepEqual(b.ids, [3]);
    offB();
    assert.equal(hub.runCount, 0);
    hub.announce(1, log.commit(1, 1));
    await log.settle();
    assert.equal(log.reads.length, 1);
  });

  it("recheck reads past the cursor without news (a feed's catch-up)", async () => {
    const log = new FakeLog();
    const hub = new LiveHub({ readEvents: log.read });
    const s = recorder();
    hub.subscribe(1, 0, s);
    log.commit(1, 2);
    hub.recheck();
    await log.settle();
    assert.deepEqual(s.ids, [1, 2]);
    assert.deepEqual([...hub.subscribedRuns()], [[1, 2]]);
  });

  it("a failed read tells the run's subscribers and drops them; other runs go on", async () => {
    const log = new FakeLog();
    const hub = new LiveHub({ readEvents: log.read });
    const failing = recorder();
    const healthy = recorder();
    hub.subscribe(1, 0, failing);
    hub.subscribe(2, 0, healthy);
    log.fail = new Error("storage down");
    hub.announce(1, log.commit(1, 1));
    log.fail = undefined;
    hub.announce(2, log.commit(2, 1));
    await log.settle();
    assert.equal(failing.errors.length, 1);
    assert.deepEqual(healthy.ids, [1]);
    assert.equal(hub.runCount, 1);
    assert.equal(hub.subscriberCount, 1);
  });
});
