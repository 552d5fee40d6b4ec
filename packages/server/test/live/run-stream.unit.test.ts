/**
 * One follower (src/live/run-stream.ts) against an in-memory log and a fake socket: the
 * replay-to-live hand-over under every interleaving fast-check finds, and the bounded buffer.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LiveHub, type ReadEvents } from "../../src/live/hub.ts";
import { RunStream, type SseSink, type StreamEndReason } from "../../src/live/run-stream.ts";
import type { StoredEvent } from "../../src/store/types.ts";

function row(id: number, type = "CUSTOM"): StoredEvent {
  const event = { type, name: `e${id}` };
  return { event_id: id, event_type: type, event, json: JSON.stringify(event), created_at: "" };
}

/**
 * A socket that accepts `capacity` frames, then reports back-pressure until `drain()`. A chunk
 * holding several frames (a replayed page) counts as that many.
 */
class FakeSink extends EventEmitter implements SseSink {
  /** Frames written, one per entry. */
  readonly written: string[] = [];
  /** Socket writes (chunks). */
  writes = 0;
  capacity = Number.POSITIVE_INFINITY;
  writableEnded = false;
  destroyed = false;

  write(chunk: string): boolean {
    assert.ok(!this.writableEnded && !this.destroyed, "no write after the end");
    this.writes++;
    this.written.push(...chunk.split(/(?<=\n\n)/));
    return this.written.length < this.capacity;
  }
  end(): void {
    this.writableEnded = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  drain(extra = Number.POSITIVE_INFINITY): void {
    this.capacity = this.written.length + extra;
    this.emit("drain");
  }
  get ids(): number[] {
    return this.written.flatMap((f) => {
      const match = /^id: (\d+)\n/.exec(f);
      return match ? [Number(match[1])] : [];
    });
  }
}

function follow(
  log: StoredEvent[],
  options: {
    after?: number;
    hub?: LiveHub;
    read?: ReadEvents;
    maxBufferedEvents?: number;
    maxBufferedBytes?: number;
  } = {},
) {
  const read: ReadEvents =
    options.read ??
    (async (_pk, after, limit) => log.filter((r) => r.event_id > after).slice(0, limit));
  const hub = options.hub ?? new LiveHub({ readEvents: read });
  const sink = new FakeSink();
  const ends: StreamEndReason[] = [];
  const stream = new RunStream({
    runPk: 1,
    after: options.after ?? 0,
    latestEventId: log.length,
    terminal: false,
    hub,
    readEvents: read,
    sink,
    maxBufferedEvents: options.maxBufferedEvents ?? 16,
    ...(options.maxBufferedBytes !== undefined && { maxBufferedBytes: options.maxBufferedBytes }),
    onEnd: (reason) => ends.push(reason),
  });
  stream.start();
  return { stream, sink, hub, ends };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("RunStream", () => {
  it("hands over from replay to live with no gap and no duplicate, whatever the interleaving", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.nat(12),
        fc.nat(12),
        fc.nat(12),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        async (s, initial, afterSeed, staleSeed, batches) => {
          const log: StoredEvent[] = Array.from({ length: initial }, (_, i) => row(i + 1));
          const after = afterSeed % (initial + 1);
          // The run as the request saw it may already be behind the log.
          const latestSeen = initial === 0 ? 0 : staleSeed % (initial + 1);
          // Each read sees the log as it is when issued; its answer comes back when scheduled.
          const read: ReadEvents = (_pk, from, limit) =>
            s.schedule(Promise.resolve(log.filter((r) => r.event_id > from).slice(0, limit)));
          const hub = new LiveHub({ readEvents: read, batchSize: 3 });
          const sink = new FakeSink();
          const ends: StreamEndReason[] = [];
          const stream = new RunStream({
            runPk: 1,
            after,
            latestEventId: latestSeen,
            terminal: false,
            hub,
            readEvents: read,
            sink,
            maxBufferedEvents: 16,
            onEnd: (reason) => ends.push(reason),
          });
          stream.start();
          const commit = (count: number, type = "CUSTOM") => {
            for (let i = 0; i < count; i++) log.push(row(log.length + 1, type));
            hub.announce(1, log.length);
          };
          let producer = Promise.resolve();
          for (const size of batches) {
            producer = producer.then(() => s.schedule(Promise.resolve())).then(() => commit(size));
          }
          producer = producer
            .then(() => s.schedule(Promise.resolve()))
            .then(() => commit(1, "RUN_FINISHED"));
          await s.waitFor(producer);
          await s.waitAll();
          const expected = log.slice(after).map((r) => r.event_id);
          assert.deepEqual(sink.ids, expected);
          assert.deepEqual(ends, ["finished"]);
          assert.ok(sink.writableEnded);
          assert.equal(hub.subscriberCount, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("with gaps allowed (a conversation's frames, docs/api.md §8), every row above `after` arrives once, in order, whatever the interleaving, and no row ends the stream", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.nat(3), { maxLength: 10 }),
        fc.nat(30),
        fc.array(fc.array(fc.nat(3), { minLength: 1, maxLength: 5 }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (s, initialGaps, afterSeed, batches) => {
          const log: StoredEvent[] = [];
          const add = (gap: number, type = "CUSTOM") =>
            log.push(row((log.at(-1)?.event_id ?? 0) + 1 + gap, type));
          for (const gap of initialGaps) add(gap);
          const latest = log.at(-1)?.event_id ?? 0;
          const after = afterSeed % (latest + 1);
          const read: ReadEvents = (_pk, from, limit) =>
            s.schedule(Promise.resolve(log.filter((r) => r.event_id > from).slice(0, limit)));
          const hub = new LiveHub({ readEvents: read, batchSize: 3 });
          const sink = new FakeSink();
          const ends: StreamEndReason[] = [];
          const stream = new RunStream({
            runPk: 1,
            after,
            latestEventId: latest,
            terminal: false,
            hub,
            readEvents: read,
            sink,
            maxBufferedEvents: 16,
            frame: (r) => `id: ${r.event_id}\nevent: x\ndata: ${r.json}\n\n`,
            endsStream: () => false,
            gaps: true,
            onEnd: (reason) => ends.push(reason),
          });
          stream.start();
          let producer = Promise.resolve();
          for (const gaps of batches) {
            producer = producer
              .then(() => s.schedule(Promise.resolve()))
              .then(() => {
                // A RUN_FINISHED inside a conversation's log does not end its stream.
                for (const gap of gaps) add(gap, gap === 0 ? "RUN_FINISHED" : "CUSTOM");
                hub.announce(1, log.at(-1)!.event_id);
              });
          }
          await s.waitFor(producer);
          await s.waitAll();
          assert.deepEqual(
            sink.ids,
            log.filter((r) => r.event_id > after).map((r) => r.event_id),
          );
          assert.deepEqual(ends, []);
          stream.end("client_closed");
          assert.equal(hub.subscriberCount, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a live reader whose socket does not drain is dropped past maxBufferedEvents; the hub never waits", async () => {
    const log = [row(1)];
    const { sink, hub, ends } = follow(log);
    await flush();
    assert.deepEqual(sink.ids, [1]);
    sink.capacity = 0; // the socket stops draining
    const delivered: number[] = [];
    for (let id = 2; id <= 20; id++) {
      log.push(row(id));
      hub.announce(1, id);
      await flush();
      delivered.push(id);
      if (ends.length > 0) break;
    }
    assert.deepEqual(ends, ["lagging"]);
    assert.ok(sink.destroyed, "a socket that does not drain is dropped, not ended");
    assert.equal(delivered.at(-1), 19, "16 queued, the 17th over the limit");
    assert.equal(hub.subscriberCount, 0);
  });

  it("a live reader whose socket does not drain is dropped once its queued frames pass maxBufferedBytes, however few events they are (issue 16 finding 2)", async () => {
    const big = (id: number): StoredEvent => {
      const event = { type: "CUSTOM", name: `e${id}`, value: "x".repeat(100 * 1024) };
      return {
        event_id: id,
        event_type: "CUSTOM",
        event,
        json: JSON.stringify(event),
        created_at: "",
      };
    };
    const log = [big(1)];
    const { sink, hub, ends } = follow(log, {
      maxBufferedEvents: 10_000,
      maxBufferedBytes: 1024 * 1024,
    });
    await flush();
    sink.capacity = 0;
    let id = 1;
    while (ends.length === 0 && id < 1000) {
      log.push(big(++id));
      hub.announce(1, id);
      await flush();
    }
    assert.deepEqual(ends, ["lagging"]);
    assert.ok(sink.destroyed);
    // 1 MiB of ~100 KiB frames: the 11th queued frame passes the limit (plus the one written).
    assert.ok(id <= 13, `dropped after ${id} events, long before the event limit`);
  });

  it("a briefly blocked reader gets its queued events in order once the socket drains", async () => {
    const log = [row(1)];
    const { sink, hub, ends } = follow(log);
    await flush();
    sink.capacity = 0;
    for (let id = 2; id <= 11; id++) {
      log.push(row(id));
      hub.announce(1, id);
      await flush();
    }
    assert.deepEqual(sink.ids, [1, 2], "the write that filled the socket, then queued");
    sink.drain();
    assert.deepEqual(
      sink.ids,
      Array.from({ length: 11 }, (_, i) => i + 1),
    );
    assert.deepEqual(ends, []);
  });

  it("a replay waits for the socket between pages instead of buffering the log", async () => {
    const log = Array.from({ length: 40 }, (_, i) => row(i + 1));
    const reads: number[] = [];
    const read: ReadEvents = async (_pk, after, limit) => {
      reads.push(after);
      return log.filter((r) => r.event_id > after).slice(0, limit);
    };
    const { sink, ends } = follow(log, { read, maxBufferedEvents: 16 });
    sink.capacity = 4; // retry frame + 3 events, then back-pressure
    await flush();
    assert.deepEqual(reads, [0], "one page read, then it waits");
    sink.drain();
    await flush();
    assert.ok(reads.length >= 2);
    sink.drain();
    for (let i = 0; i < 10; i++) {
      sink.drain();
      await flush();
    }
    assert.deepEqual(
      sink.ids,
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    assert.deepEqual(ends, [], "replaying slowly is not lagging");
  });

  it("a replay writes each page it reads from the log in one socket write", async () => {
    const log = Array.from({ length: 20 }, (_, i) => row(i + 1));
    const { sink, ends } = follow(log, { maxBufferedEvents: 16 }); // pages of 8
    for (let i = 0; i < 5; i++) await flush();
    assert.deepEqual(
      sink.ids,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(sink.writes, 1 + 3, "the retry preamble, then pages of 8, 8 and 4 events");
    assert.deepEqual(ends, []);
  });

  it("a reader that accepts nothing for two heartbeats is dropped", async () => {
    const { stream, sink, ends } = follow([row(1)]);
    await flush();
    stream.heartbeat();
    assert.ok(sink.written.at(-1)?.startsWith(": ping"));
    sink.capacity = 0;
    stream.heartbeat(); // the ping that fills the socket
    stream.heartbeat();
    assert.deepEqual(ends, []);
    stream.heartbeat();
    assert.deepEqual(ends, ["lagging"]);
  });

  it("a client gone before the stream starts costs nothing: no subscription, no writes", () => {
    const hub = new LiveHub({ readEvents: async () => [] });
    const sink = new FakeSink();
    sink.destroyed = true;
    const ends: StreamEndReason[] = [];
    const stream = new RunStream({
      runPk: 1,
      after: 0,
      latestEventId: 0,
      terminal: false,
      hub,
      readEvents: async () => [],
      sink,
      maxBufferedEvents: 16,
      onEnd: (reason) => ends.push(reason),
    });
    stream.start();
    assert.deepEqual(ends, ["client_closed"]);
    assert.deepEqual(sink.written, []);
    assert.equal(hub.subscriberCount, 0);
  });

  it("a client that has seen past the end of a run that then ends is closed", async () => {
    const log = [row(1), row(2)];
    const { sink, hub, ends } = follow(log, { after: 5 });
    await flush();
    log.push(row(3, "RUN_ERROR"));
    hub.announce(1, 3);
    await flush();
    assert.deepEqual(sink.ids, []);
    assert.deepEqual(ends, ["seen"]);
  });
});
