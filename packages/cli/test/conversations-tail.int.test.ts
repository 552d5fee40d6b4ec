/**
 * `runline conversations tail` and `runline runs create --multitask-strategy`, run as processes
 * against a real server on both stores: the tail prints each frame of every run of the
 * conversation as it arrives (runs created while it follows included), `--json` is one frame
 * a line, `--after` starts after a frame, a dropped connection is resumed without loss or
 * repeats, and Ctrl-C ends it cleanly; `runs create` passes the strategy and explains a busy
 * conversation.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { type ConversationFrame, RunlineClient } from "@runline/client";
import { describeEachStore, type TestServer } from "../../server/test/helpers/server.ts";
import { runline, spawnRunline } from "./helpers/cli.ts";
import { startCutProxy } from "./helpers/cut-proxy.ts";

const envOf = (server: TestServer) => ({ RUNLINE_URL: server.url, RUNLINE_API_KEY: server.key });
const clientOf = (server: TestServer) =>
  new RunlineClient({ baseUrl: server.url, apiKey: server.key });

async function runIn(
  client: RunlineClient,
  conversationId: string,
  extra: { parent_run_id?: string } = {},
): Promise<string> {
  const { run } = await client.createRun({
    kind: "agent",
    owner: { kind: "conversation", id: conversationId },
    request: { agent_id: "agent-1", initial_status: "running" },
    ...extra,
  });
  return run.run_id;
}

const text = (messageId: string, delta: string) => [
  { type: "TEXT_MESSAGE_START", messageId, role: "assistant" },
  { type: "TEXT_MESSAGE_CONTENT", messageId, delta },
  { type: "TEXT_MESSAGE_END", messageId },
];

const jsonLines = (stdout: string): ConversationFrame[] =>
  stdout
    .trimEnd()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ConversationFrame);

describeEachStore("runline conversations tail", (server) => {
  test("conversations tail prints a line per frame as it arrives — run id, type, preview — follows a run created meanwhile, and exits 130 on Ctrl-C with nothing on stderr", async () => {
    const client = clientOf(server());
    const conversationId = randomUUID();
    const first = await runIn(client, conversationId);
    const tail = spawnRunline(["conversations", "tail", conversationId], envOf(server()));

    await client.run(conversationId, first).append(text("m1", "Hello from the parent"));
    await tail.waitForStdout((out) => out.includes('"Hello from the parent"'), "the parent's text");
    const second = await runIn(client, conversationId, { parent_run_id: first });
    await client.run(conversationId, second).append(text("m2", "Hello from the child"));
    await tail.waitForStdout((out) => out.includes('"Hello from the child"'), "the child's text");
    await client.run(conversationId, second).complete({ status: "completed" });
    await tail.waitForStdout(
      (out) => /run\.status\s+completed/.test(out),
      "the child's completion",
    );
    assert.equal(tail.exited, false, "a conversation never ends: the tail goes on");

    const lines = tail.stdout.trimEnd().split("\n");
    const short = (runId: string) => `run_…${runId.slice(-8)}`;
    const parentLine = lines.find((l) => l.includes('"Hello from the parent"'));
    assert.ok(
      parentLine
        ?.replace(/\s+/g, " ")
        .endsWith(`${short(first)} TEXT_MESSAGE_CONTENT "Hello from the parent"`),
      parentLine,
    );
    const created = lines.find((l) => l.includes("run.created") && l.includes(short(second)));
    assert.match(created ?? "", /run\.created\s+(pending|running) child of run_…/u);
    const ids = lines.map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.ok(
      ids.every((id, i) => i === 0 || id > ids[i - 1]!),
      "frame ids increase",
    );

    tail.child.kill("SIGINT");
    const done = await tail.finished;
    assert.equal(done.status, 130);
    assert.equal(done.stderr, "");
  });

  test("conversations tail --json prints one frame a line, exactly the stream's frames, and --after starts after that frame", async () => {
    const client = clientOf(server());
    const conversationId = randomUUID();
    const runId = await runIn(client, conversationId);
    await client.run(conversationId, runId).append(text("m1", "one"));
    await client.run(conversationId, runId).complete({ status: "completed" });

    const all: ConversationFrame[] = [];
    for await (const frame of client.conversation(conversationId).follow()) {
      all.push(frame);
      if (frame.type === "run.status" && frame.run.status === "completed") break;
    }
    const whole = spawnRunline(
      ["conversations", "tail", conversationId, "--json"],
      envOf(server()),
    );
    await whole.waitForStdout((out) => out.includes('"completed"'), "the completion frame");
    whole.child.kill("SIGTERM");
    assert.deepEqual(jsonLines((await whole.finished).stdout), all);

    const after = all[2]!.id;
    const rest = spawnRunline(
      ["conversations", "tail", conversationId, "--json", "--after", String(after)],
      envOf(server()),
    );
    await rest.waitForStdout((out) => out.includes('"completed"'), "the completion frame");
    rest.child.kill("SIGINT");
    const done = await rest.finished;
    assert.equal(done.status, 130);
    assert.deepEqual(jsonLines(done.stdout), all.slice(3));
  });

  test("conversations tail resumes after its connection drops, printing no frame twice and missing none", async () => {
    const client = clientOf(server());
    const proxy = await startCutProxy(server().url);
    try {
      const conversationId = randomUUID();
      const runId = await runIn(client, conversationId);
      const tail = spawnRunline(
        ["conversations", "tail", conversationId, "--json", "--url", proxy.url],
        envOf(server()),
      );
      await client.run(conversationId, runId).append(text("m1", "before the cut"));
      await tail.waitForStdout((out) => out.includes("before the cut"), "the first message");
      const connectionsBefore = proxy.connections;
      proxy.cutAll();
      await client.run(conversationId, runId).append(text("m2", "after the cut"));
      await client.run(conversationId, runId).complete({ status: "completed" });
      await tail.waitForStdout((out) => out.includes('"completed"'), "the completion frame");
      tail.child.kill("SIGINT");
      const printed = jsonLines((await tail.finished).stdout);
      assert.ok(proxy.connections > connectionsBefore, "it connected again");
      const ids = printed.map((f) => f.id);
      assert.deepEqual(
        ids,
        [...new Set(ids)].sort((a, b) => a - b),
        "each frame once, in order",
      );
      const events = printed.flatMap((f) => (f.type === "event" ? [f.event_id] : []));
      const log = (await client.listEvents(conversationId, runId)).data.map((e) => e.event_id);
      assert.deepEqual(events, log, "every event of the run");
    } finally {
      await proxy.close();
    }
  });

  test("runs create passes --multitask-strategy: reject on a busy conversation fails naming the active run, enqueue queues behind it; a bad strategy is a usage error", async () => {
    const env = envOf(server());
    const conversationId = randomUUID();
    const created = await runline(
      [
        "runs",
        "create",
        "--agent",
        "support",
        "--conversation",
        conversationId,
        "--status",
        "running",
        "--json",
      ],
      env,
    );
    assert.equal(created.status, 0, created.stderr);
    const active = JSON.parse(created.stdout).run;
    assert.equal(active.status, "running");
    assert.equal(active.owner.id, conversationId);

    const rejected = await runline(
      [
        "runs",
        "create",
        "--agent",
        "support",
        "--conversation",
        conversationId,
        "--multitask-strategy",
        "reject",
      ],
      env,
    );
    assert.equal(rejected.status, 1);
    assert.ok(rejected.stderr.includes(active.run_id), rejected.stderr);
    assert.match(rejected.stderr, /conversation_busy/);

    const queued = await runline(
      [
        "runs",
        "create",
        "--agent",
        "support",
        "--conversation",
        conversationId,
        "--multitask-strategy",
        "enqueue",
      ],
      env,
    );
    assert.equal(queued.status, 0, queued.stderr);
    assert.match(
      queued.stdout,
      new RegExp(
        `^Created run run_\\S+ in conversation ${conversationId}: pending \\(queued behind ${active.run_id}\\)$`,
        "m",
      ),
    );

    const bad = await runline(
      ["runs", "create", "--agent", "a", "--multitask-strategy", "later"],
      env,
    );
    assert.equal(bad.status, 2);
    assert.match(
      bad.stderr,
      /--multitask-strategy must be one of allow, reject, enqueue, interrupt/,
    );
  });
});
