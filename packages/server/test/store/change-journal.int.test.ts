/**
 * The change journal (store/changes.ts): every operation that creates a run or changes its
 * status, or opens or closes an input request, records it on its transaction; writers see the
 * changes inside that transaction (what they do commits or rolls back with the change) and
 * listeners hear of them only after COMMIT.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import type { RecordedChange } from "../../src/store/changes.ts";
import { text } from "../helpers/fixtures.ts";
import { createRun, describeEachStore, type TestServer } from "../helpers/server.ts";

const summary = (change: RecordedChange): string =>
  change.type === "run.status"
    ? `run.status ${change.previous}→${change.run.status}`
    : change.type === "run.created"
      ? `run.created ${change.run.status}`
      : change.type;

function listen(server: TestServer, runId: string): { seen: string[]; off: () => void } {
  const seen: string[] = [];
  const off = server.server.store.changes.onCommitted((changes) => {
    for (const change of changes) {
      const id = "run" in change ? change.run.run_id : undefined;
      if (id === runId) seen.push(summary(change));
    }
  });
  return { seen, off };
}

describeEachStore("change journal", (server) => {
  test("creating, starting and completing a run are each recorded once, in order", async () => {
    const runId = `journal-${Date.now()}`;
    const { seen, off } = listen(server(), runId);
    try {
      const run = await createRun(server(), { public_id: runId });
      const events = `/conversations/${run.conversation_id}/runs/${run.run_id}/events`;
      assert.equal(
        (await server().request("POST", events, { events: text("m1", "hi") })).status,
        200,
      );
      assert.equal(
        (await server().request("POST", events, { events: text("m2", "again") })).status,
        200,
      );
      const done = await server().request("POST", `/runs/${run.run_id}/complete`, {
        status: "completed",
      });
      assert.equal(done.status, 200, done.text);
      assert.deepEqual(seen, [
        "run.created pending",
        "run.status pending→running",
        "run.status running→completed",
      ]);
    } finally {
      off();
    }
  });

  test("a writer runs inside the transaction: when it fails, the change it saw is not committed and no listener hears of it", async () => {
    const runId = `journal-rollback-${Date.now()}`;
    const { seen, off } = listen(server(), runId);
    const removeWriter = server().server.store.changes.addWriter(async (_tx, changes) => {
      if (changes.some((c) => c.type === "run.created" && c.run.run_id === runId)) {
        throw new Error("writer refuses");
      }
    });
    try {
      const created = await server().request("POST", "/runs", {
        kind: "agent",
        public_id: runId,
        owner: { kind: "conversation", id: randomUUID() },
        request: { agent_id: "agent-1" },
      });
      assert.equal(created.status, 500);
      assert.equal((await server().request("GET", `/runs/${runId}`)).status, 404);
      assert.deepEqual(seen, []);
    } finally {
      removeWriter();
      off();
    }
    // Without the refusing writer the same create commits and is heard.
    const { seen: later, off: off2 } = listen(server(), runId);
    try {
      await createRun(server(), { public_id: runId });
      assert.deepEqual(later, ["run.created pending"]);
    } finally {
      off2();
    }
  });

  test("a writer sees the transaction's changes with the transaction itself: what it reads there includes the change", async () => {
    const runId = `journal-visible-${Date.now()}`;
    const statuses: string[] = [];
    const removeWriter = server().server.store.changes.addWriter(async (tx, changes) => {
      for (const change of changes) {
        if (!("run" in change) || change.run.run_id !== runId) continue;
        const row = await tx.getRunForUpdate(change.run.project_id, runId);
        statuses.push(`${change.type}:${row?.status}`);
      }
    });
    try {
      const run = await createRun(server(), { public_id: runId });
      const events = `/conversations/${run.conversation_id}/runs/${run.run_id}/events`;
      assert.equal(
        (await server().request("POST", events, { events: text("m1", "hi") })).status,
        200,
      );
      assert.deepEqual(statuses, ["run.created:pending", "run.status:running"]);
    } finally {
      removeWriter();
    }
  });
});
