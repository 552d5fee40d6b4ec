/**
 * `runline runs rm` and `runline conversations rm` (docs/api.md §9), run as a process against a
 * real server: what they delete, what they refuse, and what they print.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RunlineError } from "@runline/client";
import { runline } from "./helpers/cli.ts";
import { newRun, useServer } from "./helpers/server.ts";

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof RunlineError) return error.status;
    throw error;
  }
}

describe("runline runs rm / conversations rm", () => {
  const suite = useServer();

  test("runs rm deletes an ended run with its descendants; the run then answers 410", async () => {
    const { client, env } = suite();
    const parent = await newRun(client);
    const child = await newRun(client, {}, { parent_run_id: parent.runId });
    for (const run of [child, parent]) {
      await client.run(run.conversationId, run.runId).complete({ status: "completed" });
    }
    const removed = await runline(["runs", "rm", parent.runId], env);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(removed.stdout, `Deleted run ${parent.runId}.\n`);
    assert.equal(await statusOf(client.getRun(parent.runId)), 410);
    assert.equal(await statusOf(client.getRun(child.runId)), 410);

    const again = await runline(["runs", "rm", parent.runId, "--json"], env);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /HTTP 410 run_deleted/);
  });

  test("runs rm refuses an active run (exit 1, run_active) and leaves it alone; --json prints what was deleted", async () => {
    const { client, env } = suite();
    const active = await newRun(client);
    const refused = await runline(["runs", "rm", active.runId], env);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /HTTP 409 run_active/);
    assert.equal((await client.getRun(active.runId)).status, "pending");

    await client.run(active.conversationId, active.runId).complete({ status: "failed" });
    const removed = await runline(["runs", "rm", active.runId, "--json"], env);
    assert.equal(removed.status, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout), { deleted: active.runId });
  });

  test("conversations rm refuses active runs unless --cancel, which cancels then deletes them all", async () => {
    const { client, env } = suite();
    const run = await newRun(client, { initial_status: "running" });
    const refused = await runline(["conversations", "rm", run.conversationId], env);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /HTTP 409 run_active/);
    assert.equal((await client.getRun(run.runId)).status, "running");

    const removed = await runline(["conversations", "rm", run.conversationId, "--cancel"], env);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(removed.stdout, `Deleted conversation ${run.conversationId} and its runs.\n`);
    assert.equal(await statusOf(client.getRun(run.runId)), 410);
    assert.equal(await statusOf(client.getConversation(run.conversationId)), 404);
  });

  test("rm without an id is a usage error (exit 2), and --help explains the command", async () => {
    const { env } = suite();
    const missing = await runline(["conversations", "rm"], env);
    assert.equal(missing.status, 2);
    const help = await runline(["runs", "rm", "--help"], env);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /410 run_deleted/);
  });
});
