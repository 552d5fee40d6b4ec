/** Following a run over SSE (docs/api.md §4.5): format, resume, hand-over, end, resources. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { eventName } from "../../src/live/sse-frames.ts";
import { text } from "../helpers/fixtures.ts";
import { createRun, describeEachStore, startTestServer } from "../helpers/server.ts";
import { storeTargets } from "../helpers/stores.ts";
import { append, complete, custom, logOf, runningRun } from "../live/run-fixtures.ts";
import { SseStream } from "../live/sse-client.ts";

describeEachStore("following a run over SSE", (server) => {
  const streamUrl = (path: string) => `${server().url}${path}`;

  test("a stream answers 200 with the SSE headers and starts with retry: 2000", async () => {
    const run = await runningRun(server());
    const stream = await SseStream.open(streamUrl(`/runs/${run.run_id}/stream`));
    assert.equal(stream.status, 200);
    assert.equal(stream.header("content-type"), "text/event-stream");
    assert.equal(stream.header("cache-control"), "no-cache");
    assert.equal(stream.header("x-accel-buffering"), "no");
    assert.ok(stream.header("x-request-id"));
    await stream.untilCount(1);
    assert.ok(stream.raw.startsWith("retry: 2000\n\n"));
    assert.equal(stream.retry, 2000);
    stream.abort();
    await stream.done;
  });

  test("frames are byte-exact: id, PascalCase event, one data line, \\n only, a blank line after each", async () => {
    const run = await runningRun(server());
    await append(server(), run.run_id, [
      ...text("m1", 'line one\nline two\r\n\u2028 "quoted" ünïcödé'),
      { type: "STATE_SNAPSHOT", snapshot: { a: [1, 2], b: { c: null } } },
      custom("x", { nested: "\n\n" }),
    ]);
    await complete(server(), run.run_id);
    const log = await logOf(server(), run.run_id);
    const stream = await SseStream.open(streamUrl(`/runs/${run.run_id}/stream`));
    assert.equal(await stream.done, "ended");
    const expected =
      "retry: 2000\n\n" +
      log
        .map(
          (row) =>
            `id: ${row.event_id}\nevent: ${eventName(row.event_type)}\ndata: ${JSON.stringify(row.event)}\n\n`,
        )
        .join("");
    assert.equal(stream.raw, expected);
    assert.ok(!stream.raw.includes("\r"));
    assert.ok(stream.raw.endsWith("\n\n"));
    assert.deepEqual(
      stream.events.map((e) => e.event),
      [
        "RunStarted",
        "TextMessageStart",
        "TextMessageContent",
        "TextMessageEnd",
        "StateSnapshot",
        "Custom",
        "RunFinished",
      ],
    );
    assert.deepEqual(
      stream.events.map((e) => e.data),
      log.map((row) => row.event),
    );
    const ids = stream.ids;
    assert.ok(
      ids.every((id, i) => i === 0 || id > ids[i - 1]!),
      "ids strictly increase",
    );
  });

  test("resuming from every position of a run gives exactly the suffix, then the stream closes", async () => {
    const run = await runningRun(server(), 12);
    await complete(server(), run.run_id);
    const log = await logOf(server(), run.run_id);
    const last = log.length;
    for (let k = 0; k <= last; k++) {
      // Alternate the two ways of saying where to start.
      const stream =
        k % 2 === 0
          ? await SseStream.open(streamUrl(`/runs/${run.run_id}/stream`), { lastEventId: k })
          : await SseStream.open(streamUrl(`/runs/${run.run_id}/stream?after_event_id=${k}`));
      assert.equal(await stream.done, "ended", `from ${k}`);
      assert.deepEqual(
        stream.ids,
        log.slice(k).map((row) => row.event_id),
        `from ${k}`,
      );
      assert.deepEqual(
        stream.events.map((e) => e.data),
        log.slice(k).map((row) => row.event),
      );
    }
  });

  test("Last-Event-ID wins over ?after_event_id= (a browser reconnect keeps the original URL)", async () => {
    const run = await runningRun(server(), 5);
    await complete(server(), run.run_id);
    const stream = await SseStream.open(streamUrl(`/runs/${run.run_id}/stream?after_event_id=1`), {
      lastEventId: 4,
    });
    await stream.done;
    assert.deepEqual(stream.ids, [5, 6, 7]);
  });

  test("a terminal run whose log the client has fully seen closes right after the retry frame", async () => {
    const run = await runningRun(server(), 2);
    await complete(server(), run.run_id, "failed");
    for (const lastEventId of [4, 5, 1000]) {
      const stream = await SseStream.open(streamUrl(`/runs/${run.run_id}/stream`), { lastEventId });
      assert.equal(stream.status, 200);
      assert.equal(await stream.done, "ended");
      assert.equal(stream.raw, "retry: 2000\n\n");
    }
  });

  test("a bad Last-Event-ID or after_event_id is a 400 problem, before any stream", async () => {
    const run = await runningRun(server());
    for (const bad of ["-1", "abc", "1.5", "1e3", "0x10", "9999999999999999"]) {
      const viaHeader = await SseStream.open(streamUrl(`/runs/${run.run_id}/stream`), {
        lastEventId: bad,
      });
      await viaHeader.done;
      assert.equal(viaHeader.status, 400, bad);
      assert.equal(viaHeader.header("content-type"), "application/problem+json; charset=utf-8");
      assert.equal(JSON.parse(viaHeader.raw).code, "invalid_request");
      const viaQuery = await SseStream.open(
        streamUrl(`/runs/${run.run_id}/stream?after_event_id=${encodeURIComponent(bad)}`),
      );
      await viaQuery.done;
      assert.equal(viaQuery.status, 400, bad);
      assert.equal(JSON.parse(viaQuery.raw).code, "invalid_request");
    }
    assert.equal(server().server.live.streams.openCount, 0);
  });

  test("every path family streams the same bytes; another conversation or an unknown run is 404", async () => {
    const run = await runningRun(server(), 3);
    await complete(server(), run.run_id);
    const bodies: string[] = [];
    for (const path of [
      `/runs/${run.run_id}/stream`,
      `/conversations/${run.conversation_id}/runs/${run.run_id}/stream`,
      `/conversations/${run.conversation_id}/agent-runs/${run.run_id}/stream`,
    ]) {
      const stream = await SseStream.open(streamUrl(path));
      assert.equal(stream.status, 200, path);
      await stream.done;
      bodies.push(stream.raw);
    }
    assert.equal(new Set(bodies).size, 1);
    const other = await createRun(server());
    for (const path of [
      `/conversations/${other.conversation_id}/runs/${run.run_id}/stream`,
      "/runs/no-such-run/stream",
    ]) {
      const stream = await SseStream.open(streamUrl(path));
      await stream.done;
      assert.equal(stream.status, 404, path);
      assert.equal(JSON.parse(stream.raw).code, "not_found");
    }
    const anonymous = await SseStream.open(streamUrl(`/runs/${run.run_id}/stream`), {
      headers: { authorization: "" },
    });
    await anonymous.done;
    assert.equal(anonymous.status, 401);
  });

  test("events appended while a client is attached arrive in order; the stream ends after RUN_FINISHED", async () => {
    const run = await runningRun(server());
    const stream = await SseStream.open(streamUrl(`/runs/${run.run_id}/stream`));
    await stream.untilCount(1);
    let latest = 1;
    for (let batch = 0; batch < 15; batch++) {
      const size = (batch % 5) + 1;
      latest = await append(
        server(),
        run.run_id,
        Array.from({ length: size }, (_, i) => custom(`b${batch}.${i}`)),
      );
      // Half the time, let the client see the batch before the next one is appended.
      if (batch % 2 === 0) assert.ok(await stream.untilCount(latest));
    }
    await complete(server(), run.run_id);
    assert.equal(await stream.done, "ended");
    const log = await logOf(server(), run.run_id);
    assert.deepEqual(
      stream.ids,
      log.map((row) => row.event_id),
    );
    assert.deepEqual(
      stream.events.map((e) => e.data),
      log.map((row) => row.event),
    );
    assert.equal(stream.events.at(-1)?.event, "RunFinished");
  });

  test("a cancelled run's stream ends with RUN_ERROR; a stream attached to a pending run sees its start", async () => {
    const run = await createRun(server());
    const stream = await SseStream.open(streamUrl(`/runs/${run.run_id}/stream`));
    await stream.until((s) => s.retry !== undefined);
    await append(server(), run.run_id, [custom("first")]);
    const cancelled = await server().request("POST", `/runs/${run.run_id}/cancel`, {});
    assert.equal(cancelled.status, 200);
    assert.equal(await stream.done, "ended");
    assert.deepEqual(
      stream.events.map((e) => e.event),
      ["RunStarted", "Custom", "RunError"],
    );
    assert.equal(stream.events.at(-1)?.data.code, "cancelled");
  });

  test("clients that disconnect free their stream slots, hub subscriptions and the heartbeat timer", async () => {
    const live = server().server.live;
    const runs = [await runningRun(server()), await runningRun(server())];
    const streams = await Promise.all(
      [0, 1, 0, 1, 0].map((i) => SseStream.open(streamUrl(`/runs/${runs[i]!.run_id}/stream`))),
    );
    await Promise.all(streams.map((s) => s.untilCount(1)));
    assert.equal(live.streams.openCount, 5);
    assert.equal(live.hub.subscriberCount, 5);
    assert.equal(live.hub.runCount, 2);
    assert.equal(live.streams.heartbeatActive, true);
    const metrics = await server().request("GET", "/metrics");
    assert.match(metrics.text, /^runline_sse_open_streams 5$/m);
    for (const stream of streams) stream.abort();
    await Promise.all(streams.map((s) => s.done));
    await live.streams.whenIdle();
    assert.equal(live.streams.openCount, 0);
    assert.equal(live.hub.subscriberCount, 0);
    assert.equal(live.hub.runCount, 0);
    assert.equal(live.streams.heartbeatActive, false);
    const after = await server().request("GET", "/metrics");
    assert.match(after.text, /^runline_sse_open_streams 0$/m);
    // The runs go on without anyone following them.
    await append(server(), runs[0]!.run_id, [custom("later")]);
  });

  test("HEAD answers the stream's status and headers without opening a stream", async () => {
    const run = await runningRun(server());
    const head = await server().request("HEAD", `/runs/${run.run_id}/stream`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-type"), "text/event-stream");
    assert.equal(head.text, "");
    assert.equal(server().server.live.streams.openCount, 0);
    assert.equal((await server().request("HEAD", "/runs/nope/stream")).status, 404);
  });

  test("/metrics counts the event frames delivered", async () => {
    const read = async () => {
      const metrics = await server().request("GET", "/metrics");
      return Number(/^runline_sse_events_delivered_total (\d+)$/m.exec(metrics.text)?.[1]);
    };
    const before = await read();
    const run = await runningRun(server(), 3);
    await complete(server(), run.run_id);
    const stream = await SseStream.open(streamUrl(`/runs/${run.run_id}/stream`));
    await stream.done;
    assert.equal(stream.messages.length, 5);
    assert.equal((await read()) - before, 5);
  });
});

for (const target of storeTargets()) {
  describe(`shutting down with open streams [${target.kind}]`, { skip: target.skip }, () => {
    test("closing the server ends open streams promptly instead of waiting for them", async () => {
      const own = await startTestServer(target.kind);
      const run = await runningRun(own, 1);
      const streams = await Promise.all(
        [1, 2, 3].map(() => SseStream.open(`${own.url}/runs/${run.run_id}/stream`)),
      );
      await Promise.all(streams.map((s) => s.untilCount(2)));
      await own.close();
      for (const stream of streams) {
        assert.equal(await stream.done, "ended");
        assert.ok(stream.raw.endsWith("\n\n"), "the last frame is complete");
      }
    });
  });
}
