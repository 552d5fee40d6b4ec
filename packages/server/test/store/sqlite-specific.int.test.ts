/**
 * SQLite-only promises of `SqliteStore`: its synchronous driver never holds the event loop for a
 * whole backlog of transactions (group commit yields between groups).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunStore } from "../../src/store/types.ts";
import { newRunRow } from "../helpers/fixtures.ts";
import { openTestStore } from "../helpers/stores.ts";

describe("SQLite store", () => {
  let store: RunStore;
  before(async () => {
    store = await openTestStore("sqlite");
  });
  after(async () => {
    await store?.close();
  });

  test("a backlog of 1,000 transactions lets the event loop turn between group commits, and all of them commit", async () => {
    const total = 1000;
    let committed = 0;
    const all = Array.from({ length: total }, () =>
      store
        .transaction((tx) => tx.insertRun(newRunRow()))
        .then((run) => {
          assert.ok(run);
          committed++;
        }),
    );
    // Queued behind the whole backlog: it runs as soon as the event loop gets a turn.
    const seenByTheLoop: number[] = [];
    await new Promise<void>((resolve) =>
      setImmediate(function probe() {
        seenByTheLoop.push(committed);
        if (committed < total) setImmediate(probe);
        else resolve();
      }),
    );
    await Promise.all(all);
    assert.equal(committed, total);
    assert.ok(
      seenByTheLoop.some((n) => n > 0 && n < total),
      `the loop turned only before or after the whole backlog: ${seenByTheLoop.join(", ")}`,
    );
    // Still grouped: far fewer turns than transactions.
    assert.ok(seenByTheLoop.length < total / 2, `${seenByTheLoop.length} turns`);
  });
});
