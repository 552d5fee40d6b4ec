/**
 * Limits and slow readers (docs/api.md §3, §4.5): stream caps per credential (429) and per server
 * (503), the heartbeat, and a reader that stops draining its socket being dropped while
 * producers and other readers carry on.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import {
  BOOTSTRAP_KEY,
  createOtherProject,
  describeEachStore,
  type TestServer,
} from "../helpers/server.ts";
import { append, complete, custom, logOf, runningRun } from "../live/run-fixtures.ts";
import { SseStream } from "../live/sse-client.ts";
import { keyWithScopes } from "../workers/worker-helpers.ts";

const LIMITS = {
  RUNLINE_SSE_MAX_STREAMS: "3",
  RUNLINE_SSE_MAX_STREAMS_PER_CREDENTIAL: "2",
  RUNLINE_SSE_MAX_STREAMS_PER_PROJECT: "3",
  RUNLINE_SSE_HEARTBEAT_MS: "100",
  RUNLINE_SSE_MAX_BUFFERED_EVENTS: "16",
};

/** A run in another project, and that project's key. */
async function otherRun(server: TestServer): Promise<{ key: string; runId: string }> {
  const key = await createOtherProject(server);
  const created = await server.request(
    "POST",
    "/runs",
    {
      kind: "agent",
      owner: { kind: "conversation", id: crypto.randomUUID() },
      request: { agent_id: "a", initial_status: "running" },
    },
    { authorization: `Bearer ${key}` },
  );
  assert.equal(created.status, 202, created.text);
  return { key, runId: created.body.run.run_id as string };
}

async function metric(server: TestServer, name: string): Promise<number> {
  const response = await server.request("GET", "/metrics");
  const match = new RegExp(`^${name} (\\d+)$`, "m").exec(response.text);
  assert.ok(match, name);
  return Number(match[1]);
}

describeEachStore(
  "stream limits and slow readers",
  (server) => {
    const open = (runId: string, key = BOOTSTRAP_KEY) =>
      SseStream.open(`${server().url}/runs/${runId}/stream`, {
        headers: { authorization: `Bearer ${key}` },
      });

    test("past its limit a credential is refused with 429 rate_limited and Retry-After; past the server's, 503 unavailable", async () => {
      const mine = await runningRun(server());
      const other = await otherRun(server());
      const third = await otherRun(server());
      const first = [await open(mine.run_id), await open(mine.run_id)];
      assert.deepEqual(
        first.map((s) => s.status),
        [200, 200],
      );

      const overCredential = await open(mine.run_id);
      await overCredential.done;
      assert.equal(overCredential.status, 429);
      assert.equal(overCredential.header("retry-after"), "2");
      assert.equal(JSON.parse(overCredential.raw).code, "rate_limited");

      const another = await open(other.runId, other.key);
      assert.equal(another.status, 200);
      const overServer = await open(third.runId, third.key);
      await overServer.done;
      assert.equal(overServer.status, 503);
      assert.equal(overServer.header("retry-after"), "2");
      assert.equal(JSON.parse(overServer.raw).code, "unavailable");

      // Freed slots can be used again.
      for (const stream of [...first, another]) stream.abort();
      await server().server.live.streams.whenIdle();
      const again = await open(third.runId, third.key);
      assert.equal(again.status, 200);
      again.abort();
      await server().server.live.streams.whenIdle();
    });

    test("an idle stream receives a `: ping` comment every heartbeat interval", async () => {
      const run = await runningRun(server());
      const stream = await open(run.run_id);
      assert.ok(await stream.until((s) => s.comments.length >= 2));
      assert.deepEqual(
        stream.comments.slice(0, 2).map((c) => c.trim()),
        ["ping", "ping"],
      );
      assert.ok(stream.raw.includes("\n\n: ping\n\n"));
      assert.equal(stream.messages.length, 1, "pings are not events");
      stream.abort();
      await server().server.live.streams.whenIdle();
    });

    test("a reader whose socket stops draining is disconnected; producers and other readers never wait on it", async () => {
      const run = await runningRun(server());
      const lagBefore = await metric(server(), "runline_sse_lag_disconnects_total");
      const healthy = await open(run.run_id);
      // The slow reader: its response is never read, so the socket's buffers fill up. (Paused,
      // it will not even notice being dropped: the server's count of open streams tells.)
      const slow = http.get(`${server().url}/runs/${run.run_id}/stream`, {
        agent: false,
        headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` },
      });
      slow.on("error", () => {});
      const slowResponse = await new Promise<http.IncomingMessage>((resolve) =>
        slow.on("response", resolve),
      );
      assert.equal(slowResponse.statusCode, 200);
      slowResponse.pause();
      slowResponse.on("error", () => {});
      const streams = server().server.live.streams;
      assert.equal(streams.openCount, 2);
      const big = "x".repeat(200_000);
      let appended = 0;
      while (streams.openCount > 1) {
        assert.ok(appended < 400, "the slow reader was never disconnected");
        await append(server(), run.run_id, [custom(`big${appended}`, big)]);
        appended++;
      }
      await complete(server(), run.run_id);
      assert.equal(await healthy.done, "ended");
      const log = await logOf(server(), run.run_id);
      assert.deepEqual(
        healthy.ids,
        log.map((row) => row.event_id),
      );
      assert.equal((await metric(server(), "runline_sse_lag_disconnects_total")) - lagBefore, 1);
      slow.destroy();
      await streams.whenIdle();
      // It resumes from the log where it left off (here: from the beginning).
      const resumed = await open(run.run_id);
      assert.equal(await resumed.done, "ended");
      assert.equal(resumed.messages.length, log.length);
    });
  },
  LIMITS,
);

describeEachStore(
  "fair stream limits and byte-bounded buffers",
  (server) => {
    const open = (runId: string, key: string) =>
      SseStream.open(`${server().url}/runs/${runId}/stream`, {
        headers: { authorization: `Bearer ${key}` },
      });

    test("one project cannot take every slot: past the per-project cap (default half the server's) its streams get 429 rate_limited while another project still gets one", async () => {
      const run = await runningRun(server());
      const keys: string[] = [BOOTSTRAP_KEY, BOOTSTRAP_KEY];
      const project = (
        await server().request("GET", `/conversations/${run.conversation_id}/runs/${run.run_id}`)
      ).body.project_id;
      assert.ok(project);
      for (let i = 0; i < 3; i++)
        keys.push(await keyWithScopes(server(), project, ["agent-runs:read"]));
      const streams = [];
      for (const key of keys.slice(0, 4)) streams.push(await open(run.run_id, key));
      assert.deepEqual(
        streams.map((s) => s.status),
        [200, 200, 200, 200],
        "4 = half of 8, over three credentials",
      );
      const over = await open(run.run_id, keys[4]!);
      await over.done;
      assert.equal(over.status, 429);
      assert.match(JSON.parse(over.raw).detail, /project already has 4 open streams/);
      const other = await otherRun(server());
      const fair = await open(other.runId, other.key);
      assert.equal(fair.status, 200, "another project is not starved");
      for (const stream of [...streams, fair]) stream.abort();
      await server().server.live.streams.whenIdle();
    });

    test("a paused reader holds a bounded number of bytes: with a 1 MiB buffer and room for 10,000 events it is dropped after a bounded number of 200 KB events", async () => {
      const run = await runningRun(server());
      const slow = http.get(`${server().url}/runs/${run.run_id}/stream`, {
        agent: false,
        headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` },
      });
      slow.on("error", () => {});
      const response = await new Promise<http.IncomingMessage>((resolve) =>
        slow.on("response", resolve),
      );
      response.pause();
      response.on("error", () => {});
      const streams = server().server.live.streams;
      const big = "x".repeat(200_000);
      let appended = 0;
      while (streams.openCount > 0) {
        // Loopback socket buffers take a few MB; the event cap alone would allow 2 GB.
        assert.ok(appended < 400, "the paused reader was never disconnected");
        await append(server(), run.run_id, [custom(`big${appended}`, big)]);
        appended++;
      }
      slow.destroy();
    });
  },
  {
    RUNLINE_SSE_MAX_STREAMS: "8",
    RUNLINE_SSE_MAX_STREAMS_PER_CREDENTIAL: "2",
    RUNLINE_SSE_MAX_BUFFERED_EVENTS: "10000",
    RUNLINE_SSE_MAX_BUFFERED_BYTES: "1048576",
    RUNLINE_SSE_HEARTBEAT_MS: "600000",
  },
);
