/**
 * `RunlineAgent` against a real server, checked by `@ag-ui/client` itself: `runAgent` and
 * `connectAgent` pipe every event through `verifyEvents`, and the agent must end with the
 * messages and state that AG-UI computes from the run's whole log — whether it watched from the
 * start, attached halfway (a reloaded page), or attached after the end.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AbstractAgent, type BaseEvent, type RunAgentInput, verifyEvents } from "@ag-ui/client";
import { from, lastValueFrom, type Observable, toArray } from "rxjs";
import { RunlineAgent } from "../src/agui.ts";
import type { AguiEvent, RunHandle, RunlineClient } from "../src/index.ts";
import { newRun, textMessage, useServer } from "./helpers/setup.ts";

/** An agent that replays a fixed list of events: AG-UI's view of a whole log. */
class ReplayAgent extends AbstractAgent {
  private readonly events: BaseEvent[];
  constructor(events: BaseEvent[]) {
    super();
    this.events = events;
  }
  run(): Observable<BaseEvent> {
    return from(this.events);
  }
}

/** The messages and state AG-UI derives from the run's full log. */
async function implied(run: RunHandle) {
  const events: BaseEvent[] = [];
  for await (const e of run.allEvents()) events.push(e.event as unknown as BaseEvent);
  const reference = new ReplayAgent(events);
  await reference.runAgent();
  return { messages: reference.messages, state: reference.state };
}

const firstPart = (): AguiEvent[] => [
  { type: "STATE_SNAPSHOT", snapshot: { step: "search", hits: [] } },
  ...textMessage("m1", "Looking ", "that up."),
  { type: "TOOL_CALL_START", toolCallId: "tc1", toolCallName: "search", parentMessageId: "m1" },
  { type: "TOOL_CALL_ARGS", toolCallId: "tc1", delta: '{"q":' },
  { type: "TOOL_CALL_ARGS", toolCallId: "tc1", delta: '"runline"}' },
  { type: "TOOL_CALL_END", toolCallId: "tc1" },
];
const secondPart = (): AguiEvent[] => [
  { type: "STATE_DELTA", delta: [{ op: "replace", path: "/step", value: "answer" }] },
  { type: "TEXT_MESSAGE_START", messageId: "m2", role: "assistant" },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "m2", delta: "Runline keeps " },
];
const lastPart = (): AguiEvent[] => [
  { type: "TEXT_MESSAGE_CONTENT", messageId: "m2", delta: "durable logs." },
  { type: "TEXT_MESSAGE_END", messageId: "m2" },
  { type: "STATE_DELTA", delta: [{ op: "add", path: "/hits/-", value: 1 }] },
];

/** Appends the whole story: parts, a tool result through wait, and completion. */
async function produce(client: RunlineClient, run: RunHandle, between?: () => Promise<void>) {
  await run.append(firstPart());
  await run.wait({ tool_call_id: "tc1", tool_name: "search" });
  await client.submitToolResult(run.conversationId, run.runId, {
    toolCallId: "tc1",
    result: { hits: 1 },
  });
  await run.append(secondPart());
  await between?.();
  await run.append(lastPart());
  await run.complete({ status: "completed", metadata: { tokens: 42 } });
}

describe("RunlineAgent (AG-UI) against a real server", () => {
  const suite = useServer();

  test("runAgent on an ended run passes verifyEvents and ends with the messages and state the log implies", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    await produce(client, run);

    const agent = new RunlineAgent({ client, conversationId, runId });
    const result = await agent.runAgent();
    const expected = await implied(run);
    assert.deepEqual(agent.messages, expected.messages);
    assert.deepEqual(agent.state, expected.state);
    assert.deepEqual(agent.state, { step: "answer", hits: [1] });
    assert.deepEqual(
      agent.messages.map((m) => [m.role, m.id]),
      [
        ["assistant", "m1"],
        ["tool", expected.messages[1]?.id],
        ["assistant", "m2"],
      ],
    );
    assert.equal(agent.messages[2]?.content, "Runline keeps durable logs.");
    assert.equal(result.newMessages.length, 3);

    const input: RunAgentInput = {
      threadId: conversationId,
      runId,
      messages: [],
      tools: [],
      context: [],
      state: {},
      forwardedProps: {},
    };
    const verified = await lastValueFrom(agent.run(input).pipe(verifyEvents(), toArray()));
    assert.equal(verified.at(-1)?.type, "RUN_FINISHED");
  });

  test("connectAgent follows a live run to RUN_FINISHED; an agent attached halfway (a reload) ends the same", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);

    const early = new RunlineAgent({ client, conversationId, runId });
    let attached!: () => void;
    const earlyAttached = new Promise<void>((resolve) => {
      attached = resolve;
    });
    const earlyDone = early.connectAgent({}, { onRunStartedEvent: () => attached() });
    const reloadDone: Promise<unknown>[] = [];
    const reloaded = new RunlineAgent({ client, conversationId });

    await run.append([{ type: "RUN_STARTED" }]);
    await earlyAttached;
    await produce(client, run, async () => {
      // Mid-message (m2 is open): a page reloads and attaches from the snapshot.
      reloadDone.push(reloaded.connectAgent({ runId }));
    });
    await earlyDone;
    await Promise.all(reloadDone);

    const expected = await implied(run);
    assert.deepEqual(early.messages, expected.messages);
    assert.deepEqual(early.state, expected.state);
    assert.deepEqual(reloaded.messages, expected.messages);
    assert.deepEqual(reloaded.state, expected.state);
    assert.equal(early.isRunning, false);
  });

  test("abortRun stops following: the pending runAgent settles and the run goes on", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    await run.append(textMessage("m1", "still going"));
    const agent = new RunlineAgent({ client, conversationId, runId });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const done = agent.runAgent({}, { onMessagesSnapshotEvent: () => started() });
    await running;
    agent.abortRun();
    await done;
    assert.deepEqual(
      agent.messages.map((m) => m.content),
      ["still going"],
    );
    assert.equal((await run.get()).status, "running");
  });
});
