/**
 * The stream as `@ag-ui/client` reads it (docs/api.md §4.4, §4.5): its own HTTP/SSE parsing
 * (`HttpAgent`, `runHttpRequest` + `transformHttpEventStream` / `parseSSEStream`) reads our
 * frames, `verifyEvents` accepts every stream and every "snapshot, then the stream after its
 * `after_event_id`" sequence, and each ends with the same messages and state as the whole log.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  AbstractAgent,
  type BaseEvent,
  HttpAgent,
  parseSSEStream,
  type RunAgentInput,
  runHttpRequest,
  transformHttpEventStream,
  verifyEvents,
} from "@ag-ui/client";
import { from, lastValueFrom, type Observable, toArray } from "rxjs";
import { BOOTSTRAP_KEY, describeEachStore, type TestServer } from "../helpers/server.ts";
import { httpFetch } from "../live/http-fetch.ts";
import { append, complete, logOf, runningRun } from "../live/run-fixtures.ts";

/** A run touching every kind of event the client folds: text, tools, state, reasoning, steps. */
const SCRIPT: Record<string, unknown>[] = [
  { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "Hello" },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: ", world" },
  { type: "TEXT_MESSAGE_END", messageId: "m1" },
  { type: "STATE_SNAPSHOT", snapshot: { count: 0, items: [] } },
  { type: "TOOL_CALL_START", toolCallId: "tc1", toolCallName: "search", parentMessageId: "m1" },
  { type: "TOOL_CALL_ARGS", toolCallId: "tc1", delta: '{"q":' },
  { type: "TOOL_CALL_ARGS", toolCallId: "tc1", delta: '"runline"}' },
  { type: "TOOL_CALL_END", toolCallId: "tc1" },
  { type: "TOOL_CALL_RESULT", messageId: "t1", toolCallId: "tc1", content: "found", role: "tool" },
  { type: "STATE_DELTA", delta: [{ op: "replace", path: "/count", value: 1 }] },
  { type: "STEP_STARTED", stepName: "think" },
  { type: "REASONING_START", messageId: "r1" },
  { type: "REASONING_MESSAGE_START", messageId: "r1", role: "reasoning" },
  { type: "REASONING_MESSAGE_CONTENT", messageId: "r1", delta: "Let me see" },
  { type: "REASONING_MESSAGE_END", messageId: "r1" },
  { type: "REASONING_END", messageId: "r1" },
  { type: "STEP_FINISHED", stepName: "think" },
  { type: "STATE_DELTA", delta: [{ op: "add", path: "/items/-", value: "a" }] },
  { type: "CUSTOM", name: "note", value: { x: 1 } },
  { type: "TEXT_MESSAGE_START", messageId: "m2", role: "assistant" },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "m2", delta: "Done" },
  // m2 stays open: completing the run closes it.
];

interface Snapshot {
  after_event_id: number;
  events: { event_id: number | null; event: Record<string, unknown> }[];
}

interface ClientView {
  messages: unknown;
  state: unknown;
}

/** Runs `run()` of an agent through the client's whole pipeline (enforce, chunks, verify, apply). */
async function quietly(agent: AbstractAgent): Promise<ClientView> {
  const { warn, error } = console;
  // The client logs failures before rethrowing them; the assertion reports the failure itself.
  console.warn = () => {};
  console.error = () => {};
  try {
    await agent.runAgent();
  } finally {
    console.warn = warn;
    console.error = error;
  }
  return { messages: agent.messages, state: agent.state };
}

/** An agent whose run is a fixed list of events. */
class ReplayAgent extends AbstractAgent {
  readonly #events: BaseEvent[];
  constructor(events: readonly unknown[]) {
    super();
    // The client's BaseEvent narrows `type` to its enum; these are the same JSON objects.
    this.#events = structuredClone(events) as BaseEvent[];
  }
  override run(): Observable<BaseEvent> {
    return from(this.#events);
  }
}

/** `HttpAgent` pointed at our stream: a GET instead of its usual POST of the run input. */
class StreamAgent extends HttpAgent {
  protected override requestInit(_input: RunAgentInput): RequestInit {
    return { method: "GET", headers: this.headers, signal: this.abortController.signal };
  }
}

const auth = (lastEventId?: number): Record<string, string> => ({
  authorization: `Bearer ${BOOTSTRAP_KEY}`,
  ...(lastEventId !== undefined && { "last-event-id": String(lastEventId) }),
});

/** The stream after `lastEventId`, through the client's transport and SSE parser. */
function streamedEvents(url: string, lastEventId?: number): Promise<unknown[]> {
  const http$ = runHttpRequest(() => httpFetch(url, { headers: auth(lastEventId) }));
  return lastValueFrom(parseSSEStream(http$).pipe(toArray()));
}

describeEachStore("@ag-ui/client reads the stream", (server) => {
  let runId = "";
  let log: Record<string, unknown>[] = [];
  /** The snapshot taken after every single event of SCRIPT, and one after the run ended. */
  const snapshots: Snapshot[] = [];
  let whole: ClientView;

  const streamUrl = () => `${server().url}/runs/${runId}/stream`;

  async function snapshot(s: TestServer): Promise<Snapshot> {
    const response = await s.request("GET", `/runs/${runId}/snapshot`);
    assert.equal(response.status, 200, response.text);
    return response.body as Snapshot;
  }

  before(async () => {
    runId = (await runningRun(server())).run_id;
    snapshots.push(await snapshot(server()));
    for (const event of SCRIPT) {
      await append(server(), runId, [event]);
      snapshots.push(await snapshot(server()));
    }
    await complete(server(), runId);
    snapshots.push(await snapshot(server()));
    log = (await logOf(server(), runId)).map((row) => row.event);
    whole = await quietly(new ReplayAgent(log));
    assert.ok(
      Array.isArray(whole.messages) && whole.messages.length >= 4,
      "the log builds messages",
    );
  });

  test("transformHttpEventStream yields exactly the log, and verifyEvents accepts it", async () => {
    const http$ = runHttpRequest(() => httpFetch(streamUrl(), { headers: auth() }));
    const events = await lastValueFrom(
      transformHttpEventStream(http$).pipe(verifyEvents(), toArray()),
    );
    assert.deepEqual(events, log);
  });

  test("HttpAgent follows a live run to its end and holds the same messages and state as the whole log", async () => {
    const live = await runningRun(server());
    const agent = new StreamAgent({
      url: `${server().url}/runs/${live.run_id}/stream`,
      headers: auth(),
      fetch: httpFetch,
    });
    let attached: () => void = () => {};
    const firstEvent = new Promise<void>((resolve) => {
      attached = resolve;
    });
    agent.subscribe({ onEvent: () => attached() });
    const following = quietly(agent);
    await firstEvent;
    for (let i = 0; i < SCRIPT.length; i += 4) {
      await append(server(), live.run_id, SCRIPT.slice(i, i + 4));
    }
    await complete(server(), live.run_id);
    const view = await following;
    const liveLog = (await logOf(server(), live.run_id)).map((row) => row.event);
    const expected = await quietly(new ReplayAgent(liveLog));
    assert.deepEqual(view.messages, expected.messages);
    assert.deepEqual(view.state, expected.state);
    // Same script, same fold: the live run and the prepared one end alike.
    assert.deepEqual(view.state, whole.state);
  });

  test("every snapshot, then the stream after its after_event_id, passes verifyEvents and ends like the whole log", async () => {
    assert.equal(snapshots.length, SCRIPT.length + 2);
    for (const snap of snapshots) {
      const tail = await streamedEvents(streamUrl(), snap.after_event_id);
      assert.equal(tail.length, log.length - snap.after_event_id, `after ${snap.after_event_id}`);
      const resumed = await quietly(
        new ReplayAgent([...snap.events.map((entry) => entry.event), ...tail]),
      ).catch((error: unknown) => {
        assert.fail(`after ${snap.after_event_id}: the client refused the sequence: ${error}`);
      });
      assert.deepEqual(resumed.messages, whole.messages, `messages after ${snap.after_event_id}`);
      assert.deepEqual(resumed.state, whole.state, `state after ${snap.after_event_id}`);
    }
  });

  test("the stream from every position, read by the client's parser, is exactly that suffix of the log", async () => {
    for (let k = 0; k <= log.length; k++) {
      assert.deepEqual(await streamedEvents(streamUrl(), k), log.slice(k), `after ${k}`);
    }
  });
});
