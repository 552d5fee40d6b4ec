/**
 * Human in the loop with Runline, both styles, against a running server:
 *
 *   RUNLINE_URL=http://127.0.0.1:8787 RUNLINE_API_KEY=vf_… node --import tsx docs/examples/human-in-the-loop.ts
 *
 * 1. Input request (Veryfront style): the agent's run opens a form and waits for the answer
 *    (long-poll); answer it in the inspector (/ui, the run's page) or with the command it prints.
 * 2. AG-UI 1.0 interrupt: the run ends with an interrupt outcome; the next root run of the
 *    conversation answers it with `resume` (the server refuses a run that does not).
 */
import { randomUUID } from "node:crypto";
import { RunlineClient, RunlineError } from "@runline/client";

const url = process.env.RUNLINE_URL ?? "http://127.0.0.1:8787";
const client = new RunlineClient({ baseUrl: url, apiKey: process.env.RUNLINE_API_KEY });
const conversationId = randomUUID();

// ── 1. Input request: ask a person, wait for the answer, go on ───────────────────────────

const { run } = await client.createRun({
  kind: "agent",
  owner: { kind: "conversation", id: conversationId },
  request: { agent_id: "travel-agent", initial_status: "running" },
});
const request = await client.humanInput.createInputRequest(conversationId, {
  run_id: run.run_id,
  tool_call_id: "call-book-1",
  kind: "form",
  requested_responder_type: "human",
  title: "Book this flight?",
  description: "LH 1234, Frankfurt → Lisbon, 18 Dec, 189 EUR",
  fields: [
    { type: "confirm", name: "approve", label: "Book it?", required: true },
    {
      type: "radio",
      name: "seat",
      label: "Seat",
      options: [
        { value: "aisle", label: "Aisle", recommended: true },
        { value: "window", label: "Window" },
      ],
      defaultValue: "aisle",
    },
    { type: "password", name: "card_cvc", label: "Card CVC", required: true, secret: true },
  ],
  expires_at: new Date(Date.now() + 15 * 60_000).toISOString(),
});
console.log(`Waiting for an answer to input request ${request.id}. Answer it:`);
console.log(`  in the inspector: ${url}/ui/conversations/${conversationId}/runs/${run.run_id}`);
console.log(`  or: npm run runline -- runs answer ${conversationId} ${request.id}`);

const answered = await client.humanInput.waitForAnswer(conversationId, request.id);
if (answered.status !== "submitted" || answered.latest_response?.values.approve !== true) {
  console.log(`Not booked (the request is ${answered.status}).`);
  await client.completeRun(conversationId, run.run_id, { status: "completed" });
} else {
  const seat = answered.latest_response.values.seat;
  await client.run(conversationId, run.run_id).append([
    { type: "TEXT_MESSAGE_START", messageId: "m-booked", role: "assistant" },
    { type: "TEXT_MESSAGE_CONTENT", messageId: "m-booked", delta: `Booked, ${seat} seat.` },
    { type: "TEXT_MESSAGE_END", messageId: "m-booked" },
  ]);
  await client.completeRun(conversationId, run.run_id, { status: "completed" });
  console.log(`Booked with a ${seat} seat.`);
}

// ── 2. AG-UI interrupt: end the run, answer on the next one ──────────────────────────────

const second = await client.createRun({
  kind: "agent",
  owner: { kind: "conversation", id: conversationId },
  request: { agent_id: "travel-agent", initial_status: "running" },
});
await client.humanInput.interrupt(conversationId, second.run.run_id, [
  { id: "approve-hotel", reason: "tool_approval", message: "Also book the hotel (420 EUR)?" },
]);
const open = await client.humanInput.listInterrupts(conversationId, { status: "open" });
console.log(`Open interrupts: ${open.data.map((item) => item.interrupt.id).join(", ")}`);

try {
  await client.createRun({
    kind: "agent",
    owner: { kind: "conversation", id: conversationId },
    request: { agent_id: "travel-agent" },
  });
} catch (error) {
  if (!(error instanceof RunlineError) || error.code !== "interrupts_unanswered") throw error;
  console.log(`A run without resume is refused: ${error.code}`);
}
const resumed = await client.humanInput.resume(
  conversationId,
  [{ interruptId: "approve-hotel", status: "resolved", payload: { approved: false } }],
  { agent_id: "travel-agent", initial_status: "running" },
);
const [started] = (await client.listEvents(conversationId, resumed.run.run_id)).data;
console.log(`Resumed as ${resumed.run.run_id}; its RUN_STARTED carries`, started?.event.input);
await client.completeRun(conversationId, resumed.run.run_id, { status: "completed" });
