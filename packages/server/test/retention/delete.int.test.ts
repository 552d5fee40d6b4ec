/**
 * Deleting runs and conversations on request (docs/api.md §9): status codes, tombstones on every
 * route of every path family, ids that stay taken, and rows that are really gone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { routeCatalogue } from "../../src/auth/route-catalogue.ts";
import { bearer, createKey, textEvents, writerToken } from "../auth/fixtures.ts";
import {
  createOtherProject,
  createRun,
  newConversationId,
  type TestServer,
} from "../helpers/server.ts";
import { complete, countOf, describeRetention, sweepUntilIdle } from "./helpers.ts";

/** A valid body for each kind of run route (so validation passes and the run is looked up). */
const BODIES: Record<string, unknown> = {
  events: { events: textEvents("late") },
  complete: { status: "completed" },
  cancel: {},
  wait: { tool_call_id: "t1" },
  "tool-result": { toolCallId: "t1", result: "x" },
  start: {},
};

/**
 * Every route that names a run by `:run_id` (and at most its conversation), taken from the
 * app itself so a route added later is covered too, with the run's ids filled in.
 */
function runRoutes(server: TestServer, cid: string, runId: string): [string, string, unknown][] {
  return routeCatalogue(server.server.app)
    .filter((route) => route.url.includes(":run_id"))
    .filter((route) =>
      [...route.url.matchAll(/:([a-z_]+)/g)].every((m) =>
        ["run_id", "conversation_id"].includes(m[1]!),
      ),
    )
    .map((route) => {
      const path = route.url.replace(":run_id", runId).replace(":conversation_id", cid);
      const reads = route.method === "GET" || route.method === "HEAD";
      return [route.method, path, reads ? undefined : BODIES[path.split("/").pop()!]];
    });
}

describeRetention("DELETE /runs/{run_id}", (get) => {
  test("an ended run and its descendants answer 410 run_deleted with deleted_at on every route of every family", async () => {
    const { server } = get();
    const parent = await createRun(server);
    const child = await createRun(server, { parent_run_id: parent.run_id });
    const grandchild = await createRun(server, { parent_run_id: child.run_id });
    await server.request("POST", `/runs/${parent.run_id}/events`, { events: textEvents("m1") });
    for (const run of [grandchild, child, parent]) await complete(server, run.run_id);

    const deleted = await server.request("DELETE", `/runs/${parent.run_id}`);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, "");

    for (const run of [parent, child, grandchild]) {
      const routes = runRoutes(server, run.conversation_id, run.run_id);
      assert.ok(routes.length > 30, `only ${routes.length} run routes found`);
      for (const [method, path, body] of routes) {
        const response = await server.request(method, path, body);
        assert.equal(response.status, 410, `${method} ${path}: ${response.text}`);
        if (method === "HEAD") continue;
        assert.equal(response.body.code, "run_deleted");
        assert.match(response.headers.get("content-type") ?? "", /application\/problem\+json/);
        assert.match(response.body.deleted_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    }
    const again = await server.request("DELETE", `/runs/${parent.run_id}`);
    assert.equal(again.status, 410);
  });

  test("a deleted run addressed through another conversation is 404, not 410", async () => {
    const { server } = get();
    const run = await createRun(server);
    await complete(server, run.run_id);
    assert.equal((await server.request("DELETE", `/runs/${run.run_id}`)).status, 204);
    const elsewhere = await server.request(
      "GET",
      `/conversations/${newConversationId()}/runs/${run.run_id}`,
    );
    assert.equal(elsewhere.status, 404);
  });

  test("an active run, or an ended one with an active descendant, is refused with 409 run_active and stays", async () => {
    const { server } = get();
    const active = await createRun(server);
    const refused = await server.request("DELETE", `/runs/${active.run_id}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, "run_active");
    assert.deepEqual(refused.body.active_run_ids, [active.run_id]);

    const parent = await createRun(server);
    const child = await createRun(server, { parent_run_id: parent.run_id });
    await complete(server, parent.run_id);
    const withChild = await server.request("DELETE", `/runs/${parent.run_id}`);
    assert.equal(withChild.status, 409);
    assert.deepEqual(withChild.body.active_run_ids, [child.run_id]);
    assert.equal((await server.request("GET", `/runs/${parent.run_id}`)).status, 200);
    assert.equal((await server.request("GET", `/runs/${child.run_id}`)).status, 200);
  });

  test("deleting a child leaves its parent and siblings as they were", async () => {
    const { server } = get();
    const parent = await createRun(server);
    const doomed = await createRun(server, { parent_run_id: parent.run_id });
    const sibling = await createRun(server, { parent_run_id: parent.run_id });
    await complete(server, doomed.run_id);
    assert.equal((await server.request("DELETE", `/runs/${doomed.run_id}`)).status, 204);
    const children = await server.request("GET", `/runs/${parent.run_id}/children`);
    assert.deepEqual(
      children.body.data.map((r: { run_id: string }) => r.run_id),
      [sibling.run_id],
    );
    assert.equal((await server.request("GET", `/runs/${parent.run_id}`)).body.status, "pending");
  });

  test("deleted runs leave every listing at once, before the sweeper has purged them", async () => {
    const { server } = get();
    const run = await createRun(server);
    await complete(server, run.run_id);
    assert.equal((await server.request("DELETE", `/runs/${run.run_id}`)).status, 204);
    const all = await server.request("GET", `/runs?conversation_id=${run.conversation_id}`);
    assert.deepEqual(all.body.data, []);
    const inConversation = await server.request(
      "GET",
      `/conversations/${run.conversation_id}/runs`,
    );
    assert.deepEqual(inConversation.body.data, []);
  });

  test("a deleted public_id cannot be used again while its tombstone exists, on either create route", async () => {
    const { server } = get();
    const cid = newConversationId();
    const run = await createRun(server, { conversationId: cid, public_id: "erased-run-1" });
    await complete(server, run.run_id);
    assert.equal((await server.request("DELETE", "/runs/erased-run-1")).status, 204);
    await sweepUntilIdle(server);
    const again = await server.request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: cid },
      request: { agent_id: "agent-1" },
      public_id: "erased-run-1",
    });
    assert.equal(again.status, 410, again.text);
    assert.equal(again.body.code, "run_deleted");
    const older = await server.request(
      "POST",
      `/conversations/${cid}/agent-runs/erased-run-1/start`,
      {},
    );
    assert.equal(older.status, 410);
    const asParent = await createRun(server, {}, {}).then(() =>
      server.request("POST", "/runs", {
        kind: "agent",
        owner: { kind: "conversation", id: cid },
        request: { agent_id: "agent-1" },
        parent_run_id: "erased-run-1",
      }),
    );
    assert.equal(asParent.status, 410);
  });

  test("deleting needs runs:write, and another project's run is 404", async () => {
    const { server } = get();
    const run = await createRun(server);
    await complete(server, run.run_id);
    const reader = await createKey(server, ["agent-runs:read"]);
    const forbidden = await server.request(
      "DELETE",
      `/runs/${run.run_id}`,
      undefined,
      bearer(reader.key),
    );
    assert.equal(forbidden.status, 403);
    const writer = await writerToken(server, run.run_id).catch(() => undefined);
    if (writer) {
      const byWriter = await server.request(
        "DELETE",
        `/runs/${run.run_id}`,
        undefined,
        bearer(writer),
      );
      assert.equal(byWriter.status, 403);
    }
    const other = await createOtherProject(server);
    const invisible = await server.request(
      "DELETE",
      `/runs/${run.run_id}`,
      undefined,
      bearer(other),
    );
    assert.equal(invisible.status, 404);
    assert.equal((await server.request("GET", `/runs/${run.run_id}`)).status, 200);
  });

  test("after the sweep no row of a deleted tree is left in the database", async () => {
    const { server, raw } = get();
    const parent = await createRun(server);
    const child = await createRun(server, { parent_run_id: parent.run_id });
    const keep = await createRun(server, { conversationId: parent.conversation_id });
    for (const run of [parent, child, keep]) {
      await server.request("POST", `/runs/${run.run_id}/events`, { events: textEvents("m") });
    }
    for (const run of [child, parent, keep]) await complete(server, run.run_id);
    const pks = (
      await raw("SELECT pk, run_id FROM runs WHERE run_id IN ($1, $2)", [
        parent.run_id,
        child.run_id,
      ])
    ).map((r) => Number(r.pk));
    assert.equal(pks.length, 2);

    assert.equal((await server.request("DELETE", `/runs/${parent.run_id}`)).status, 204);
    await sweepUntilIdle(server);

    for (const pk of pks) {
      assert.equal(
        await countOf(raw, "SELECT COUNT(*) AS n FROM run_events WHERE run_pk = $1", [pk]),
        0,
      );
      assert.equal(await countOf(raw, "SELECT COUNT(*) AS n FROM runs WHERE pk = $1", [pk]), 0);
    }
    assert.equal(
      await countOf(raw, "SELECT COUNT(*) AS n FROM run_tombstones WHERE run_id IN ($1, $2)", [
        parent.run_id,
        child.run_id,
      ]),
      2,
    );
    // The run that was not deleted keeps everything.
    const kept = await raw("SELECT pk FROM runs WHERE run_id = $1", [keep.run_id]);
    assert.equal(kept.length, 1);
    assert.ok(
      (await countOf(raw, "SELECT COUNT(*) AS n FROM run_events WHERE run_pk = $1", [
        Number(kept[0]!.pk),
      ])) > 3,
    );
    const log = await server.request("GET", `/runs/${keep.run_id}/events`);
    assert.equal(log.status, 200);
  });
});

describeRetention("DELETE /conversations/{cid}", (get) => {
  test("with an active run it answers 409 run_active and deletes nothing", async () => {
    const { server } = get();
    const cid = newConversationId();
    const ended = await createRun(server, { conversationId: cid });
    await complete(server, ended.run_id);
    const active = await createRun(server, { conversationId: cid });
    const refused = await server.request("DELETE", `/conversations/${cid}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, "run_active");
    assert.deepEqual(refused.body.active_run_ids, [active.run_id]);
    assert.equal((await server.request("GET", `/runs/${ended.run_id}`)).status, 200);
    assert.equal((await server.request("GET", `/conversations/${cid}`)).status, 200);
  });

  test("cancel=true cancels the active runs first, then every run of the conversation and its descendants answers 410", async () => {
    const { server } = get();
    const cid = newConversationId();
    const ended = await createRun(server, { conversationId: cid });
    await complete(server, ended.run_id);
    const active = await createRun(server, { conversationId: cid }, { initial_status: "running" });
    const elsewhereChild = await createRun(server, { parent_run_id: active.run_id });
    const deleted = await server.request("DELETE", `/conversations/${cid}?cancel=true`);
    assert.equal(deleted.status, 204, deleted.text);
    for (const run of [ended, active]) {
      for (const path of [
        `/runs/${run.run_id}`,
        `/conversations/${cid}/runs/${run.run_id}`,
        `/conversations/${cid}/agent-runs/${run.run_id}/stream`,
      ]) {
        const response = await server.request("GET", path);
        assert.equal(response.status, 410, `${path}: ${response.text}`);
        assert.equal(response.body.code, "run_deleted");
      }
    }
    // A descendant owned by another conversation goes with its parent: a tree goes together.
    assert.equal((await server.request("GET", `/runs/${elsewhereChild.run_id}`)).status, 410);
    assert.equal((await server.request("GET", `/conversations/${cid}`)).status, 404);
    assert.deepEqual((await server.request("GET", `/conversations/${cid}/runs`)).body.data, []);
  });

  test("the conversation row and all its runs' rows are gone from the database after the sweep", async () => {
    const { server, raw } = get();
    const cid = newConversationId();
    const a = await createRun(server, { conversationId: cid });
    const b = await createRun(server, { conversationId: cid });
    for (const run of [a, b]) {
      await server.request("POST", `/runs/${run.run_id}/events`, { events: textEvents("m") });
      await complete(server, run.run_id);
    }
    assert.equal((await server.request("DELETE", `/conversations/${cid}`)).status, 204);
    await sweepUntilIdle(server);
    assert.equal(
      await countOf(raw, "SELECT COUNT(*) AS n FROM conversations WHERE id = $1", [cid]),
      0,
    );
    assert.equal(
      await countOf(raw, "SELECT COUNT(*) AS n FROM runs WHERE conversation_id = $1", [cid]),
      0,
    );
    assert.equal(
      await countOf(
        raw,
        "SELECT COUNT(*) AS n FROM run_events e WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.pk = e.run_pk)",
        [],
      ),
      0,
    );
  });

  test("an unknown conversation is 404, a bad cancel value 400, a read-only key 403", async () => {
    const { server } = get();
    assert.equal(
      (await server.request("DELETE", `/conversations/${newConversationId()}`)).status,
      404,
    );
    const run = await createRun(server);
    const bad = await server.request("DELETE", `/conversations/${run.conversation_id}?cancel=yes`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "invalid_request");
    const reader = await createKey(server, ["agent-runs:read"]);
    const forbidden = await server.request(
      "DELETE",
      `/conversations/${run.conversation_id}`,
      undefined,
      bearer(reader.key),
    );
    assert.equal(forbidden.status, 403);
    assert.equal((await server.request("GET", `/runs/${run.run_id}`)).status, 200);
  });
});
