/** The NOTIFY payload of the PostgreSQL feed (src/live/postgres-feed.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseNotification } from "../../src/live/postgres-feed.ts";

describe("parseNotification", () => {
  it("reads <project_id>:<run_pk>:<latest_event_id>, whatever the project id holds", () => {
    assert.deepEqual(parseNotification("0b5f…-uuid:42:7"), { runPk: 42, latestEventId: 7 });
    assert.deepEqual(parseNotification("tenant:with:colons:1:0"), { runPk: 1, latestEventId: 0 });
  });

  it("ignores anything else", () => {
    for (const payload of [undefined, "", "p:1", "p:x:2", "p:1:-2", "p:1:2:", "p:1:1e3"]) {
      assert.equal(parseNotification(payload), undefined, String(payload));
    }
  });
});
