/**
 * `runline runs tail`, run as a process against a live run: text appears while the run is
 * still going, the command exits when the run ends (0 finished, 1 RUN_ERROR), `--json` is one
 * event a line, and a dropped connection is resumed without losing or repeating anything.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runline, spawnRunline } from "./helpers/cli.ts";
import { startCutProxy } from "./helpers/cut-proxy.ts";
import { newRun, useServer } from "./helpers/server.ts";

const start = (messageId: string) => ({
  type: "TEXT_MESSAGE_START",
  messageId,
  role: "assistant",
});
const content = (messageId: string, delta: string) => ({
  type: "TEXT_MESSAGE_CONTENT",
  messageId,
  delta,
});

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe("runline runs tail", () => {
  const suite = useServer();

  test("runs tail prints assistant text while the run is still writing it, then exits 0 when the run finishes", async () => {
    const { client, env } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    const tail = spawnRunline(["runs", "tail", runId], env);

    await run.append([start("m1"), content("m1", "Hello")]);
    await tail.waitForStdout((out) => out.includes("Hello"), '"Hello"');
    assert.equal(tail.exited, false, "still following: the run goes on");

    await run.append([content("m1", ", world")]);
    await tail.waitForStdout((out) => out.includes("Hello, world"), '"Hello, world"');
    assert.equal(tail.exited, false);

    await run.append([
      { type: "TEXT_MESSAGE_END", messageId: "m1" },
      { type: "TOOL_CALL_START", toolCallId: "c1", toolCallName: "lookup" },
      { type: "TOOL_CALL_ARGS", toolCallId: "c1", delta: '{"id":' },
      { type: "TOOL_CALL_ARGS", toolCallId: "c1", delta: "7}" },
      { type: "TOOL_CALL_END", toolCallId: "c1" },
    ]);
    await run.complete({ status: "completed" });

    const done = await tail.finished;
    assert.equal(done.status, 0, done.stderr);
    assert.equal(done.stderr, "");
    const lines = done.stdout.split("\n");
    assert.equal(lines[0], "· RUN_STARTED");
    assert.equal(lines[1], "Hello, world", "the deltas form one line of text");
    assert.equal(lines[2], "· TOOL_CALL_START lookup");
    assert.equal(
      lines[3],
      '· TOOL_CALL_END lookup {"id":7}',
      "arguments assembled, no line per delta",
    );
    assert.equal(lines[4], "· RUN_FINISHED");
    assert.equal(lines.length, 6, "ends with a newline and nothing more");
  });

  test("runs tail exits 1 with a final line naming the error when the run ends with RUN_ERROR", async () => {
    const { client, env } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    const tail = spawnRunline(["runs", "tail", runId], env);

    await run.append([start("m1"), content("m1", "Thinking")]);
    await tail.waitForStdout((out) => out.includes("Thinking"), '"Thinking"');
    await run.complete({
      status: "failed",
      terminal_error_code: "overloaded",
      terminal_error_message: "model overloaded",
    });

    const done = await tail.finished;
    assert.equal(done.status, 1);
    assert.match(done.stdout, /^✗ RUN_ERROR model overloaded \(overloaded\)$/m);
    assert.equal(
      done.stderr,
      `runline: run ${runId} ended with RUN_ERROR: model overloaded (overloaded)\n`,
    );
  });

  test("runs tail --json prints each event as one JSON line, in log order, starting after --after", async () => {
    const { client, env } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    await run.append([start("m1"), content("m1", "a"), content("m1", "b")]);
    const tail = spawnRunline(["runs", "tail", runId, "--after", "2", "--json"], env);
    await tail.waitForStdout((out) => out.includes('"delta":"b"'), "the last stored event");
    await run.append([{ type: "TEXT_MESSAGE_END", messageId: "m1" }]);
    await run.complete({ status: "completed" });

    const done = await tail.finished;
    assert.equal(done.status, 0, done.stderr);
    const printed = done.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    const log = (await client.listEvents(conversationId, runId, { after_event_id: 2 })).data;
    assert.deepEqual(
      printed,
      log.map(({ event_id, event_type, event }) => ({ event_id, event_type, event })),
    );
    assert.deepEqual(
      printed.map((e) => e.event_id),
      [3, 4, 5, 6],
    );
    assert.equal(printed.at(-1)?.event_type, "RUN_FINISHED");
  });

  test("runs tail resumes by itself after its connection drops, losing and repeating no text", async () => {
    const { client, env, server } = suite();
    const proxy = await startCutProxy(server.url);
    try {
      const { conversationId, runId } = await newRun(client);
      const run = client.run(conversationId, runId);
      const tail = spawnRunline(["runs", "tail", runId, "--url", proxy.url], env);

      await run.append([start("m1"), content("m1", "before the cut; ")]);
      await tail.waitForStdout((out) => out.includes("before the cut; "), "the first delta");
      const connectionsBefore = proxy.connections;
      proxy.cutAll();
      await run.append([content("m1", "after the cut.")]);
      await run.append([{ type: "TEXT_MESSAGE_END", messageId: "m1" }]);
      await run.complete({ status: "completed" });

      const done = await tail.finished;
      assert.equal(done.status, 0, done.stderr);
      assert.ok(proxy.connections > connectionsBefore, "it connected again");
      assert.match(done.stdout, /^before the cut; after the cut\.$/m);
      assert.equal(occurrences(done.stdout, "before the cut;"), 1);
      assert.equal(occurrences(done.stdout, "RUN_STARTED"), 1);
      assert.equal(occurrences(done.stdout, "RUN_FINISHED"), 1);
    } finally {
      await proxy.close();
    }
  });

  test("runs tail of a run that has already ended replays it and exits at once with its outcome", async () => {
    const { client, env } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    await run.append([start("m1"), content("m1", "done already")]);
    await run.cancel();

    const replay = await runline(["runs", "tail", runId], env);
    assert.equal(replay.status, 1);
    assert.match(replay.stdout, /^done already$/m);
    assert.match(replay.stderr, /ended with RUN_ERROR: Run cancelled \(cancelled\)/);

    const latest = (await client.getConversationRun(conversationId, runId)).latest_event_id;
    const pastTheEnd = await runline(["runs", "tail", runId, "--after", String(latest)], env);
    assert.equal(pastTheEnd.status, 1);
    assert.equal(pastTheEnd.stdout, "");
    assert.match(pastTheEnd.stderr, /ended with RUN_ERROR: Run cancelled \(cancelled\)/);
  });
});
