/**
 * Shutdown ends long-polling claims (docs/api.md §5, §6), on every store: a server closing while
 * claims wait answers them at once with no run instead of holding shutdown for `wait_seconds`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startTestServer } from "../helpers/server.ts";
import { storeTargets } from "../helpers/stores.ts";
import { claim, registerWorker, uniqueKind, until } from "../workers/worker-helpers.ts";

for (const target of storeTargets()) {
  describe(`worker claims at shutdown [${target.kind}]`, { skip: target.skip }, () => {
    // The limit fails the test if shutdown waited for the 30 s long-polls to run out.
    test("closing the server ends waiting claims promptly with {run: null}", {
      timeout: 15_000,
    }, async () => {
      const server = await startTestServer(target.kind);
      const kind = uniqueKind();
      const workers = await Promise.all([
        registerWorker(server, kind, "a"),
        registerWorker(server, kind, "b"),
      ]);
      const polls = workers.map((w) => claim(server, w, { wait_seconds: 30 }));
      await until(() => server.server.claimWakeups.waiting === 2, "both claims are asleep");
      await server.close();
      for (const response of await Promise.all(polls)) {
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body, { run: null });
      }
      assert.equal(server.server.claimWakeups.watching, 0, "no watcher outlives the server");
    });

    test("closing the server while a claim is still looking ends it promptly too", {
      timeout: 15_000,
    }, async () => {
      const server = await startTestServer(target.kind);
      const worker = await registerWorker(server, uniqueKind(), "a");
      const poll = claim(server, worker, { wait_seconds: 30 });
      // Not yet asleep: it may be authenticating or querying when shutdown begins.
      await until(() => server.server.claimWakeups.watching === 1, "the claim has begun");
      await server.close();
      const response = await poll;
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { run: null });
      assert.equal(server.server.claimWakeups.watching, 0);
    });
  });
}
