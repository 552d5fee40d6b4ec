/**
 * Input requests across instances on one PostgreSQL (docs/api.md §7): a long-poll on one instance
 * wakes when the answer lands on another, carried by NOTIFY on `runline_input_requests`.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";
import { openRequest, requestPath } from "./fixtures.ts";

/** An open request (made on A) and a long-poll for it on B, once B is waiting. */
async function waitingOnB(a: TestServer, b: TestServer) {
  const { run, request } = await openRequest(a);
  const path = requestPath(run.conversation_id, request.id);
  const waiting = b.request("GET", `${path}?wait_seconds=60`);
  while (b.server.humanInput.inputRequestWakeups.watching === 0) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { run, request, path, waiting };
}

const postgres = storeTargets().find((t) => t.kind === "postgres")!;

describe("input requests on several instances", { skip: postgres.skip }, () => {
  let location: TestStoreLocation;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    location = await freshStoreLocation("postgres");
    a = await startTestServer("postgres", {}, { location });
    b = await startTestServer("postgres", {}, { location });
  });

  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await location?.dispose();
  });

  test("a long-poll on instance B wakes when the response is submitted on instance A", {
    timeout: 30_000,
  }, async () => {
    const { request, path, waiting } = await waitingOnB(a, b);
    // NOTIFY channels are database-wide: other test files' schemas may be heard too.
    const feed = b.server.live.feed!;
    const heard = new Promise<string>((resolve) => {
      const hear = (id: string) => {
        if (id !== request.id) return;
        feed.off("inputRequest", hear);
        resolve(id);
      };
      feed.on("inputRequest", hear);
    });
    const answered = await a.request("POST", `${path}/responses`, { values: { approve: true } });
    assert.equal(answered.status, 200);
    assert.equal(await heard, request.id, "B heard A's change over NOTIFY");
    const result = await waiting;
    assert.equal(result.status, 200);
    assert.equal(result.body.status, "submitted");
    assert.deepEqual(result.body.latest_response, answered.body.latest_response);
  });

  test("a long-poll on instance B wakes when the request is cancelled on instance A", {
    timeout: 30_000,
  }, async () => {
    const { run, waiting } = await waitingOnB(a, b);
    await a.request("POST", `/runs/${run.run_id}/cancel`);
    const result = await waiting;
    assert.equal(result.body.status, "cancelled");
  });
});
