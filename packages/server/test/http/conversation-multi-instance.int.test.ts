/**
 * Conversation streams across instances on one PostgreSQL (docs/api.md §8): frames committed
 * through any instance reach followers on every other one (LISTEN/NOTIFY on
 * `runline_conversations`), with the same ids everywhere; a follower whose instance is
 * SIGKILLed resumes on another with Last-Event-ID and misses nothing, doubles nothing.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createRun, startTestServer, type TestServer } from "../helpers/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";
import { append, complete, custom } from "../live/run-fixtures.ts";
import { SseStream } from "../live/sse-client.ts";
import { RunlineProcess } from "../reliability/harness/runline-process.ts";

const postgres = storeTargets().find((t) => t.kind === "postgres")!;

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function newConversation(server: TestServer): Promise<string> {
  const id = randomUUID();
  const response = await server.request("POST", "/conversations", { id });
  assert.equal(response.status, 201, response.text);
  return id;
}

/** The whole conversation read from the start through `url` (waits for `count` frames). */
async function replay(url: string, cid: string, count: number): Promise<SseStream> {
  const stream = await SseStream.open(`${url}/conversations/${cid}/stream`);
  assert.ok(await stream.untilCount(count), `replay: ${stream.messages.length} of ${count}`);
  stream.abort();
  await stream.done;
  return stream;
}

/** Three runs appending concurrently through the given instances (round robin); then completed. */
async function busyConversation(
  instances: readonly TestServer[],
  cid: string,
  batches: number,
  during?: (i: number) => Promise<void>,
): Promise<number> {
  const runs = await Promise.all(
    instances.map((instance) =>
      createRun(instance, { conversationId: cid }, { initial_status: "running" }),
    ),
  );
  await Promise.all(
    runs.map(async (run, r) => {
      const instance = instances[r % instances.length]!;
      for (let i = 0; i < batches; i++) {
        await append(instance, run.run_id, [custom(`r${r}-${i}`)]);
        if (r === 0) await during?.(i);
      }
    }),
  );
  for (const [r, run] of runs.entries()) await complete(instances[r]!, run.run_id);
  // Per run: run.created, RUN_STARTED, run.status, the batches, RUN_FINISHED, run.status.
  return runs.length * (batches + 5);
}

describe("conversation streams across instances on one PostgreSQL", { skip: postgres.skip }, () => {
  let location: TestStoreLocation;
  let b: TestServer;
  let c: TestServer;
  let a: RunlineProcess | undefined;

  before(async () => {
    location = await freshStoreLocation("postgres");
    // Hourly re-checks: what crosses instances here came by NOTIFY (or a reconnect's catch-up).
    b = await startTestServer("postgres", { RUNLINE_SSE_RECHECK_MS: "3600000" }, { location });
    c = await startTestServer("postgres", { RUNLINE_SSE_RECHECK_MS: "3600000" }, { location });
  });

  after(async () => {
    if (a?.running) a.kill("SIGKILL");
    await Promise.all([b?.close(), c?.close()]);
    await location?.dispose();
  });

  test("with 2 instances, a follower on one gets every frame committed through either, ids 1…N, exactly as a replay", {
    timeout: 60_000,
  }, async () => {
    const cid = await newConversation(b);
    const follower = await SseStream.open(`${c.url}/conversations/${cid}/stream`);
    assert.equal(follower.status, 200);
    const total = await busyConversation([b, c, b], cid, 15);
    assert.ok(await follower.untilCount(total), `${follower.messages.length} of ${total}`);
    follower.abort();
    await follower.done;
    assert.deepEqual(follower.ids, range(1, total));
    const fromB = await replay(b.url, cid, total);
    assert.deepEqual(follower.raw.slice(0, fromB.raw.length), fromB.raw);
  });

  test("with 3 instances, a follower on an instance that is SIGKILLed resumes on another with Last-Event-ID: nothing missed, nothing doubled", {
    timeout: 120_000,
  }, async () => {
    a = await RunlineProcess.start({
      env: {
        DATABASE_URL: location.databaseUrl!,
        RUNLINE_BOOTSTRAP_KEY: b.key,
        RUNLINE_SSE_RECHECK_MS: "3600000",
      },
    });
    const cid = await newConversation(b);
    const onA = await SseStream.open(`${a.url}/conversations/${cid}/stream`);
    assert.equal(onA.status, 200);
    let onC: SseStream | undefined;
    const total = await busyConversation([b, c, b], cid, 20, async (i) => {
      if (i === 5) {
        // A has delivered some of it (over NOTIFY: nothing is written through A).
        assert.ok(await onA.until((s) => s.messages.length >= 5));
      }
      if (i === 10) {
        a!.kill("SIGKILL");
        await onA.done;
        const lastSeen = onA.ids.at(-1)!;
        onC = await SseStream.open(`${c.url}/conversations/${cid}/stream`, {
          lastEventId: lastSeen,
        });
        assert.equal(onC.status, 200);
      }
    });
    assert.ok(onC);
    const seenOnA = onA.messages.length;
    assert.ok(await onC.untilCount(total - seenOnA), `${onC.messages.length} after ${seenOnA}`);
    onC.abort();
    await onC.done;
    const received = [...onA.messages, ...onC.messages];
    assert.deepEqual(
      received.map((m) => Number(m.id)),
      range(1, total),
      "every frame exactly once, in order, across the two instances",
    );
    const full = await replay(b.url, cid, total);
    assert.deepEqual(
      received.map((m) => [m.event, m.data]),
      full.messages.map((m) => [m.event, m.data]),
    );
  });
});
