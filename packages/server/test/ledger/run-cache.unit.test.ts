/**
 * The append path's cache of runs (ledger/run-cache.ts): what it may answer, and when it must
 * say "read instead". Whether an answer is still current is the compare-and-set's business
 * (test/http/append-round-trips.int.test.ts); here, only what the cache claims to know.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { OwnerRecord } from "../../src/domain/agui/sequence.ts";
import { RunCache } from "../../src/ledger/run-cache.ts";
import type { RunRow } from "../../src/store/types.ts";
import { newRunRow } from "../helpers/fixtures.ts";

const run = (runId: string, latest: number): RunRow =>
  ({ ...newRunRow({ run_id: runId }), pk: 1, latest_event_id: latest }) as RunRow;
const message = (id: string, owner: string): OwnerRecord => ({ kind: "message", id, owner });

describe("RunCache", () => {
  test("after a read, it answers only for the ids that read asked about (none of them may have records)", () => {
    const cache = new RunCache();
    cache.put(run("r", 3), ["m", "n"], [message("m", "a")], [], "read");
    assert.deepEqual(cache.get("p1", "r", ["m", "n"])?.owners, [message("m", "a")]);
    assert.deepEqual(cache.get("p1", "r", [])?.run.latest_event_id, 3);
    assert.equal(cache.get("p1", "r", ["m", "x"]), undefined);
    assert.equal(cache.get("p2", "r", []), undefined, "another project's run of that id");
  });

  test("from a run's first events on, it knows every record: an unknown id has none", () => {
    const cache = new RunCache();
    cache.put(run("r", 2), ["m"], [], [message("m", "a")], "empty");
    assert.deepEqual(cache.get("p1", "r", ["m", "new"])?.owners, [message("m", "a")]);
    // A write decided on the entry keeps that knowledge; one decided on a read does not.
    cache.put(run("r", 3), ["k"], [], [message("k", "b")], "cached");
    assert.deepEqual(cache.get("p1", "r", ["m", "k", "new"])?.owners, [
      message("m", "a"),
      message("k", "b"),
    ]);
    cache.put(run("r", 5), ["k"], [message("k", "b")], [], "read");
    assert.equal(cache.get("p1", "r", ["m"]), undefined);
  });

  test("a record written replaces the one of its id and kind; an id nobody asked about is not claimed", () => {
    const cache = new RunCache();
    cache.put(
      run("r", 3),
      ["m"],
      [message("m", "a")],
      [message("m", "b"), message("z", "c")],
      "read",
    );
    assert.deepEqual(cache.get("p1", "r", ["m"])?.owners, [message("m", "b")]);
    assert.equal(cache.get("p1", "r", ["z"]), undefined);
  });

  test("writes finishing out of order leave the newest; delete forgets", () => {
    const cache = new RunCache();
    cache.put(run("r", 9), [], [], [], "read");
    cache.put(run("r", 7), [], [], [], "read");
    assert.equal(cache.get("p1", "r", [])?.run.latest_event_id, 9);
    cache.delete("p1", "r");
    assert.equal(cache.get("p1", "r", []), undefined);
  });

  test("bounded: the least recently written runs go first, and an entry with too many ids forgets them", () => {
    const cache = new RunCache();
    for (let i = 0; i < 5_001; i++) cache.put(run(`r${i}`, 1), [], [], [], "read");
    assert.equal(cache.size, 5_000);
    assert.equal(cache.get("p1", "r0", []), undefined);
    assert.ok(cache.get("p1", "r5000", []));
    const ids = Array.from({ length: 300 }, (_, i) => `id${i}`);
    cache.put(run("big", 1), ["m"], [], [], "empty");
    cache.put(run("big", 2), ids, [], [], "cached");
    assert.equal(cache.get("p1", "big", ["m"]), undefined, "knowledge dropped, not kept in part");
  });
});
