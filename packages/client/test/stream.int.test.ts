/**
 * Following a run with `stream()` against a real server: exactly once, in order, to the
 * terminal event — also through a proxy that cuts the connection at random while a producer
 * appends thousands of events — plus resume points, snapshots and aborts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AguiEvent, RunlineClient, StreamedEvent } from "../src/index.ts";
import { seededRandom, startChaosProxy } from "./helpers/chaos-proxy.ts";
import { custom, newRun, textMessage, useServer } from "./helpers/setup.ts";

const FAST_RECONNECT = { initialDelayMs: 2, maxDelayMs: 25 };

async function collect(events: AsyncIterable<StreamedEvent>): Promise<StreamedEvent[]> {
  const out: StreamedEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function logOf(client: RunlineClient, conversationId: string, runId: string) {
  const events = [];
  for await (const e of client.run(conversationId, runId).allEvents()) events.push(e);
  return events.map(({ event_id, event_type, event }) => ({ event_id, event_type, event }));
}

describe("RunHandle.stream against a real server", () => {
  const suite = useServer();

  test("through a proxy cutting connections at random, a live run of 3000 events arrives exactly once, in order, and the iterator ends after RUN_FINISHED", {
    timeout: 90_000,
  }, async () => {
    const { client, server, clientAt } = suite();
    const random = seededRandom(20_240_611);
    const maxCuts = 40;
    let planned = 0;
    const proxy = await startChaosProxy(server.url, (line) => {
      if (!line.startsWith("GET ") || !line.endsWith("/stream") || planned >= maxCuts) return;
      planned += 1;
      // Anywhere from inside the response head to a few hundred frames in.
      return { cutResponseAfterBytes: 1 + Math.floor(random() * 24_000) };
    });
    try {
      const { conversationId, runId } = await newRun(client);
      const reader = clientAt(proxy.url).run(conversationId, runId);
      const received = collect(reader.stream({ reconnect: FAST_RECONNECT }));

      const producer = client.run(conversationId, runId);
      for (let i = 0; i < 120; i++) {
        const deltas = Array.from({ length: 23 }, (_, k) => `m${i}-d${k} `);
        await producer.append(textMessage(`m${i}`, ...deltas));
      }
      await producer.complete({ status: "completed", metadata: { events: 3000 } });

      const events = await received;
      const log = await logOf(client, conversationId, runId);
      assert.equal(log.length, 3002, "RUN_STARTED + 3000 + RUN_FINISHED");
      assert.deepEqual(
        events.map((e) => e.event_id),
        log.map((e) => e.event_id),
        "every id once, in order",
      );
      assert.deepEqual(events, log);
      assert.equal(events.at(-1)?.event_type, "RUN_FINISHED");
      assert.ok(proxy.cuts >= 10, `only ${proxy.cuts} cuts happened`);
    } finally {
      await proxy.close();
    }
  });

  test("afterEventId resumes with exactly the rest of the log; after the last event of an ended run it ends at once", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    await run.append([...textMessage("m1", "a", "b"), custom("c")]);
    await run.complete({ status: "failed", terminal_error_message: "boom" });
    const log = await logOf(client, conversationId, runId);
    for (let k = 0; k <= log.length; k++) {
      const events = await collect(run.stream({ afterEventId: k }));
      assert.deepEqual(events, log.slice(k), `after ${k}`);
    }
    assert.equal(log.at(-1)?.event_type, "RUN_ERROR");
  });

  test("fromSnapshot yields the snapshot, then the live events after its after_event_id", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    await run.append([
      ...textMessage("m1", "hello"),
      { type: "TEXT_MESSAGE_START", messageId: "m2", role: "assistant" },
      { type: "TEXT_MESSAGE_CONTENT", messageId: "m2", delta: "par" },
    ]);
    const snapshot = await run.snapshot();
    const iterator = run.stream({ fromSnapshot: true });
    const seen: StreamedEvent[] = [];
    for (const _ of snapshot.events) {
      const next = await iterator.next();
      assert.equal(next.done, false);
      seen.push(next.value as StreamedEvent);
    }
    assert.deepEqual(seen, snapshot.events);
    const rest: AguiEvent[] = [
      { type: "TEXT_MESSAGE_CONTENT", messageId: "m2", delta: "tial" },
      { type: "TEXT_MESSAGE_END", messageId: "m2" },
    ];
    await run.append(rest);
    await run.complete({ status: "completed" });
    const live = [];
    for await (const e of { [Symbol.asyncIterator]: () => iterator }) live.push(e);
    assert.deepEqual(
      live.map((e) => e.event_id),
      [snapshot.after_event_id + 1, snapshot.after_event_id + 2, snapshot.after_event_id + 3],
    );
    assert.deepEqual(
      live.map((e) => e.event),
      [...rest, { type: "RUN_FINISHED", threadId: conversationId, runId }],
    );
  });

  test("fromSnapshot on an ended run yields the snapshot, terminal event last, and ends", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    await run.append(textMessage("m1", "done"));
    await run.cancel();
    const events = await collect(run.stream({ fromSnapshot: true }));
    assert.deepEqual(events, (await run.snapshot()).events);
    assert.equal(events.at(-1)?.event_type, "RUN_ERROR");
  });

  test("aborting the signal ends a waiting iterator with the signal's reason", async () => {
    const { client } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    await run.append([custom("first")]);
    const controller = new AbortController();
    const iterator = run.stream({ signal: controller.signal });
    assert.equal((await iterator.next()).value?.event_type, "RUN_STARTED");
    assert.equal((await iterator.next()).value?.event_type, "CUSTOM");
    const pending = iterator.next();
    const reason = new Error("reader left");
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
  });

  test("a run that does not exist is a typed 404, not an endless reconnect", async () => {
    const { client } = suite();
    const { conversationId } = await newRun(client);
    await assert.rejects(collect(client.stream(conversationId, "missing-run")), {
      name: "RunlineError",
      status: 404,
      code: "not_found",
    });
  });
});
