/**
 * Agent workers over HTTP (docs/api.md §5), on every store: registration, credentials and tenancy,
 * claims and the RUN_STARTED they write, lease renewal, sessions, write fencing, bad inputs.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import {
  createOtherProject,
  createRun,
  describeEachStore,
  type TestServer,
} from "../helpers/server.ts";
import {
  bearer,
  claim,
  createWorkerRun,
  keyWithScopes,
  registerWorker,
  uniqueKind,
} from "../workers/worker-helpers.ts";

async function storedRun(server: TestServer, projectId: string, runId: string) {
  const run = await server.server.store.getRun(projectId, runId);
  assert.ok(run, `run ${runId} exists`);
  return run;
}

async function eventTypes(server: TestServer, runId: string): Promise<string[]> {
  const response = await server.request("GET", `/runs/${runId}/events?limit=500`);
  assert.equal(response.status, 200);
  return response.body.data.map((e: { event_type: string }) => e.event_type);
}

const appendText = (messageId: string) => ({
  events: [
    { type: "TEXT_MESSAGE_START", messageId, role: "assistant" },
    { type: "TEXT_MESSAGE_CONTENT", messageId, delta: "hi" },
    { type: "TEXT_MESSAGE_END", messageId },
  ],
});

describeEachStore("agent workers", (server) => {
  test("registering the same (implementation_kind, worker_key) again returns the same worker: 201, then 200", async () => {
    const kind = uniqueKind();
    const body = {
      implementation_kind: kind,
      worker_key: "host-1",
      display_name: "Host one",
      implementation_display_name: "Kind",
      metadata: { version: 1 },
    };
    const path = "/agent-workers/projects/current/workers";
    const first = await server().request("POST", path, body);
    assert.equal(first.status, 201);
    assert.equal(typeof first.body.token, "string");
    assert.deepEqual(
      { ...first.body.worker, id: "x", project_id: "p", last_heartbeat_at: "t", created_at: "t" },
      {
        id: "x",
        project_id: "p",
        implementation_kind: kind,
        worker_key: "host-1",
        implementation_display_name: "Kind",
        display_name: "Host one",
        metadata: { version: 1 },
        status: "active",
        last_heartbeat_at: "t",
        created_at: "t",
      },
    );
    const again = await server().request("POST", path, { ...body, metadata: { version: 2 } });
    assert.equal(again.status, 200);
    assert.equal(again.body.worker.id, first.body.worker.id);
    assert.deepEqual(again.body.worker.metadata, { version: 2 }, "given fields are refreshed");
    assert.equal(again.body.worker.display_name, "Host one");

    const concurrent = await Promise.all(
      Array.from({ length: 6 }, () =>
        server().request("POST", path, { implementation_kind: kind, worker_key: "host-2" }),
      ),
    );
    assert.deepEqual(concurrent.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 201]);
    assert.equal(new Set(concurrent.map((r) => r.body.worker.id)).size, 1);
  });

  test("register takes the caller's project by id or as 'current'; another project is 404", async () => {
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind, "k");
    const byId = await server().request(
      "POST",
      `/agent-workers/projects/${worker.projectId}/workers`,
      { implementation_kind: kind, worker_key: "k" },
    );
    assert.equal(byId.status, 200);
    assert.equal(byId.body.worker.id, worker.id);

    const otherKey = { authorization: `Bearer ${await createOtherProject(server())}` };
    const body = { implementation_kind: kind, worker_key: "k" };
    const theirs = await server().request(
      "POST",
      "/agent-workers/projects/current/workers",
      body,
      otherKey,
    );
    assert.equal(theirs.status, 201, "the same kind and key in another project is another worker");
    assert.notEqual(theirs.body.worker.id, worker.id);
    const theirProject = theirs.body.worker.project_id;
    assert.notEqual(theirProject, worker.projectId);
    for (const reference of [theirProject, randomUUID(), "default"]) {
      const response = await server().request(
        "POST",
        `/agent-workers/projects/${reference}/workers`,
        { ...body, worker_key: "new" },
      );
      assert.equal(response.status, 404, reference);
      assert.equal(response.body.code, "not_found");
    }
    const again = await server().request("POST", "/agent-workers/projects/current/workers", {
      ...body,
      worker_key: "new",
    });
    assert.equal(again.status, 201, "the refused registrations created nothing");
  });

  test("a worker token acts for its own worker only: another worker id is 403 and changes nothing", async () => {
    const kind = uniqueKind();
    const a = await registerWorker(server(), kind);
    const b = await registerWorker(server(), kind);
    const run = await createWorkerRun(server(), kind);
    const routes: [string, string, unknown][] = [
      ["GET", `/agent-workers/workers/${b.id}`, undefined],
      ["POST", `/agent-workers/workers/${b.id}/heartbeat`, {}],
      ["POST", `/agent-workers/workers/${b.id}/claim`, {}],
      ["POST", `/agent-workers/workers/${b.id}/runs/${run.run_id}/lease`, {}],
      [
        "PUT",
        `/agent-workers/workers/${b.id}/runs/${run.run_id}/session`,
        { session_key: "s", status: "active" },
      ],
      ["POST", `/agent-workers/workers/${randomUUID()}/claim`, {}],
    ];
    for (const [method, path, body] of routes) {
      const response = await server().request(method, path, body, a.auth);
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.equal(response.body.code, "forbidden");
    }
    const stored = await storedRun(server(), a.projectId, run.run_id);
    assert.equal(stored.status, "pending");
    assert.equal(stored.lease_owner, null);
    const own = await server().request("GET", `/agent-workers/workers/${a.id}`, undefined, a.auth);
    assert.equal(own.status, 200);
    assert.equal(own.body.worker.id, a.id);
  });

  test("an unknown worker, or another project's, is 404 on every worker route and nothing changes", async () => {
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind);
    const run = await createWorkerRun(server(), kind);
    const otherKey = { authorization: `Bearer ${await createOtherProject(server())}` };
    for (const [id, headers] of [
      [worker.id, otherKey],
      [randomUUID(), {}],
    ] as const) {
      for (const [method, path, body] of [
        ["GET", `/agent-workers/workers/${id}`, undefined],
        ["POST", `/agent-workers/workers/${id}/heartbeat`, undefined],
        ["POST", `/agent-workers/workers/${id}/claim`, { wait_seconds: 0 }],
        ["POST", `/agent-workers/workers/${id}/runs/${run.run_id}/lease`, undefined],
        [
          "PUT",
          `/agent-workers/workers/${id}/runs/${run.run_id}/session`,
          { session_key: "s", status: "active" },
        ],
      ] as const) {
        const response = await server().request(method, path, body, headers);
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.equal(response.body.code, "not_found");
      }
    }
    const stored = await storedRun(server(), worker.projectId, run.run_id);
    assert.equal(stored.lease_owner, null);
    assert.equal(stored.status, "pending");
    const after = await server().request("GET", `/agent-workers/workers/${worker.id}`);
    assert.equal(after.body.worker.last_heartbeat_at, worker.record.last_heartbeat_at);

    // Nor does a worker reach another project's runs.
    const theirRun = await server().request(
      "POST",
      "/runs",
      {
        kind: "agent",
        owner: { kind: "conversation", id: randomUUID() },
        request: { agent_id: "a", implementation_kind: kind },
      },
      otherKey,
    );
    assert.equal(theirRun.status, 202);
    assert.deepEqual((await claim(server(), worker)).body.run.run_id, run.run_id);
    for (const [method, suffix, body] of [
      ["POST", "lease", {}],
      ["PUT", "session", { session_key: "s", status: "active" }],
    ] as const) {
      const response = await server().request(
        method,
        `/agent-workers/workers/${worker.id}/runs/${theirRun.body.run.run_id}/${suffix}`,
        body,
        worker.auth,
      );
      assert.equal(response.status, 404, suffix);
    }
    assert.deepEqual(
      (await claim(server(), worker)).body,
      { run: null },
      "theirs is not claimable",
    );
  });

  test("bad inputs are 400 invalid_request and change nothing", async () => {
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind);
    const run = await createWorkerRun(server(), kind);
    const claimPath = `/agent-workers/workers/${worker.id}/claim`;
    const cases: [string, string, unknown, string][] = [
      ["POST", claimPath, { lease_duration_seconds: 4 }, "body.lease_duration_seconds"],
      ["POST", claimPath, { lease_duration_seconds: 3601 }, "body.lease_duration_seconds"],
      ["POST", claimPath, { lease_duration_seconds: 30.5 }, "body.lease_duration_seconds"],
      ["POST", claimPath, { lease_duration_seconds: "60" }, "body.lease_duration_seconds"],
      ["POST", claimPath, { wait_seconds: 31 }, "body.wait_seconds"],
      ["POST", claimPath, { wait_seconds: -1 }, "body.wait_seconds"],
      ["POST", claimPath, [], "body"],
      [
        "POST",
        `/agent-workers/workers/${worker.id}/runs/${run.run_id}/lease`,
        { lease_duration_seconds: 3601 },
        "body.lease_duration_seconds",
      ],
      [
        "PUT",
        `/agent-workers/workers/${worker.id}/runs/${run.run_id}/session`,
        { session_key: "s", status: "paused" },
        "body.status",
      ],
      [
        "PUT",
        `/agent-workers/workers/${worker.id}/runs/${run.run_id}/session`,
        { status: "active" },
        "body.session_key",
      ],
      [
        "POST",
        "/agent-workers/projects/current/workers",
        { implementation_kind: kind },
        "body.worker_key",
      ],
      [
        "POST",
        "/agent-workers/projects/current/workers",
        { implementation_kind: "", worker_key: "k" },
        "body.implementation_kind",
      ],
      [
        "POST",
        `/agent-workers/workers/${worker.id}/heartbeat`,
        { status: "asleep" },
        "body.status",
      ],
    ];
    for (const [method, path, body, issuePath] of cases) {
      const response = await server().request(method, path, body, worker.auth);
      assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.text}`);
      assert.equal(response.body.code, "invalid_request");
      assert.ok(
        response.body.issues.some((i: { path: string }) => i.path === issuePath),
        `${JSON.stringify(body)}: ${JSON.stringify(response.body.issues)}`,
      );
    }
    const stored = await storedRun(server(), worker.projectId, run.run_id);
    assert.equal(stored.status, "pending", "no claim happened");
    assert.equal(stored.lease_owner, null);
    assert.equal(stored.worker_session, null);
  });

  test("worker routes need the workers scope", async () => {
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind);
    const readOnly = await keyWithScopes(server(), worker.projectId, ["agent-runs:read"]);
    const headers = { authorization: `Bearer ${readOnly}` };
    for (const [method, path] of [
      ["POST", "/agent-workers/projects/current/workers"],
      ["POST", `/agent-workers/workers/${worker.id}/heartbeat`],
      ["POST", `/agent-workers/workers/${worker.id}/claim`],
    ] as const) {
      const response = await server().request(method, path, undefined, headers);
      assert.equal(response.status, 403, `${method} ${path}`);
    }
    const workersOnly = await keyWithScopes(server(), worker.projectId, ["workers"]);
    const run = await createWorkerRun(server(), kind);
    const claimed = await claim(server(), { ...worker, auth: bearer(workersOnly) });
    assert.equal(claimed.status, 200);
    assert.equal(claimed.body.run.run_id, run.run_id, "a workers-scoped key claims for its worker");
  });

  test("claiming a pending run starts it: running, the server's RUN_STARTED as event 1, leased, with its request", async () => {
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind);
    const run = await createWorkerRun(server(), kind, { metadata: { task: "t" } });
    const response = await claim(server(), worker, { lease_duration_seconds: 120 });
    assert.equal(response.status, 200);
    const claimed = response.body.run;
    assert.equal(claimed.run_id, run.run_id);
    assert.equal(claimed.status, "running");
    assert.equal(claimed.latest_event_id, 1);
    assert.equal(claimed.latest_external_event_sequence, 0);
    assert.ok(claimed.started_at);
    assert.equal(claimed.lease_owner, worker.id);
    const leaseMs = Date.parse(claimed.lease_expires_at) - Date.parse(claimed.started_at);
    assert.equal(leaseMs, 120_000);
    assert.equal(claimed.request_snapshot.request.implementation_kind, kind);
    assert.deepEqual(claimed.request_snapshot.request.metadata, { task: "t" });
    assert.equal(claimed.worker_session, null);
    assert.equal(claimed.implementation_kind, kind);
    const events = await server().request("GET", `/runs/${run.run_id}/events`);
    assert.deepEqual(events.body.data[0].event, {
      type: "RUN_STARTED",
      threadId: run.conversation_id,
      runId: run.run_id,
    });
    const nothing = await claim(server(), worker);
    assert.equal(nothing.status, 200);
    assert.deepEqual(nothing.body, { run: null }, "a leased run is not claimed again");
    const noBody = await server().request(
      "POST",
      `/agent-workers/workers/${worker.id}/claim`,
      undefined,
      worker.auth,
    );
    assert.deepEqual(noBody.body, { run: null }, "the body is optional");
  });

  test("claims take the oldest run of the worker's kind, and a run naming a worker_key only by that worker", async () => {
    const kind = uniqueKind();
    const a = await registerWorker(server(), kind, "a");
    const b = await registerWorker(server(), kind, "b");
    const stranger = await registerWorker(server(), uniqueKind());
    const forB = await createWorkerRun(server(), kind, { worker_key: "b" });
    const anyOne = await createWorkerRun(server(), kind);
    await createRun(server(), {}, {});
    const running = await createWorkerRun(server(), kind, { initial_status: "running" });

    assert.deepEqual((await claim(server(), stranger)).body, { run: null }, "other kinds never");
    assert.equal((await claim(server(), a)).body.run.run_id, anyOne.run_id, "not b's run");
    const takenByA = await claim(server(), a);
    assert.equal(takenByA.body.run.run_id, running.run_id, "a running run with no lease");
    assert.equal(takenByA.body.run.latest_event_id, 1, "no second RUN_STARTED");
    assert.deepEqual((await claim(server(), a)).body, { run: null });
    assert.equal((await claim(server(), b)).body.run.run_id, forB.run_id);
  });

  test("a worker appends to and completes its run with its own token; completing releases the lease", async () => {
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind);
    const run = await createWorkerRun(server(), kind);
    await claim(server(), worker);
    const appended = await server().request(
      "POST",
      `/conversations/${run.conversation_id}/runs/${run.run_id}/events`,
      { ...appendText("m1"), expected_previous_event_id: 1 },
      worker.auth,
    );
    assert.equal(appended.status, 200, appended.text);
    assert.equal(appended.body.latest_event_id, 4);
    const read = await server().request("GET", `/runs/${run.run_id}`, undefined, worker.auth);
    assert.equal(read.status, 200, "the worker token reads runs");
    const done = await server().request(
      "POST",
      `/runs/${run.run_id}/complete`,
      { status: "completed" },
      worker.auth,
    );
    assert.equal(done.status, 200, done.text);
    const stored = await storedRun(server(), worker.projectId, run.run_id);
    assert.equal(stored.lease_owner, null);
    assert.equal(stored.lease_expires_at, null);
    const renewed = await server().request(
      "POST",
      `/agent-workers/workers/${worker.id}/runs/${run.run_id}/lease`,
      { lease_duration_seconds: 60 },
      worker.auth,
    );
    assert.equal(renewed.status, 200);
    assert.deepEqual(renewed.body, { run: null }, "an ended run's lease is gone");
    assert.deepEqual((await claim(server(), worker)).body, { run: null }, "ended runs stay ended");
  });

  test("cancelling a claimed run releases the lease too", async () => {
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind);
    const run = await createWorkerRun(server(), kind);
    await claim(server(), worker);
    const cancelled = await server().request("POST", `/runs/${run.run_id}/cancel`, {});
    assert.equal(cancelled.status, 200);
    const stored = await storedRun(server(), worker.projectId, run.run_id);
    assert.equal(stored.status, "cancelled");
    assert.equal(stored.lease_owner, null);
  });

  test("a worker cannot write to a run it does not hold: 409 lease_lost on append, wait, complete and cancel", async () => {
    const kind = uniqueKind();
    const holder = await registerWorker(server(), kind);
    const other = await registerWorker(server(), kind);
    const held = await createWorkerRun(server(), kind);
    await claim(server(), holder);
    const unclaimed = await createRun(server());
    for (const run of [held, unclaimed]) {
      for (const [path, body] of [
        [`/runs/${run.run_id}/events`, appendText("x")],
        [`/runs/${run.run_id}/wait`, { tool_call_id: "tc" }],
        [`/runs/${run.run_id}/complete`, { status: "completed" }],
        [`/runs/${run.run_id}/cancel`, {}],
      ] as const) {
        const response = await server().request("POST", path, body, other.auth);
        assert.equal(response.status, 409, `${path}: ${response.text}`);
        assert.equal(response.body.code, "lease_lost");
      }
    }
    assert.equal((await eventTypes(server(), held.run_id)).length, 1, "only RUN_STARTED");
    assert.equal((await storedRun(server(), holder.projectId, held.run_id)).status, "running");
    assert.equal((await storedRun(server(), holder.projectId, unclaimed.run_id)).status, "pending");
  });

  test("lease renewal extends the holder's lease; anyone else gets {run: null}; an unknown run is 404", async () => {
    const kind = uniqueKind();
    const holder = await registerWorker(server(), kind);
    const other = await registerWorker(server(), kind);
    const run = await createWorkerRun(server(), kind);
    const claimed = (await claim(server(), holder, { lease_duration_seconds: 5 })).body.run;
    const path = (w: { id: string }) => `/agent-workers/workers/${w.id}/runs/${run.run_id}/lease`;
    const renewed = await server().request(
      "POST",
      path(holder),
      { lease_duration_seconds: 3600 },
      holder.auth,
    );
    assert.equal(renewed.status, 200);
    assert.equal(renewed.body.run.run_id, run.run_id);
    assert.equal(renewed.body.run.lease_owner, holder.id);
    assert.ok(renewed.body.run.lease_expires_at > claimed.lease_expires_at);
    const defaulted = await server().request("POST", path(holder), undefined, holder.auth);
    assert.equal(defaulted.body.run.lease_owner, holder.id, "the body is optional (60 s)");
    const notHeld = await server().request("POST", path(other), {}, other.auth);
    assert.equal(notHeld.status, 200);
    assert.deepEqual(notHeld.body, { run: null });
    const unknown = await server().request(
      "POST",
      `/agent-workers/workers/${holder.id}/runs/no-such-run/lease`,
      {},
      holder.auth,
    );
    assert.equal(unknown.status, 404);
    const stored = await storedRun(server(), holder.projectId, run.run_id);
    assert.equal(stored.lease_owner, holder.id);
  });

  test("the holder records its session on the run; others get 409 lease_lost; it can finalise the session after completing", async () => {
    const kind = uniqueKind();
    const holder = await registerWorker(server(), kind);
    const other = await registerWorker(server(), kind);
    const run = await createWorkerRun(server(), kind);
    await claim(server(), holder);
    const path = (w: { id: string }) => `/agent-workers/workers/${w.id}/runs/${run.run_id}/session`;
    const put = await server().request(
      "PUT",
      path(holder),
      { session_key: "sess-1", status: "active", metadata: { sandbox: "sb-1" } },
      holder.auth,
    );
    assert.equal(put.status, 200, put.text);
    const session = put.body.session;
    assert.deepEqual(
      { ...session, created_at: "t", updated_at: "t" },
      {
        session_key: "sess-1",
        status: "active",
        metadata: { sandbox: "sb-1" },
        worker_id: holder.id,
        run_id: run.run_id,
        created_at: "t",
        updated_at: "t",
      },
    );
    const stranger = await server().request(
      "PUT",
      path(other),
      { session_key: "sess-x", status: "active" },
      other.auth,
    );
    assert.equal(stranger.status, 409);
    assert.equal(stranger.body.code, "lease_lost");

    await server().request("POST", `/runs/${run.run_id}/complete`, { status: "completed" });
    const finalised = await server().request(
      "PUT",
      path(holder),
      { session_key: "sess-1", status: "completed" },
      holder.auth,
    );
    assert.equal(finalised.status, 200, finalised.text);
    assert.equal(finalised.body.session.status, "completed");
    assert.deepEqual(finalised.body.session.metadata, { sandbox: "sb-1" }, "kept when not given");
    assert.equal(finalised.body.session.created_at, session.created_at);
    const late = await server().request(
      "PUT",
      path(other),
      { session_key: "sess-x", status: "failed" },
      other.auth,
    );
    assert.equal(late.status, 409, "only the session's own worker finalises it");
    const stored = await storedRun(server(), holder.projectId, run.run_id);
    assert.equal((stored.worker_session as { status: string }).status, "completed");
    assert.equal(stored.status, "completed", "a session's status does not end the run");
  });

  test("a heartbeat marks the worker active and returns a fresh token that works", async () => {
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind);
    const beat = await server().request(
      "POST",
      `/agent-workers/workers/${worker.id}/heartbeat`,
      undefined,
      worker.auth,
    );
    assert.equal(beat.status, 200);
    assert.equal(beat.body.worker.id, worker.id);
    assert.equal(beat.body.worker.status, "active");
    assert.ok(beat.body.worker.last_heartbeat_at >= worker.record.last_heartbeat_at);
    const fresh = bearer(beat.body.token);
    const read = await server().request(
      "GET",
      `/agent-workers/workers/${worker.id}`,
      undefined,
      fresh,
    );
    assert.equal(read.status, 200);
    const draining = await server().request(
      "POST",
      `/agent-workers/workers/${worker.id}/heartbeat`,
      { status: "inactive", metadata: { draining: true } },
      fresh,
    );
    assert.equal(draining.body.worker.status, "inactive");
    assert.deepEqual(draining.body.worker.metadata, { draining: true });
  });
});
