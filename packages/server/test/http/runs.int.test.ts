/** Creating, reading and listing runs, lineage and tenancy (contract §1, §4.1, §4.2, §4.6). */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createOtherProject,
  createRun,
  describeEachStore,
  newConversationId,
} from "../helpers/server.ts";

const SUMMARY_KEYS = [
  "completed_at",
  "created_at",
  "kind",
  "metadata",
  "owner",
  "parent_run_id",
  "queued_behind",
  "root_run_id",
  "run_id",
  "started_at",
  "status",
  "waiting_reason",
];

const RECORD_KEYS = [
  "run_id",
  "conversation_id",
  "message_id",
  "project_id",
  "requested_by_user_id",
  "agent_id",
  "status",
  "runtime_target_kind",
  "latest_event_id",
  "latest_external_event_sequence",
  "created_at",
  "source_target_kind",
  "source_target_environment_id",
  "source_target_branch_id",
  "runtime_target_environment_id",
  "runtime_target_branch_id",
  "parent_conversation_id",
  "parent_run_id",
  "spawned_from_message_id",
  "spawned_from_tool_call_id",
  "input_anchor_message_id",
  "handoff_message_id",
  "resolved_deployment_id",
  "waiting_tool_call_id",
  "waiting_tool_name",
  "terminal_error_code",
  "terminal_error_message",
  "started_at",
  "finished_at",
  "waiting_reason",
  "root_run_id",
  "implementation_kind",
  "worker_key",
  "metadata",
  "queued_behind",
].sort();

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describeEachStore("runs", (server) => {
  test("POST /runs answers 202 with a canonical summary; a root run is its own root", async () => {
    const conversationId = newConversationId();
    const r = await server().request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: conversationId },
      request: { agent_id: "writer", metadata: { a: 1 }, mode: null, runtime_target_kind: null },
      public_id: null,
      parent_run_id: null,
      trigger: null,
    });
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, true);
    assert.equal(r.body.duplicate, false);
    assert.deepEqual(Object.keys(r.body.run).sort(), SUMMARY_KEYS);
    assert.match(r.body.run.run_id, /^run_[0-9a-f]{32}$/);
    assert.equal(r.body.run.root_run_id, r.body.run.run_id);
    assert.deepEqual(r.body.run.owner, { kind: "conversation", id: conversationId });
    assert.equal(r.body.run.status, "pending");
    assert.match(r.body.run.created_at, ISO_MS);
    assert.deepEqual(r.body.run.metadata, { a: 1 });

    const record = await server().request(
      "GET",
      `/conversations/${conversationId}/runs/${r.body.run.run_id}`,
    );
    assert.equal(record.status, 200);
    assert.deepEqual(Object.keys(record.body).sort(), RECORD_KEYS);
    assert.equal(record.body.latest_event_id, 0);
    assert.equal(record.body.latest_external_event_sequence, 0);
    assert.equal(record.body.runtime_target_kind, "production");
    assert.match(record.body.message_id, /^[0-9a-f-]{36}$/);
  });

  test("the same public_id again returns the existing run unchanged with duplicate: true", async () => {
    const conversationId = newConversationId();
    const body = {
      kind: "agent",
      owner: { kind: "conversation", id: conversationId },
      request: { agent_id: "a" },
      public_id: "client-chosen:run.1",
      trigger: { message_id: "msg-1" },
    };
    const first = await server().request("POST", "/runs", body);
    assert.equal(first.body.run.run_id, "client-chosen:run.1");
    const second = await server().request("POST", "/runs", {
      ...body,
      request: { agent_id: "other" },
    });
    assert.equal(second.status, 202);
    assert.equal(second.body.duplicate, true);
    assert.deepEqual(second.body.run, first.body.run);
    const record = await server().request(
      "GET",
      `/conversations/${conversationId}/runs/client-chosen:run.1`,
    );
    assert.equal(record.body.agent_id, "a");
    assert.equal(record.body.message_id, "msg-1");
  });

  test("a child run inherits root and parent conversation, and records its trigger", async () => {
    const parent = await createRun(server());
    const child = await createRun(server(), {
      parent_run_id: parent.run_id,
      trigger: { message_id: "m-7", tool_call_id: "tc-7" },
    });
    assert.equal(child.parent_run_id, parent.run_id);
    assert.equal(child.root_run_id, parent.run_id);
    const grandchild = await createRun(server(), { parent_run_id: child.run_id });
    assert.equal(grandchild.root_run_id, parent.run_id);
    const record = await server().request(
      "GET",
      `/conversations/${child.conversation_id}/runs/${child.run_id}`,
    );
    assert.equal(record.body.parent_conversation_id, parent.conversation_id);
    assert.equal(record.body.spawned_from_message_id, "m-7");
    assert.equal(record.body.spawned_from_tool_call_id, "tc-7");
  });

  test("an unknown parent is 404 and creates nothing", async () => {
    const conversationId = newConversationId();
    const r = await server().request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: conversationId },
      request: { agent_id: "a" },
      public_id: "orphan-1",
      parent_run_id: "no-such-run",
    });
    assert.equal(r.status, 404);
    assert.equal(r.body.code, "not_found");
    assert.equal((await server().request("GET", "/runs/orphan-1")).status, 404);
  });

  test("invalid create bodies are 400 invalid_request with issues", async () => {
    const owner = { kind: "conversation", id: newConversationId() };
    for (const body of [
      { owner, request: { agent_id: "a" } },
      {
        kind: "agent",
        owner: { kind: "conversation", id: "not-a-uuid" },
        request: { agent_id: "a" },
      },
      { kind: "agent", owner, request: { agent_id: "bad id!" } },
      { kind: "agent", owner, request: { agent_id: "a", initial_status: "waiting" } },
      { kind: "agent", owner, request: { agent_id: "a" }, public_id: "x".repeat(129) },
      { kind: "agent", owner, request: { agent_id: "a", runtime_target_kind: "mars" } },
      { kind: "agent", owner, request: { agent_id: 5 } },
      [],
    ]) {
      const r = await server().request("POST", "/runs", body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.code, "invalid_request");
      assert.ok(r.body.issues.length > 0);
      assert.ok(
        r.body.issues.every(
          (i: { path: unknown; message: unknown }) =>
            typeof i.path === "string" && typeof i.message === "string",
        ),
      );
    }
  });

  test("a trigger field misplaced at the top level is 400 naming the field and where it belongs, and creates nothing", async () => {
    const parent = await createRun(server());
    const r = await server().request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: newConversationId() },
      request: { agent_id: "a" },
      public_id: "misplaced-1",
      parent_run_id: parent.run_id,
      spawned_from_tool_call_id: "tc-1",
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, "invalid_request");
    assert.deepEqual(r.body.issues, [
      {
        path: "body.spawned_from_tool_call_id",
        message: "is set from trigger.tool_call_id: send that instead",
      },
    ]);
    assert.match(r.body.detail, /spawned_from_tool_call_id.*trigger\.tool_call_id/);
    assert.equal((await server().request("GET", "/runs/misplaced-1")).status, 404);
  });

  test("a request field at the top level is 400 pointing into request; other unknown top-level fields are tolerated", async () => {
    const owner = { kind: "conversation", id: newConversationId() };
    const misplaced = await server().request("POST", "/runs", {
      kind: "agent",
      owner,
      request: { agent_id: "a" },
      implementation_kind: "python",
    });
    assert.equal(misplaced.status, 400);
    assert.equal(misplaced.body.issues[0].path, "body.implementation_kind");
    assert.match(misplaced.body.issues[0].message, /request\.implementation_kind/);
    const extra = await server().request("POST", "/runs", {
      kind: "agent",
      owner,
      request: { agent_id: "a" },
      client_version: "1.2.3",
    });
    assert.equal(extra.status, 202);
  });

  test("the older start route creates a run keyed by the path and answers with a record", async () => {
    const conversationId = newConversationId();
    const path = `/conversations/${conversationId}/agent-runs/legacy-1/start`;
    const first = await server().request("POST", path, { messages: [], agent_id: "old" });
    assert.equal(first.status, 202);
    assert.equal(first.body.duplicate, false);
    assert.equal(first.body.run.run_id, "legacy-1");
    assert.equal(first.body.run.agent_id, "old");
    assert.deepEqual(Object.keys(first.body.run).sort(), RECORD_KEYS);
    const again = await server().request("POST", path, undefined, {
      "content-type": "application/json",
    });
    assert.equal(again.status, 202);
    assert.equal(again.body.duplicate, true);
  });

  test("GET /runs/{id} is a summary; the conversation families give records; a wrong conversation is 404", async () => {
    const run = await createRun(server());
    const summary = await server().request("GET", `/runs/${run.run_id}`, undefined, {
      "content-type": "application/json",
    });
    assert.equal(summary.status, 200);
    assert.equal(summary.body.kind, "agent");
    for (const family of ["runs", "agent-runs"]) {
      const r = await server().request(
        "GET",
        `/conversations/${run.conversation_id}/${family}/${run.run_id}`,
      );
      assert.equal(r.status, 200);
      assert.equal(r.body.conversation_id, run.conversation_id);
    }
    const wrong = await server().request(
      "GET",
      `/conversations/${newConversationId()}/runs/${run.run_id}`,
    );
    assert.equal(wrong.status, 404);
    assert.equal((await server().request("GET", "/runs/nope")).status, 404);
  });

  test("listings are newest first, filterable, and paged with cursors that stay stable", async () => {
    const conversationId = newConversationId();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (await createRun(server(), { conversationId }, { agent_id: `lister-${i % 2}` })).run_id,
      );
    const base = `/conversations/${conversationId}/runs`;
    const page1 = await server().request("GET", `${base}?limit=2`);
    assert.equal(page1.status, 200);
    assert.deepEqual(
      page1.body.data.map((r: { run_id: string }) => r.run_id),
      [ids[4], ids[3]],
    );
    assert.equal(page1.body.page_info.self, null);
    assert.equal(page1.body.page_info.first, null);
    assert.equal(page1.body.page_info.prev, null);
    assert.ok(page1.body.page_info.next);
    await createRun(server(), { conversationId });
    const page2 = await server().request(
      "GET",
      `${base}?limit=2&cursor=${encodeURIComponent(page1.body.page_info.next)}`,
    );
    assert.deepEqual(
      page2.body.data.map((r: { run_id: string }) => r.run_id),
      [ids[2], ids[1]],
    );
    assert.equal(page2.body.page_info.self, page1.body.page_info.next);
    assert.ok(page2.body.page_info.prev);
    const page3 = await server().request(
      "GET",
      `${base}?limit=2&cursor=${encodeURIComponent(page2.body.page_info.next)}`,
    );
    assert.deepEqual(
      page3.body.data.map((r: { run_id: string }) => r.run_id),
      [ids[0]],
    );
    assert.equal(page3.body.page_info.next, null);
    const back = await server().request(
      "GET",
      `${base}?limit=2&cursor=${encodeURIComponent(page3.body.page_info.prev)}`,
    );
    assert.deepEqual(
      back.body.data.map((r: { run_id: string }) => r.run_id),
      [ids[2], ids[1]],
    );

    const filtered = await server().request(
      "GET",
      `/runs?agent_id=lister-1&conversation_id=${conversationId}&status=pending`,
    );
    assert.deepEqual(
      filtered.body.data.map((r: { run_id: string }) => r.run_id),
      [ids[3], ids[1]],
    );
    const waiting = await server().request(
      "GET",
      `/runs?status=waiting&conversation_id=${conversationId}`,
    );
    assert.deepEqual(waiting.body.data, []);
  });

  test("limits outside 1-100 and forged or foreign cursors are refused", async () => {
    const conversationId = newConversationId();
    await createRun(server(), { conversationId });
    await createRun(server(), { conversationId });
    for (const q of ["limit=0", "limit=101", "limit=abc", "limit=1.5", "status=sleeping"]) {
      const r = await server().request("GET", `/runs?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.code, "invalid_request");
    }
    const page = await server().request("GET", `/conversations/${conversationId}/runs?limit=1`);
    const cursor: string = page.body.page_info.next;
    const [payload, signature] = cursor.split(".");
    const forged = `${Buffer.from(JSON.stringify(["x", 1, 1])).toString("base64url")}.${signature}`;
    for (const bad of ["garbage", `${payload}.AAAA`, forged, `${cursor}x`]) {
      const r = await server().request(
        "GET",
        `/conversations/${conversationId}/runs?cursor=${encodeURIComponent(bad)}`,
      );
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.code, "invalid_cursor");
    }
    const elsewhere = await server().request("GET", `/runs?cursor=${encodeURIComponent(cursor)}`);
    assert.equal(elsewhere.status, 400);
    assert.equal(elsewhere.body.code, "invalid_cursor");
  });

  test("children listings: by parent run (oldest first, filterable) and by parent conversation", async () => {
    const parent = await createRun(server());
    const c1 = await createRun(server(), {
      parent_run_id: parent.run_id,
      trigger: { tool_call_id: "tc-a" },
    });
    const c2 = await createRun(server(), {
      parent_run_id: parent.run_id,
      trigger: { tool_call_id: "tc-b" },
    });
    const all = await server().request("GET", `/runs/${parent.run_id}/children`);
    assert.deepEqual(
      all.body.data.map((r: { run_id: string }) => r.run_id),
      [c1.run_id, c2.run_id],
    );
    assert.equal(all.body.data[0].kind, "agent");
    const byTool = await server().request(
      "GET",
      `/conversations/${parent.conversation_id}/agent-runs/${parent.run_id}/children?spawned_from_tool_call_id=tc-b`,
    );
    assert.deepEqual(
      byTool.body.data.map((r: { run_id: string }) => r.run_id),
      [c2.run_id],
    );
    assert.equal(byTool.body.data[0].spawned_from_tool_call_id, "tc-b");
    const byConversation = await server().request(
      "GET",
      `/conversations/${parent.conversation_id}/runs/children-by-parent-conversation?limit=1`,
    );
    assert.equal(byConversation.status, 200);
    assert.equal(byConversation.body.data[0].run_id, c1.run_id);
    assert.deepEqual(byConversation.body.data[0].run_snapshot, {
      project_agent: { project_id: byConversation.body.data[0].project_id, agent_id: "agent-1" },
      runtime_target: { environment_id: null, branch_id: null, kind: "production" },
      requester: { user_id: null },
    });
    assert.ok(byConversation.body.page_info.next);
    const limit = await server().request("GET", `/runs/${parent.run_id}/children?limit=101`);
    assert.equal(limit.status, 400);
  });

  test("another project's runs and conversations are invisible (404, never 403)", async () => {
    const otherKey = await createOtherProject(server());
    const as = { authorization: `Bearer ${otherKey}` };
    const run = await createRun(server());
    const base = `/conversations/${run.conversation_id}/runs/${run.run_id}`;
    for (const [method, path, body] of [
      ["GET", `/runs/${run.run_id}`],
      ["GET", base],
      ["GET", `${base}/events`],
      ["GET", `${base}/snapshot`],
      ["GET", `${base}/children`],
      ["POST", `${base}/events`, { events: [{ type: "CUSTOM", name: "x", value: 1 }] }],
      ["POST", `/runs/${run.run_id}/complete`, { status: "completed" }],
      ["POST", `/runs/${run.run_id}/cancel`, {}],
      ["POST", `${base}/wait`, { tool_call_id: "x" }],
      ["GET", `/conversations/${run.conversation_id}`],
    ] as const) {
      const r = await server().request(method, path, body, as);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.body.code, "not_found");
    }
    const listed = await server().request("GET", "/runs?limit=100", undefined, as);
    assert.ok(listed.body.data.every((r: { run_id: string }) => r.run_id !== run.run_id));
    const theirs = await server().request(
      "POST",
      "/runs",
      {
        kind: "agent",
        owner: { kind: "conversation", id: run.conversation_id },
        request: { agent_id: "a" },
        public_id: run.run_id,
      },
      as,
    );
    assert.equal(theirs.status, 202);
    assert.equal(theirs.body.duplicate, false, "run ids are unique per project, not globally");
    assert.equal((await server().request("GET", `/runs/${run.run_id}`)).body.status, "pending");
  });

  test("conversations: create 201, again 200, read, unknown 404", async () => {
    const id = newConversationId();
    const created = await server().request("POST", "/conversations", {
      id,
      metadata: { title: "t" },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.id, id);
    const again = await server().request("POST", "/conversations", { id });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.metadata, { title: "t" });
    const generated = await server().request("POST", "/conversations");
    assert.equal(generated.status, 201);
    assert.match(generated.body.id, /^[0-9a-f-]{36}$/);
    assert.equal((await server().request("GET", `/conversations/${id}`)).body.id, id);
    assert.equal(
      (await server().request("GET", `/conversations/${newConversationId()}`)).status,
      404,
    );
    assert.equal((await server().request("GET", "/conversations/not-a-uuid")).status, 400);
  });
});
