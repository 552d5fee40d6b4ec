/**
 * Snapshots are bounded (docs/api.md §12, issue 16 finding 3), on every store: a run whose log is
 * over `RUNLINE_SNAPSHOT_MAX_BYTES` answers 400 `snapshot_too_large` (page the log instead),
 * and at most `RUNLINE_SNAPSHOT_CONCURRENCY` snapshots are folded at once. (Memory and the
 * event loop under a 100 MiB run: test/reliability/snapshot-memory.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Gate } from "../../src/http/snapshot-response.ts";
import { describeEachStore } from "../helpers/server.ts";
import { append, custom, runningRun } from "../live/run-fixtures.ts";

describeEachStore(
  "snapshot limits",
  (server) => {
    test("a run whose log is over the configured size answers 400 snapshot_too_large; one under it is folded as usual", async () => {
      const small = await runningRun(server(), 3);
      const ok = await server().request("GET", `/runs/${small.run_id}/snapshot`);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.after_event_id, 4);
      assert.equal(ok.headers.get("content-type"), "application/json; charset=utf-8");

      const big = await runningRun(server());
      await append(server(), big.run_id, [custom("big", "x".repeat(70_000))]);
      const refused = await server().request(
        "GET",
        `/conversations/${big.conversation_id}/runs/${big.run_id}/snapshot`,
      );
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.code, "snapshot_too_large");
      assert.equal(refused.body.max_bytes, 65536);
      const log = await server().request("GET", `/runs/${big.run_id}/events`);
      assert.equal(log.status, 200, "the log can still be paged");
    });

    test("a snapshot with many messages is streamed whole and parses to the same picture", async () => {
      const run = await runningRun(server());
      const events = [];
      for (let i = 0; i < 50; i++) {
        events.push(
          { type: "TEXT_MESSAGE_START", messageId: `m${i}`, role: "assistant" },
          { type: "TEXT_MESSAGE_CONTENT", messageId: `m${i}`, delta: `hello ${i} "quoted" \\n` },
          { type: "TEXT_MESSAGE_END", messageId: `m${i}` },
        );
      }
      await append(server(), run.run_id, events.slice(0, 75));
      await append(server(), run.run_id, events.slice(75));
      const snapshot = await server().request("GET", `/runs/${run.run_id}/snapshot`);
      assert.equal(snapshot.status, 200);
      const messages = snapshot.body.events[1].event.messages;
      assert.equal(snapshot.body.events[1].event.type, "MESSAGES_SNAPSHOT");
      assert.equal(snapshot.body.events[1].event_id, null);
      assert.equal(messages.length, 50);
      assert.equal(messages[49].content, 'hello 49 "quoted" \\n');
    });
  },
  { RUNLINE_SNAPSHOT_MAX_BYTES: "65536" },
);

describe("the snapshot gate", () => {
  test("never runs more than its limit at once, runs every task, and passes on failures", async () => {
    const gate = new Gate(2);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const task = (fail: boolean) => () =>
      new Promise<string>((resolve, reject) => {
        running++;
        peak = Math.max(peak, running);
        releases.push(() => {
          running--;
          if (fail) reject(new Error("boom"));
          else resolve("ok");
        });
      });
    const results = [false, true, false, false, false].map((fail) =>
      gate.run(task(fail)).catch((error: Error) => error.message),
    );
    for (let done = 0; done < 5; done++) {
      while (releases.length === 0) await new Promise((resolve) => setImmediate(resolve));
      assert.ok(gate.running <= 2);
      releases.shift()!();
    }
    assert.deepEqual(await Promise.all(results), ["ok", "boom", "ok", "ok", "ok"]);
    assert.equal(peak, 2);
    assert.equal(gate.running, 0);
  });
});
