/**
 * Several instances on one PostgreSQL database (docs/api.md §10): every outbox row is being
 * delivered by one instance at a time — the receiver never holds two requests of one
 * `webhook-id` at once — and, with no crash, each is delivered exactly once.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRun, startTestServer, type TestServer } from "../helpers/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";
import { eventually, Receiver } from "./receiver.ts";

const postgres = storeTargets().find((t) => t.kind === "postgres")!;

const ENV = {
  RUNLINE_WEBHOOKS_ALLOW_PRIVATE: "true",
  RUNLINE_WEBHOOK_POLL_MS: "20",
  RUNLINE_WEBHOOK_RETRY_SCHEDULE: "10ms,10ms,10ms,10ms,10ms",
};

describe("webhook deliveries with three PostgreSQL instances", { skip: postgres.skip }, () => {
  let location: TestStoreLocation;
  let instances: TestServer[] = [];
  let receiver: Receiver;

  before(async () => {
    location = await freshStoreLocation("postgres");
    const first = await startTestServer("postgres", ENV, { location });
    instances = [
      first,
      await startTestServer("postgres", ENV, { location }),
      await startTestServer("postgres", ENV, { location }),
    ];
    receiver = await Receiver.start();
  });

  after(async () => {
    for (const instance of instances) await instance.close();
    await receiver.close();
    await location.dispose();
  });

  test("no webhook-id is ever in flight twice at once, and each is delivered exactly once", async () => {
    const inFlight = new Set<string>();
    const overlaps: string[] = [];
    let answered = 0;
    receiver.respond = async (request) => {
      if (inFlight.has(request.id)) overlaps.push(request.id);
      inFlight.add(request.id);
      // Hold each request over a few event-loop turns so overlapping claims would show.
      await new Promise((resolve) => setTimeout(resolve, 15));
      inFlight.delete(request.id);
      answered++;
      // Every fifth answer fails: retries are claimed again, by any instance.
      return answered % 5 === 0 ? 500 : 200;
    };
    const [a] = instances;
    const hook = await a!.request("POST", "/webhooks", {
      url: receiver.url,
      events: ["run.created", "run.running"],
    });
    assert.equal(hook.status, 201, hook.text);
    const runs = 30;
    await Promise.all(
      Array.from({ length: runs }, (_, i) =>
        createRun(instances[i % instances.length]!, {}, { initial_status: "running" }),
      ),
    );
    const expected = 2 * runs;
    const rows = await eventually(async () => {
      const all: { id: string; status: string; attempts: number }[] = [];
      let cursor: string | null = null;
      do {
        const page = await a!.request(
          "GET",
          `/webhooks/${hook.body.id}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ""}`,
        );
        all.push(...page.body.data);
        cursor = page.body.page_info.next;
      } while (cursor);
      return all.length === expected && all.every((d) => d.status !== "pending") && all;
    }, 60_000);
    assert.deepEqual(overlaps, [], "a webhook-id was being delivered twice at once");
    assert.ok(
      rows.every((d) => d.status === "delivered"),
      JSON.stringify(rows),
    );
    const successes = new Map<string, number>();
    const attempts = new Map<string, number>();
    for (const r of receiver.received) attempts.set(r.id, (attempts.get(r.id) ?? 0) + 1);
    for (const d of rows) {
      assert.equal(
        attempts.get(d.id),
        d.attempts,
        `${d.id}: attempts received = attempts recorded`,
      );
      successes.set(d.id, 1);
    }
    assert.equal(successes.size, expected);
    assert.equal(new Set(receiver.received.map((r) => r.id)).size, expected);
  });
});
