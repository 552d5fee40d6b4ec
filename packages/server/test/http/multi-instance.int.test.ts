/**
 * Several Runline instances on one PostgreSQL database (docs/api.md §4.5, architecture "Scale-out"):
 * LISTEN/NOTIFY carries "run X is at event N" between them, a dropped LISTEN connection
 * reconnects and catches up, and the safety-net re-check delivers what a lost NOTIFY did not.
 *
 * "A commit whose NOTIFY never happened" (a process that died between the two) is made by
 * appending through instance A's ledger with its commit hook switched off.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import type { AuthContext } from "../../src/auth/auth-context.ts";
import { SCOPES } from "../../src/auth/auth-context.ts";
import { appendEvents } from "../../src/ledger/append-events.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";
import { append, complete, custom, logOf, runningRun } from "../live/run-fixtures.ts";
import { SseStream } from "../live/sse-client.ts";

/** One more instance on the shared database. */
function startInstance(
  location: TestStoreLocation,
  env: Record<string, string>,
): Promise<TestServer> {
  return startTestServer("postgres", env, { location });
}

/** Appends through `instance`'s ledger without its commit hook: no hub news, no NOTIFY. */
async function appendSilently(
  instance: TestServer,
  runId: string,
  events: unknown[],
): Promise<void> {
  const run = await instance.server.store.getRun(await projectOf(instance, runId), runId);
  assert.ok(run);
  const auth: AuthContext = {
    projectId: run.project_id,
    userId: null,
    scopes: new Set(SCOPES),
    principal: { kind: "api_key", keyId: "test" },
  };
  await appendEvents(
    { ...instance.server.ledger, committed: () => {} },
    auth,
    { runId },
    {
      events: events as never,
    },
  );
}

async function projectOf(instance: TestServer, runId: string): Promise<string> {
  const summary = await instance.request("GET", `/runs/${runId}`);
  const record = await instance.request(
    "GET",
    `/conversations/${summary.body.owner.id}/runs/${runId}`,
  );
  return record.body.project_id as string;
}

const postgres = storeTargets().find((t) => t.kind === "postgres")!;

describe("several instances on one PostgreSQL", { skip: postgres.skip }, () => {
  let location: TestStoreLocation;
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;

  before(async () => {
    location = await freshStoreLocation("postgres");
    // A and B re-check only hourly: what reaches B here came by NOTIFY or by a reconnect's
    // catch-up. C re-checks every 100 ms (the safety net under test).
    a = await startInstance(location, { RUNLINE_SSE_RECHECK_MS: "3600000" });
    b = await startInstance(location, { RUNLINE_SSE_RECHECK_MS: "3600000" });
    c = await startInstance(location, { RUNLINE_SSE_RECHECK_MS: "100" });
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close(), c?.close()]);
    await location?.dispose();
  });

  test("events appended through instance A reach a stream on instance B as they are committed", {
    timeout: 20_000,
  }, async () => {
    const run = await runningRun(a);
    const stream = await SseStream.open(`${b.url}/runs/${run.run_id}/stream`);
    await stream.untilCount(1);
    const feed = b.server.live.feed!;
    const heard = feed.stats.notificationsReceived;
    for (let i = 0; i < 10; i++) {
      const latest = await append(a, run.run_id, [custom(`a${i}`), custom(`b${i}`)]);
      if (i % 3 === 0) assert.ok(await stream.untilCount(latest));
    }
    await complete(a, run.run_id);
    assert.equal(await stream.done, "ended");
    assert.deepEqual(
      stream.ids,
      (await logOf(a, run.run_id)).map((row) => row.event_id),
    );
    assert.ok(feed.stats.notificationsReceived > heard, "B heard A's commits");
  });

  test("an API key B has cached is refused by B once it was revoked through A (NOTIFY), and by the store directly (CLI)", {
    timeout: 20_000,
  }, async () => {
    for (const revokeThrough of ["instance A", "the store"] as const) {
      const created = await a.request("POST", "/api-keys", { name: "cached" });
      assert.equal(created.status, 201);
      const key = created.body.key as string;
      const auth = { authorization: `Bearer ${key}` };
      assert.equal((await b.request("GET", "/runs", undefined, auth)).status, 200);
      const prefix = created.body.prefix as string;
      assert.ok(b.server.authenticator.apiKeys.get(prefix), "B has the key cached");
      assert.ok(b.server.live.feed, "B has a feed");
      const heard = once(b.server.live.feed, "apiKeyRevoked");
      if (revokeThrough === "instance A") {
        assert.equal((await a.request("DELETE", `/api-keys/${created.body.id}`)).status, 204);
      } else {
        const projectId = (await a.server.store.getApiKeyByPrefix(prefix))?.project_id ?? "";
        assert.ok(
          await a.server.store.revokeApiKey(projectId, created.body.id, new Date().toISOString()),
        );
      }
      assert.deepEqual(await heard, [created.body.id]);
      const refused = await b.request("GET", "/runs", undefined, auth);
      assert.equal(refused.status, 401, revokeThrough);
    }
  });

  test("a claim long-polling on instance B wakes when a claimable run is created through A", {
    timeout: 20_000,
  }, async () => {
    const registered = await b.request("POST", "/agent-workers/projects/current/workers", {
      implementation_kind: "cross-instance-kind",
      worker_key: "w-b",
    });
    assert.equal(registered.status, 201);
    const workerId = registered.body.worker.id as string;
    // Longer than this test's timeout: only a wake-up from A's commit can answer it in time.
    const claim = b.request("POST", `/agent-workers/workers/${workerId}/claim`, {
      wait_seconds: 30,
    });
    // Only start the run once the claim is asleep on B (it found nothing before).
    while (b.server.claimWakeups.waiting === 0) await new Promise((r) => setImmediate(r));
    const created = await a.request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: randomUUID() },
      request: { agent_id: "agent", implementation_kind: "cross-instance-kind" },
    });
    assert.equal(created.status, 202);
    const claimed = await claim;
    assert.equal(claimed.status, 200);
    assert.equal(claimed.body.run?.run_id, created.body.run.run_id);
  });

  test("a killed LISTEN connection reconnects and catches up: the stream still receives every event", {
    timeout: 20_000,
  }, async () => {
    const run = await runningRun(a, 3);
    const stream = await SseStream.open(`${b.url}/runs/${run.run_id}/stream`);
    await stream.untilCount(4);
    // Commits nobody announces (their process "died" before NOTIFY): B has no news of them.
    await appendSilently(a, run.run_id, [custom("unannounced-1"), custom("unannounced-2")]);
    const feed = b.server.live.feed!;
    const pid = feed.listenerPid;
    assert.ok(pid);
    const lost = once(feed, "lost");
    const restored = once(feed, "restored");
    const admin = new pg.Client({ connectionString: location.databaseUrl });
    await admin.connect();
    try {
      const killed = await admin.query("SELECT pg_terminate_backend($1) AS ok", [pid]);
      assert.equal(killed.rows[0].ok, true);
    } finally {
      await admin.end();
    }
    await lost;
    await restored;
    assert.notEqual(feed.listenerPid, pid, "a new LISTEN connection");
    // Nothing was announced since: only the reconnect's catch-up can have found them.
    assert.ok(await stream.untilCount(6));
    assert.deepEqual(
      stream.events.slice(4).map((e) => e.data.name),
      ["unannounced-1", "unannounced-2"],
    );
    // And the new connection hears A again.
    await append(a, run.run_id, [custom("after-1")]);
    await append(a, run.run_id, [custom("after-2")]);
    await complete(a, run.run_id);
    assert.equal(await stream.done, "ended");
    const log = await logOf(a, run.run_id);
    assert.deepEqual(
      stream.ids,
      log.map((row) => row.event_id),
    );
    assert.deepEqual(
      stream.events.map((e) => e.data),
      log.map((row) => row.event),
    );
  });

  test("a commit whose NOTIFY was never sent reaches a follower through the safety-net re-check", {
    timeout: 20_000,
  }, async () => {
    const run = await runningRun(a, 1);
    const stream = await SseStream.open(`${c.url}/runs/${run.run_id}/stream`);
    await stream.untilCount(2);
    await appendSilently(a, run.run_id, [custom("silent")]);
    assert.ok(await stream.untilCount(3));
    assert.equal(stream.events[2]?.data.name, "silent");
    stream.abort();
    await c.server.live.streams.whenIdle();
    assert.equal(c.server.live.hub.subscriberCount, 0);
  });
});
