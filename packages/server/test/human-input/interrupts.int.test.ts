/** AG-UI 1.0 interrupts and resume (docs/api.md §7.5), on every store. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { verifyEvents } from "@ag-ui/client";
import { EventSchema } from "@ag-ui/core/schemas";
import { from, lastValueFrom, toArray } from "rxjs";
import { createRun, describeEachStore, type TestServer } from "../helpers/server.ts";
import { logOf } from "../live/run-fixtures.ts";
import { inputRequestBody, requestPath } from "./fixtures.ts";

const approval = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  reason: "tool_approval",
  message: "Approve the payment?",
  toolCallId: "tc-pay",
  ...extra,
});

/** A conversation whose (running) root run completed with an interrupt outcome. */
async function interrupted(server: TestServer, interrupts: Record<string, unknown>[]) {
  const run = await createRun(server, {}, { initial_status: "running" });
  const done = await server.request("POST", `/runs/${run.run_id}/complete`, {
    status: "completed",
    outcome: { type: "interrupt", interrupts },
  });
  assert.equal(done.status, 200, done.text);
  return run;
}

const rootRun = (
  server: TestServer,
  conversationId: string,
  request: Record<string, unknown> = {},
) =>
  server.request("POST", "/runs", {
    kind: "agent",
    owner: { kind: "conversation", id: conversationId },
    request: { agent_id: "agent-1", ...request },
  });

describeEachStore("interrupts and resume", (server) => {
  test("complete with an interrupt outcome writes it on RUN_FINISHED and opens the interrupts", async () => {
    const run = await interrupted(server(), [approval("i-1"), approval("i-2")]);
    const log = await logOf(server(), run.run_id);
    const finished = log[log.length - 1]!.event;
    assert.deepEqual(finished, {
      type: "RUN_FINISHED",
      threadId: run.conversation_id,
      runId: run.run_id,
      outcome: { type: "interrupt", interrupts: [approval("i-1"), approval("i-2")] },
    });
    assert.ok(EventSchema.safeParse(finished).success, "a valid AG-UI 1.0 event");
    const listed = await server().request(
      "GET",
      `/conversations/${run.conversation_id}/interrupts`,
    );
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.data.map((item: { interrupt: { id: string } }) => item.interrupt.id),
      ["i-2", "i-1"],
    );
    const item = listed.body.data[1];
    assert.deepEqual(Object.keys(item).sort(), [
      "created_at",
      "interrupt",
      "resolved_by_run_id",
      "resume",
      "run_id",
      "status",
    ]);
    assert.equal(item.run_id, run.run_id);
    assert.equal(item.status, "open");
    assert.equal(item.resolved_by_run_id, null);
    assert.equal(item.resume, null);
  });

  test("an outcome is refused with any status but completed, and when AG-UI's schema refuses it", async () => {
    const run = await createRun(server(), {}, { initial_status: "running" });
    for (const body of [
      { status: "failed", outcome: { type: "success" } },
      { status: "completed", outcome: { type: "interrupt", interrupts: [] } },
      { status: "completed", outcome: { type: "interrupt", interrupts: [{ id: "x" }] } },
      { status: "completed", outcome: { type: "weird" } },
    ]) {
      const response = await server().request("POST", `/runs/${run.run_id}/complete`, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.code, "invalid_request");
    }
    const ok = await server().request("POST", `/runs/${run.run_id}/complete`, {
      status: "completed",
      outcome: { type: "success" },
    });
    assert.equal(ok.status, 200);
  });

  test("an interrupt id already open in the conversation is 409 conflict, and nothing changes", async () => {
    const first = await interrupted(server(), [approval("dup")]);
    const child = await createRun(
      server(),
      { conversationId: first.conversation_id, parent_run_id: first.run_id },
      { initial_status: "running" },
    );
    const refused = await server().request("POST", `/runs/${child.run_id}/complete`, {
      status: "completed",
      outcome: { type: "interrupt", interrupts: [approval("dup")] },
    });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, "conflict");
    const still = await server().request("GET", `/runs/${child.run_id}`);
    assert.equal(still.body.status, "running");
    const twice = await createRun(server(), {}, { initial_status: "running" });
    const doubled = await server().request("POST", `/runs/${twice.run_id}/complete`, {
      status: "completed",
      outcome: { type: "interrupt", interrupts: [approval("a"), approval("a")] },
    });
    assert.equal(doubled.status, 409);
  });

  test("a new root run must answer every open interrupt: 409 interrupts_unanswered with their ids", async () => {
    const run = await interrupted(server(), [approval("i-1"), approval("i-2")]);
    const bare = await rootRun(server(), run.conversation_id);
    assert.equal(bare.status, 409);
    assert.equal(bare.body.code, "interrupts_unanswered");
    assert.deepEqual(bare.body.open_interrupt_ids, ["i-1", "i-2"]);
    const partial = await rootRun(server(), run.conversation_id, {
      resume: [{ interruptId: "i-1", status: "resolved", payload: { approved: true } }],
    });
    assert.equal(partial.status, 409);
    assert.deepEqual(partial.body.open_interrupt_ids, ["i-2"]);
    const runs = await server().request("GET", `/conversations/${run.conversation_id}/runs`);
    assert.equal(runs.body.data.length, 1, "no run was created");
  });

  test("an entry naming no open interrupt is 409 interrupt_not_open, also where none is open", async () => {
    const run = await interrupted(server(), [approval("i-1")]);
    const stray = await rootRun(server(), run.conversation_id, {
      resume: [
        { interruptId: "i-1", status: "resolved" },
        { interruptId: "nope", status: "resolved" },
      ],
    });
    assert.equal(stray.status, 409);
    assert.equal(stray.body.code, "interrupt_not_open");
    const empty = await rootRun(server(), randomUUID(), {
      resume: [{ interruptId: "i-1", status: "cancelled" }],
    });
    assert.equal(empty.status, 409);
    assert.equal(empty.body.code, "interrupt_not_open");
  });

  test("resume closes the interrupts and the new run's RUN_STARTED carries the full RunAgentInput", async () => {
    const run = await interrupted(server(), [approval("i-1"), approval("i-2")]);
    const resume = [
      { interruptId: "i-1", status: "resolved", payload: { approved: true } },
      { interruptId: "i-2", status: "cancelled" },
    ];
    const next = await rootRun(server(), run.conversation_id, {
      resume,
      initial_status: "running",
    });
    assert.equal(next.status, 202, next.text);
    const nextId = next.body.run.run_id;
    const log = await logOf(server(), nextId);
    assert.deepEqual(log[0]!.event, {
      type: "RUN_STARTED",
      threadId: run.conversation_id,
      runId: nextId,
      input: { threadId: run.conversation_id, runId: nextId, messages: [], resume },
    });
    assert.ok(EventSchema.safeParse(log[0]!.event).success);
    const listed = await server().request(
      "GET",
      `/conversations/${run.conversation_id}/interrupts`,
    );
    const byId = Object.fromEntries(
      listed.body.data.map((item: { interrupt: { id: string } }) => [item.interrupt.id, item]),
    );
    assert.equal(byId["i-1"].status, "resolved");
    assert.equal(byId["i-1"].resolved_by_run_id, nextId);
    assert.deepEqual(byId["i-1"].resume, resume[0]);
    assert.equal(byId["i-2"].status, "cancelled");
    assert.equal(byId["i-2"].resolved_by_run_id, nextId);
    const open = await server().request(
      "GET",
      `/conversations/${run.conversation_id}/interrupts?status=open`,
    );
    assert.deepEqual(open.body.data, []);
    const resolved = await server().request(
      "GET",
      `/conversations/${run.conversation_id}/interrupts?status=resolved`,
    );
    assert.equal(resolved.body.data.length, 1);
    // The conversation is free again.
    assert.equal((await rootRun(server(), run.conversation_id)).status, 202);
  });

  test("the resumed run's log, with the interrupted one's, passes AG-UI's verifyEvents", async () => {
    const run = await interrupted(server(), [approval("v-1")]);
    const next = await rootRun(server(), run.conversation_id, {
      resume: [{ interruptId: "v-1", status: "resolved", payload: "yes" }],
    });
    await server().request("POST", `/runs/${next.body.run.run_id}/complete`, {
      status: "completed",
    });
    for (const id of [run.run_id, next.body.run.run_id]) {
      const events = (await logOf(server(), id)).map((e) => e.event);
      const verified = await lastValueFrom(
        from(events as never[]).pipe(verifyEvents(false), toArray()),
      );
      assert.equal(verified.length, events.length);
    }
  });

  test("a duplicate public_id returns the existing run before any interrupt check", async () => {
    const conversationId = randomUUID();
    const first = await server().request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: conversationId },
      request: { agent_id: "agent-1", initial_status: "running" },
      public_id: `pub-${randomUUID()}`,
    });
    const publicId = first.body.run.run_id;
    await server().request("POST", `/runs/${publicId}/complete`, {
      status: "completed",
      outcome: { type: "interrupt", interrupts: [approval("p-1")] },
    });
    const retried = await server().request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: conversationId },
      request: { agent_id: "agent-1" },
      public_id: publicId,
    });
    assert.equal(retried.status, 202);
    assert.equal(retried.body.duplicate, true);
  });

  test("child runs need no resume; expired interrupts need no answer and list as expired", async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const run = await interrupted(server(), [approval("old", { expiresAt: past })]);
    const listed = await server().request(
      "GET",
      `/conversations/${run.conversation_id}/interrupts?status=expired`,
    );
    assert.equal(listed.body.data.length, 1);
    assert.equal(listed.body.data[0].status, "expired");
    assert.equal((await rootRun(server(), run.conversation_id)).status, 202);

    const open = await interrupted(server(), [approval("fresh")]);
    const child = await server().request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: open.conversation_id },
      request: { agent_id: "agent-1" },
      parent_run_id: open.run_id,
    });
    assert.equal(child.status, 202);
  });

  test("the interrupt listing validates its query and pages newest first", async () => {
    const run = await interrupted(server(), [approval("a"), approval("b"), approval("c")]);
    const path = `/conversations/${run.conversation_id}/interrupts`;
    const page1 = await server().request("GET", `${path}?limit=2`);
    assert.deepEqual(
      page1.body.data.map((i: { interrupt: { id: string } }) => i.interrupt.id),
      ["c", "b"],
    );
    const page2 = await server().request(
      "GET",
      `${path}?limit=2&cursor=${encodeURIComponent(page1.body.page_info.next)}`,
    );
    assert.deepEqual(
      page2.body.data.map((i: { interrupt: { id: string } }) => i.interrupt.id),
      ["a"],
    );
    for (const bad of ["status=pending", "limit=0", "cursor=forged.x"]) {
      assert.equal((await server().request("GET", `${path}?${bad}`)).status, 400, bad);
    }
  });

  test("completing with an interrupt cancels the run's open input requests in the same step", async () => {
    const run = await createRun(server(), {}, { initial_status: "running" });
    const made = await server().request(
      "POST",
      `/conversations/${run.conversation_id}/input-requests`,
      inputRequestBody(run.run_id),
    );
    await server().request("POST", `/runs/${run.run_id}/complete`, {
      status: "completed",
      outcome: { type: "interrupt", interrupts: [approval("with-request")] },
    });
    const read = await server().request("GET", requestPath(run.conversation_id, made.body.id));
    assert.equal(read.body.status, "cancelled");
  });
});
