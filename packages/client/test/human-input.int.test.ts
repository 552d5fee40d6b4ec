/**
 * `client.humanInput` against a real server: an agent opens a request and waits for the
 * answer while a person lists and answers it; interrupts and resume round-trip.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RunlineError } from "../src/index.ts";
import { newRun, useServer } from "./helpers/setup.ts";

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe("client.humanInput against a real server", () => {
  const suite = useServer();

  test("create, list open, wait for the answer while a person responds, then read it", async () => {
    const { client, server } = suite();
    const { conversationId, runId } = await newRun(client, { initial_status: "running" });
    const created = await client.humanInput.createInputRequest(conversationId, {
      run_id: runId,
      tool_call_id: "tc-1",
      kind: "form",
      requested_responder_type: "human",
      title: "Shipping address",
      fields: [
        { type: "text", name: "street", label: "Street", required: true },
        { type: "number", name: "floor", label: "Floor", min: 0 },
      ],
      expires_at: inAnHour(),
    });
    assert.equal(created.status, "open");
    assert.deepEqual(created.fields[0], {
      type: "text",
      name: "street",
      label: "Street",
      required: true,
      secret: false,
    });
    const again = await client.humanInput.createInputRequest(conversationId, {
      run_id: runId,
      tool_call_id: "tc-1",
      kind: "form",
      requested_responder_type: "human",
      title: "Shipping address",
      fields: [{ type: "text", name: "street", label: "Street" }],
      expires_at: inAnHour(),
    });
    assert.equal(again.id, created.id, "retrying the create returns the open request");

    const answer = client.humanInput.waitForAnswer(conversationId, created.id);
    const wakeups = server.server.humanInput.inputRequestWakeups;
    while (wakeups.watching === 0) await new Promise((resolve) => setImmediate(resolve));

    const open = await client.humanInput.listOpenInputRequests(conversationId);
    assert.deepEqual(
      open.map((r) => r.id),
      [created.id],
    );
    const submitted = await client.humanInput.respond(conversationId, created.id, {
      street: "Main St 1",
      floor: "3",
    });
    assert.equal(submitted.status, "submitted");
    const answered = await answer;
    assert.equal(answered.status, "submitted");
    assert.deepEqual(answered.latest_response?.values, { street: "Main St 1", floor: 3 });
    assert.deepEqual(await client.humanInput.listOpenInputRequests(conversationId), []);
    const listed = await client.humanInput.listInputRequests(conversationId, {
      status: "submitted",
    });
    assert.equal(listed.data[0]?.id, created.id);
  });

  test("a refused answer is a RunlineError with the issues per field; cancel closes the request", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client, { initial_status: "running" });
    const request = await client.humanInput.createInputRequest(conversationId, {
      run_id: runId,
      tool_call_id: "tc-2",
      kind: "form",
      requested_responder_type: "human",
      title: "Approve?",
      fields: [{ type: "confirm", name: "ok", label: "OK?", required: true }],
      expires_at: inAnHour(),
    });
    const refused = await client.humanInput.respond(conversationId, request.id, { ok: "yes" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(refused instanceof RunlineError);
    assert.equal(refused.code, "invalid_response");
    assert.deepEqual(refused.problem.issues, [
      { path: "values.ok", message: "must be true or false" },
    ]);
    const cancelled = await client.humanInput.cancel(conversationId, request.id);
    assert.equal(cancelled.status, "cancelled");
    const waited = await client.humanInput.waitForAnswer(conversationId, request.id);
    assert.equal(waited.status, "cancelled");
    const late = await client.humanInput.respond(conversationId, request.id, { ok: true }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(late instanceof RunlineError);
    assert.equal(late.status, 409);
    assert.equal(late.problem.input_request_status, "cancelled");
  });

  test("waitForAnswer with a timeout returns the request still open", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client, { initial_status: "running" });
    const request = await client.humanInput.createInputRequest(conversationId, {
      run_id: runId,
      tool_call_id: "tc-3",
      kind: "form",
      requested_responder_type: "agent",
      title: "Anything?",
      fields: [{ type: "text", name: "x", label: "X" }],
      expires_at: inAnHour(),
    });
    const result = await client.humanInput.waitForAnswer(conversationId, request.id, {
      timeoutSeconds: 1,
    });
    assert.equal(result.status, "open");
  });

  test("interrupt ends the run with an interrupt outcome; resume answers it on the next root run", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client, { initial_status: "running" });
    const done = await client.humanInput.interrupt(conversationId, runId, [
      { id: "approve-1", reason: "tool_approval", message: "Pay 20 EUR?" },
    ]);
    assert.equal(done.run.status, "completed");
    const open = await client.humanInput.listInterrupts(conversationId, { status: "open" });
    assert.deepEqual(
      open.data.map((i) => i.interrupt.id),
      ["approve-1"],
    );
    const blocked = await client
      .createRun({
        kind: "agent",
        owner: { kind: "conversation", id: conversationId },
        request: { agent_id: "agent-1" },
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.ok(blocked instanceof RunlineError);
    assert.equal(blocked.code, "interrupts_unanswered");
    assert.deepEqual(blocked.problem.open_interrupt_ids, ["approve-1"]);
    const resumed = await client.humanInput.resume(
      conversationId,
      [{ interruptId: "approve-1", status: "resolved", payload: { approved: true } }],
      { agent_id: "agent-1", initial_status: "running" },
    );
    assert.equal(resumed.duplicate, false);
    const events = await client.listEvents(conversationId, resumed.run.run_id);
    assert.deepEqual(events.data[0]?.event.input, {
      threadId: conversationId,
      runId: resumed.run.run_id,
      messages: [],
      resume: [{ interruptId: "approve-1", status: "resolved", payload: { approved: true } }],
    });
    const closed = await client.humanInput.listInterrupts(conversationId);
    assert.equal(closed.data[0]?.status, "resolved");
    assert.equal(closed.data[0]?.resolved_by_run_id, resumed.run.run_id);
  });
});
