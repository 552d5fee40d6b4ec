/**
 * Every typed method against a real server: requests go out as the contract says, replies come
 * back with the shapes the types promise, and errors arrive as typed problems.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import {
  EventCursorConflictError,
  RunlineClient,
  RunlineConnectionError,
  RunlineError,
} from "../src/index.ts";
import { custom, newRun, textMessage, useServer } from "./helpers/setup.ts";

/** Awaits a rejection and returns it as a RunlineError (fails the test otherwise). */
async function problemOf(promise: Promise<unknown>): Promise<RunlineError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RunlineError, `expected a RunlineError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

describe("RunlineClient against a real server", () => {
  const suite = useServer();

  test("conversations round-trip: create (idempotent on id) and read", async () => {
    const { client } = suite();
    const id = randomUUID();
    const created = await client.createConversation({ id, metadata: { topic: "a" } });
    assert.equal(created.id, id);
    assert.deepEqual(created.metadata, { topic: "a" });
    const again = await client.createConversation({ id });
    assert.equal(again.created_at, created.created_at);
    assert.deepEqual(await client.getConversation(id), created);
  });

  test("runs round-trip: create, duplicate by public_id, start, read both shapes, list", async () => {
    const { client } = suite();
    const conversationId = randomUUID();
    const input = {
      kind: "agent" as const,
      owner: { kind: "conversation" as const, id: conversationId },
      request: { agent_id: "writer", metadata: { k: 1 } },
      public_id: `pub-${randomUUID()}`,
    };
    const first = await client.createRun(input);
    assert.equal(first.accepted, true);
    assert.equal(first.duplicate, false);
    assert.equal(first.run.kind, "agent");
    assert.equal(first.run.status, "pending");
    assert.equal(first.run.root_run_id, first.run.run_id);
    const second = await client.createRun(input);
    assert.equal(second.duplicate, true);
    assert.deepEqual(second.run, first.run);

    const runId = first.run.run_id;
    const summary = await client.getRun(runId);
    assert.deepEqual(summary, first.run);
    const record = await client.getConversationRun(conversationId, runId);
    assert.equal(record.run_id, runId);
    assert.equal(record.conversation_id, conversationId);
    assert.equal(record.latest_event_id, 0);
    assert.equal(record.agent_id, "writer");

    const started = await client.startRun(conversationId, `older-${randomUUID()}`, {
      agent_id: "older",
    });
    assert.equal(started.duplicate, false);
    assert.equal(started.run.conversation_id, conversationId);

    const listed = await client.listConversationRuns(conversationId, { limit: 1 });
    assert.equal(listed.data.length, 1);
    assert.equal(listed.data[0]?.run_id, started.run.run_id, "newest first");
    assert.ok(listed.page_info.next);
    const next = await client.listConversationRuns(conversationId, {
      limit: 1,
      cursor: listed.page_info.next,
    });
    assert.equal(next.data[0]?.run_id, runId);
    const all = await client.listRuns({ conversation_id: conversationId, agent_id: "writer" });
    assert.deepEqual(
      all.data.map((r) => r.run_id),
      [runId],
    );
  });

  test("the log round-trips: raw append, page, snapshot", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const appended = await client.appendEvents(conversationId, runId, {
      events: [...textMessage("m1", "hel", "lo"), custom("c")],
      expected_previous_event_id: 0,
      expected_previous_external_event_sequence: null,
    });
    assert.equal(appended.appended_count, 5);
    assert.equal(appended.latest_event_id, 6, "RUN_STARTED is event 1");
    assert.equal(appended.latest_external_event_sequence, 5);
    assert.equal(appended.duplicate, false);
    assert.equal(appended.run.status, "running");

    const page = await client.listEvents(conversationId, runId, { after_event_id: 2, limit: 2 });
    assert.deepEqual(
      page.data.map((e) => [e.event_id, e.event_type]),
      [
        [3, "TEXT_MESSAGE_CONTENT"],
        [4, "TEXT_MESSAGE_CONTENT"],
      ],
    );
    assert.equal(page.page_info.next, "4");
    assert.equal(typeof page.data[0]?.created_at, "string");

    const snapshot = await client.getSnapshot(conversationId, runId);
    assert.equal(snapshot.after_event_id, 6);
    assert.equal(snapshot.events[0]?.event_type, "RUN_STARTED");
    const messages = snapshot.events.find((e) => e.event_type === "MESSAGES_SNAPSHOT");
    assert.equal(messages?.event_id, null);
    assert.deepEqual(messages?.event.messages, [{ id: "m1", role: "assistant", content: "hello" }]);
  });

  test("finishing and waiting round-trip: wait, tool result (once), complete, cancel", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    await client.appendEvents(conversationId, runId, {
      events: [
        { type: "TOOL_CALL_START", toolCallId: "tc1", toolCallName: "lookup" },
        { type: "TOOL_CALL_END", toolCallId: "tc1" },
      ],
    });
    const waiting = await client.waitForTool(conversationId, runId, {
      tool_call_id: "tc1",
      tool_name: "lookup",
    });
    assert.equal(waiting.run.status, "waiting_for_tool");
    assert.equal(waiting.run.waiting_reason, "tool");
    const result = { toolCallId: "tc1", result: { rows: 2 } };
    assert.deepEqual(await client.submitToolResult(conversationId, runId, result), {
      accepted: true,
      duplicate: false,
    });
    assert.deepEqual(await client.submitToolResult(conversationId, runId, result), {
      accepted: true,
      duplicate: true,
    });
    const done = await client.completeRun(conversationId, runId, {
      status: "completed",
      metadata: { tokens: 3 },
    });
    assert.equal(done.completed, true);
    assert.equal(done.run.status, "completed");
    assert.ok(done.run.finished_at);
    const cancelled = await client.cancelRun(conversationId, runId);
    assert.equal(cancelled.cancelled, false, "cancelling an ended run changes nothing");
    assert.equal(cancelled.run.status, "completed");
  });

  test("lineage round-trips: children by run (both shapes) and by parent conversation", async () => {
    const { client } = suite();
    const parent = await newRun(client, { initial_status: "running" });
    const child = await newRun(client, { parent_run_id: parent.runId });
    const records = await client.listChildren(parent.conversationId, parent.runId);
    assert.deepEqual(
      records.data.map((r) => [r.run_id, r.parent_run_id, r.parent_conversation_id]),
      [[child.runId, parent.runId, parent.conversationId]],
    );
    const summaries = await client.listRunChildren(parent.runId);
    assert.deepEqual(
      summaries.data.map((r) => [r.run_id, r.kind]),
      [[child.runId, "agent"]],
    );
    const spawned = await client.listChildrenByParentConversation(parent.conversationId);
    assert.equal(spawned.data[0]?.run_id, child.runId);
    assert.equal(spawned.data[0]?.run_snapshot.project_agent.agent_id, "agent-1");
  });

  test("credentials round-trip: API keys (created, listed without secret, revoked) and writer tokens", async () => {
    const { client, server } = suite();
    const created = await client.createApiKey({ name: "reader", scopes: ["agent-runs:read"] });
    assert.match(created.key, /^vf_/);
    assert.deepEqual(created.scopes, ["agent-runs:read"]);
    const listed = await client.listApiKeys();
    const entry = listed.data.find((k) => k.id === created.id);
    assert.equal(entry?.name, "reader");
    assert.equal((entry as Record<string, unknown> | undefined)?.key, undefined);

    const reader = new RunlineClient({ baseUrl: server.url, apiKey: created.key });
    const { conversationId, runId } = await newRun(client);
    assert.equal((await reader.getRun(runId)).run_id, runId);
    const refused = await problemOf(reader.createConversation());
    assert.equal(refused.status, 403);
    assert.equal(refused.code, "forbidden");

    await client.deleteApiKey(created.id);
    const revoked = await problemOf(reader.getRun(runId));
    assert.equal(revoked.status, 401);
    assert.equal(revoked.code, "unauthenticated");

    const { run_event_token } = await client.createEventWriterToken(runId);
    const writer = client.withCredentials({ token: run_event_token });
    const handle = writer.run(conversationId, runId, {
      cursors: { latestEventId: 0, latestExternalEventSequence: 0 },
    });
    const outcome = await handle.append([custom("from-sandbox")]);
    assert.equal(outcome.latestExternalEventSequence, 1);
    const other = await newRun(client);
    assert.equal((await problemOf(writer.getRun(other.runId))).code, "forbidden");
  });

  test("workers round-trip: register, heartbeat, claim, renew the lease, record a session", async () => {
    const { client } = suite();
    const kind = `impl-${randomUUID().slice(0, 8)}`;
    const registered = await client.registerWorker("current", {
      implementation_kind: kind,
      worker_key: "w1",
      display_name: "Worker one",
    });
    assert.equal(registered.worker.implementation_kind, kind);
    assert.equal(typeof registered.token, "string");
    const workerId = registered.worker.id;
    const worker = client.withCredentials({ token: registered.token });
    assert.equal((await worker.getWorker(workerId)).worker.id, workerId);
    const beat = await worker.heartbeatWorker(workerId);
    assert.equal(beat.worker.id, workerId);

    assert.deepEqual(await worker.claimRun(workerId, { wait_seconds: 0 }), { run: null });
    const conversationId = randomUUID();
    const { run } = await client.createRun({
      kind: "agent",
      owner: { kind: "conversation", id: conversationId },
      request: { agent_id: "agent-1", implementation_kind: kind },
    });
    const claimed = await worker.claimRun(workerId, { lease_duration_seconds: 30 });
    assert.equal(claimed.run?.run_id, run.run_id);
    assert.equal(claimed.run?.status, "running");
    assert.equal(claimed.run?.lease_owner, workerId);
    const renewed = await worker.renewLease(workerId, run.run_id, { lease_duration_seconds: 60 });
    assert.equal(renewed.run?.run_id, run.run_id);
    const { session } = await worker.putWorkerSession(workerId, run.run_id, {
      session_key: "s1",
      status: "active",
    });
    assert.equal(session.session_key, "s1");
    assert.equal(session.status, "active");
  });

  test("errors are typed problems: status, code, detail, request id and extension members", async () => {
    const { client, server } = suite();
    const missing = await problemOf(client.getRun("no-such-run"));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, "not_found");
    assert.equal(missing.title, "Not found");
    assert.equal(typeof missing.detail, "string");
    assert.ok(missing.requestId);

    const invalid = await problemOf(
      client.createRun({
        kind: "agent",
        owner: { kind: "conversation", id: "not-a-uuid" },
        request: { agent_id: "a" },
      }),
    );
    assert.equal(invalid.code, "invalid_request");
    assert.ok(invalid.issues.some((i) => i.path.includes("owner")));

    const { conversationId, runId } = await newRun(client);
    const badEvent = await problemOf(
      client.appendEvents(conversationId, runId, {
        events: [custom("ok"), { type: "TEXT_MESSAGE_CONTENT", messageId: "nope", delta: "x" }],
      }),
    );
    assert.equal(badEvent.code, "invalid_event");
    assert.equal(badEvent.eventIndex, 1);
    assert.equal(badEvent.problem.event_index, 1);

    await client.appendEvents(conversationId, runId, { events: [custom("a")] });
    const conflict = await problemOf(
      client.appendEvents(conversationId, runId, {
        events: [custom("b")],
        expected_previous_event_id: 0,
      }),
    );
    assert.ok(conflict instanceof EventCursorConflictError);
    assert.equal(conflict.detail, "External run event cursor mismatch");
    assert.equal(conflict.latestEventId, 2);
    assert.equal(conflict.latestExternalEventSequence, 1);
    assert.equal(conflict.problem.latest_event_id, 2);

    const anonymous = new RunlineClient({ baseUrl: server.url });
    const unauthenticated = await problemOf(anonymous.getRun(runId));
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.code, "unauthenticated");
  });

  test("no answer is a RunlineConnectionError, and the caller's abort rejects with its reason", async () => {
    const nowhere = new RunlineClient({ baseUrl: "http://127.0.0.1:9", apiKey: "vf_x_y" });
    await assert.rejects(nowhere.getRun("r"), RunlineConnectionError);
    const { client } = suite();
    const controller = new AbortController();
    const reason = new Error("user left");
    controller.abort(reason);
    await assert.rejects(client.getRun("r", { signal: controller.signal }), (e) => e === reason);
  });
});
