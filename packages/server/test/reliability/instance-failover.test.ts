/**
 * Scale-out failover (issue 5, docs/api.md §4.5): two instances on one PostgreSQL; a client
 * streaming from instance A, which is SIGKILLed mid-run, resumes on instance B with
 * Last-Event-ID and ends up with every event exactly once, in order.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";
import { append, complete, custom, logOf, runningRun } from "../live/run-fixtures.ts";
import { SseStream } from "../live/sse-client.ts";
import { RunlineProcess } from "./harness/runline-process.ts";

const postgres = storeTargets().find((t) => t.kind === "postgres")!;

describe("instance failover on PostgreSQL", { skip: postgres.skip }, () => {
  let location: TestStoreLocation;
  let a: RunlineProcess;
  let b: TestServer;

  before(async () => {
    location = await freshStoreLocation("postgres");
    b = await startTestServer("postgres", {}, { location });
    a = await RunlineProcess.start({
      env: { DATABASE_URL: location.databaseUrl!, RUNLINE_BOOTSTRAP_KEY: b.key },
    });
  });

  after(async () => {
    if (a?.running) a.kill("SIGKILL");
    await b?.close();
    await location?.dispose();
  });

  test("a client streaming from a SIGKILLed instance resumes on another with Last-Event-ID and misses nothing", {
    timeout: 60_000,
  }, async () => {
    const run = await runningRun(b, 5);
    const onA = await SseStream.open(`${a.url}/runs/${run.run_id}/stream`);
    assert.equal(onA.status, 200);
    // Appended through B, delivered by A over LISTEN/NOTIFY.
    for (let i = 0; i < 5; i++) await append(b, run.run_id, [custom(`before-${i}`)]);
    assert.ok(await onA.untilCount(11));
    a.kill("SIGKILL");
    await onA.done;
    // Written while the client is disconnected.
    for (let i = 0; i < 5; i++) await append(b, run.run_id, [custom(`during-${i}`)]);
    const seen = onA.ids;
    const lastSeen = seen[seen.length - 1]!;
    const onB = await SseStream.open(`${b.url}/runs/${run.run_id}/stream`, {
      lastEventId: lastSeen,
    });
    for (let i = 0; i < 5; i++) await append(b, run.run_id, [custom(`after-${i}`)]);
    await complete(b, run.run_id);
    assert.equal(await onB.done, "ended");

    const log = await logOf(b, run.run_id);
    const received = [...onA.events, ...onB.events];
    assert.deepEqual(
      received.map((e) => e.id),
      log.map((row) => row.event_id),
      "every event exactly once, in order, across the two instances",
    );
    assert.deepEqual(
      received.map((e) => e.data),
      log.map((row) => row.event),
    );
  });
});
