/**
 * Many followers at once (docs/api.md §4.5): fan-out from one read per commit, and resume under
 * random disconnects — every event exactly once, in order, and always the terminal event.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEachStore, type TestServer } from "../helpers/server.ts";
import { append, complete, custom, logOf, runningRun } from "../live/run-fixtures.ts";
import { SseStream } from "../live/sse-client.ts";

/** A small seeded PRNG (mulberry32): the chaos is random but reproducible from its seed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/**
 * A client that keeps following `runId` until it has the terminal event: it disconnects after
 * a random number of frames and reconnects with Last-Event-ID (or ?after_event_id=).
 * Returns every event id it received, across all its connections, in arrival order.
 */
async function flakyFollower(
  server: TestServer,
  runId: string,
  random: (n: number) => number,
): Promise<{ ids: number[]; lastType: string | undefined; connections: number }> {
  const ids: number[] = [];
  let lastType: string | undefined;
  let connections = 0;
  for (;;) {
    const after = ids[ids.length - 1] ?? 0;
    connections++;
    assert.ok(connections < 500, "the follower keeps making progress");
    const stream =
      random(2) === 0
        ? await SseStream.open(`${server.url}/runs/${runId}/stream`, { lastEventId: after })
        : await SseStream.open(`${server.url}/runs/${runId}/stream?after_event_id=${after}`);
    assert.equal(stream.status, 200);
    const quota = 1 + random(120);
    await stream.untilCount(quota);
    if (!stream.finished) stream.abort();
    const outcome = await stream.done;
    for (const event of stream.events) {
      ids.push(event.id);
      lastType = event.event;
    }
    if (outcome === "ended") return { ids, lastType, connections };
  }
}

describeEachStore("many followers", (server) => {
  test("200 streams on one run all receive every event, from one hub read per commit", async () => {
    const run = await runningRun(server());
    const streams = await Promise.all(
      Array.from({ length: 200 }, () =>
        SseStream.open(`${server().url}/runs/${run.run_id}/stream`),
      ),
    );
    await Promise.all(streams.map((s) => s.untilCount(1)));
    const hub = server().server.live.hub;
    assert.equal(hub.subscriberCount, 200);
    const readsBefore = hub.stats.reads;
    const commits = 20;
    for (let i = 0; i < commits - 1; i++) {
      await append(
        server(),
        run.run_id,
        Array.from({ length: 5 }, (_, j) => custom(`c${i}.${j}`)),
      );
    }
    await complete(server(), run.run_id);
    const outcomes = await Promise.all(streams.map((s) => s.done));
    assert.ok(outcomes.every((o) => o === "ended"));
    const expected = (await logOf(server(), run.run_id)).map((row) => row.event_id);
    assert.equal(expected.length, 1 + (commits - 1) * 5 + 1);
    for (const stream of streams) assert.deepEqual(stream.ids, expected);
    const reads = hub.stats.reads - readsBefore;
    assert.ok(reads >= 1 && reads <= 2 * commits, `${reads} hub reads for ${commits} commits`);
    await server().server.live.streams.whenIdle();
    assert.equal(hub.subscriberCount, 0);
  });

  test("under random disconnects and Last-Event-ID resumes, every follower sees every event exactly once and the terminal event", async (t) => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
    t.diagnostic(`CHAOS_SEED=${seed}`);
    const random = prng(seed);
    const runs = [await runningRun(server()), await runningRun(server())];
    const followers = runs.flatMap((run) =>
      Array.from({ length: 6 }, (_, i) => flakyFollower(server(), run.run_id, prng(seed + i + 1))),
    );
    // Producers: ~1,500 events per run in batches of 1–25, appended concurrently with the reads.
    await Promise.all(
      runs.map(async (run, r) => {
        let appended = 0;
        while (appended < 1500) {
          const size = 1 + random(25);
          await append(
            server(),
            run.run_id,
            Array.from({ length: size }, (_, i) => custom(`r${r}.${appended + i}`)),
          );
          appended += size;
        }
        await complete(server(), run.run_id, r === 0 ? "completed" : "failed");
      }),
    );
    const results = await Promise.all(followers);
    for (const [index, run] of runs.entries()) {
      const expected = (await logOf(server(), run.run_id)).map((row) => row.event_id);
      assert.ok(expected.length > 1500);
      for (const result of results.slice(index * 6, index * 6 + 6)) {
        assert.deepEqual(result.ids, expected, `seed ${seed}: exactly once, in order`);
        assert.equal(result.lastType, index === 0 ? "RunFinished" : "RunError");
      }
    }
    const reconnects = results.reduce((sum, r) => sum + r.connections, 0);
    t.diagnostic(`${reconnects} connections for ${results.length} followers`);
    await server().server.live.streams.whenIdle();
    assert.equal(server().server.live.hub.subscriberCount, 0);
  });
});
