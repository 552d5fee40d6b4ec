/**
 * The lease fence holds for every credential (docs/api.md §12, issue 16 finding 1), on every
 * store: while a worker holds a run's lease only that worker (or an admin key) may mint a
 * writer token for it, and a token minted under the lease stops appending once it is lost.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { describeEachStore } from "../helpers/server.ts";
import {
  bearer,
  claim,
  controlClock,
  createWorkerRun,
  keyWithScopes,
  registerWorker,
  uniqueKind,
} from "../workers/worker-helpers.ts";

describeEachStore("the lease fence for every credential", (server) => {
  let clock: { advance(seconds: number): void };
  before(() => {
    clock = controlClock(server());
  });

  const mint = (runId: string, headers?: Record<string, string>) =>
    server().request("POST", `/runs/${runId}/event-writer-token`, undefined, headers);

  test("while a worker holds a run's lease, another worker or a non-admin key cannot mint a writer token for it (409 lease_lost); the holder and an admin key can", async () => {
    const kind = uniqueKind();
    const holder = await registerWorker(server(), kind, "holder");
    const other = await registerWorker(server(), kind, "other");
    const run = await createWorkerRun(server(), kind);
    assert.equal((await claim(server(), holder)).body.run.run_id, run.run_id);

    const byOther = await mint(run.run_id, other.auth);
    assert.equal(byOther.status, 409, byOther.text);
    assert.equal(byOther.body.code, "lease_lost");
    const writerKey = await keyWithScopes(server(), holder.projectId, ["runs:write"]);
    const byKey = await mint(run.run_id, bearer(writerKey));
    assert.equal(byKey.status, 409, byKey.text);
    assert.equal(byKey.body.code, "lease_lost");

    assert.equal((await mint(run.run_id, holder.auth)).status, 200);
    assert.equal((await mint(run.run_id)).status, 200, "the bootstrap key is an admin key");
  });

  test("a writer token minted under a lease appends while the lease holds, gets 409 lease_lost once it expires, and the new holder continues the log without a cursor conflict", async () => {
    const kind = uniqueKind();
    const oldWorker = await registerWorker(server(), kind, "old");
    const newWorker = await registerWorker(server(), kind, "new");
    const run = await createWorkerRun(server(), kind);
    const events = `/runs/${run.run_id}/events`;
    await claim(server(), oldWorker, { lease_duration_seconds: 5 });
    const minted = await mint(run.run_id, oldWorker.auth);
    assert.equal(minted.status, 200, minted.text);
    const token = bearer(minted.body.run_event_token);
    const start = { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" };
    const ok = await server().request("POST", events, { events: [start] }, token);
    assert.equal(ok.status, 200, ok.text);

    clock.advance(5);
    const late = await server().request(
      "POST",
      events,
      { events: [{ type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "late" }] },
      token,
    );
    assert.equal(late.status, 409, "an expired lease fences the token even before a takeover");
    assert.equal(late.body.code, "lease_lost");

    assert.equal((await claim(server(), newWorker)).body.run.run_id, run.run_id);
    const stale = await server().request(
      "POST",
      events,
      { events: [{ type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "stale" }] },
      token,
    );
    assert.equal(stale.body.code, "lease_lost", "after a takeover too");
    const next = await server().request(
      "POST",
      events,
      {
        expected_previous_event_id: ok.body.latest_event_id,
        events: [{ type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "new" }],
      },
      newWorker.auth,
    );
    assert.equal(next.status, 200, next.text);
    const log = await server().request("GET", `${events}?limit=500`);
    const deltas = log.body.data.map((e: { event: { delta?: string } }) => e.event.delta);
    assert.ok(!deltas.includes("late") && !deltas.includes("stale"), "nothing fenced was stored");
  });

  test("a token minted when no lease is held keeps working (no lease to lose)", async () => {
    const kind = uniqueKind();
    const run = await createWorkerRun(server(), kind);
    const minted = await mint(run.run_id);
    const token = bearer(minted.body.run_event_token);
    const appended = await server().request(
      "POST",
      `/runs/${run.run_id}/events`,
      { events: [{ type: "STEP_STARTED", stepName: "s" }] },
      token,
    );
    assert.equal(appended.status, 200, appended.text);
  });

  test("a parent's writer token cannot mint a child token while a worker leases the child", async () => {
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind);
    const parent = await createWorkerRun(server(), uniqueKind("parent"));
    const linked = await server().request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: parent.conversation_id },
      request: { agent_id: "agent-1", implementation_kind: kind },
      parent_run_id: parent.run_id,
    });
    assert.equal(linked.status, 202, linked.text);
    const childId = linked.body.run.run_id;
    assert.equal((await claim(server(), worker)).body.run.run_id, childId);
    const parentToken = bearer((await mint(parent.run_id)).body.run_event_token);
    const exchanged = await server().request(
      "POST",
      `/runs/${parent.run_id}/children/${childId}/event-writer-token`,
      undefined,
      parentToken,
    );
    assert.equal(exchanged.status, 409, exchanged.text);
    assert.equal(exchanged.body.code, "lease_lost");
  });
});
