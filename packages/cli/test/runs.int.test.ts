/**
 * `runline runs ls | show | events | cancel`, run as a process against a real server: what
 * they print for people, what `--json` prints for scripts, and that cancel really cancels.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { shortId as short } from "../src/format.ts";
import { runline } from "./helpers/cli.ts";
import { newRun, useServer } from "./helpers/server.ts";

describe("runline runs over HTTP", () => {
  const suite = useServer();

  test("runs ls lists runs newest first, filters them, pages with the cursor it prints, and --json prints the server's page", async () => {
    const { client, env } = suite();
    const older = await newRun(client, { agent_id: "ls-agent" });
    const newer = await newRun(client, { agent_id: "ls-agent" });
    await client.run(newer.conversationId, newer.runId).complete({ status: "completed" });

    const table = await runline(["runs", "ls", "--agent", "ls-agent"], env);
    assert.equal(table.status, 0, table.stderr);
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(
      lines[0]!,
      /^RUN ID\s+STATUS\s+AGENT\s+CONVERSATION\s+CREATED\s+DURATION\s+PARENT$/,
    );
    assert.equal(lines.length, 3, table.stdout);
    assert.match(
      lines[1]!,
      new RegExp(
        `^${short(newer.runId)}\\s+completed\\s+ls-agent\\s+${short(newer.conversationId)}`,
      ),
    );
    assert.match(
      lines[2]!,
      new RegExp(`^${short(older.runId)}\\s+pending\\s+ls-agent\\s+${short(older.conversationId)}`),
    );
    assert.equal(table.stderr, "", "one page: no hint about more");

    const full = await runline(["runs", "ls", "--agent", "ls-agent", "--full-ids"], env);
    assert.match(
      full.stdout.split("\n")[1]!,
      new RegExp(`^${newer.runId}\\s+completed\\s+ls-agent\\s+${newer.conversationId}`),
    );

    const completed = await runline(
      ["runs", "ls", "--agent", "ls-agent", "--status", "completed", "--json"],
      env,
    );
    assert.equal(completed.status, 0, completed.stderr);
    const page = JSON.parse(completed.stdout);
    assert.deepEqual(
      page.data.map((r: { run_id: string }) => r.run_id),
      [newer.runId],
    );
    assert.ok("page_info" in page);

    const byConversation = JSON.parse(
      (await runline(["runs", "ls", "--conversation", older.conversationId, "--json"], env)).stdout,
    );
    assert.deepEqual(
      byConversation.data.map((r: { run_id: string }) => r.run_id),
      [older.runId],
    );

    const first = await runline(["runs", "ls", "--agent", "ls-agent", "--limit", "1"], env);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(short(newer.runId)));
    const next = /More runs: runline (runs ls .*--cursor \S+)\n/.exec(first.stderr);
    assert.ok(next, `no next-page hint in ${JSON.stringify(first.stderr)}`);
    const second = await runline(next[1]!.split(" "), env);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, new RegExp(short(older.runId)));
    assert.doesNotMatch(second.stdout, new RegExp(short(newer.runId)));
  });

  test("runs ls names each run's agent, shortens server-made ids to their distinct tails and fits in 100 columns", async () => {
    const { client, env } = suite();
    const agents = ["planner", "a-rather-long-agent-name-for-width"];
    const parent = await newRun(client, { agent_id: agents[0], initial_status: "running" });
    const child = await newRun(client, { agent_id: agents[1] }, { parent_run_id: parent.runId });
    const listed = await runline(["runs", "ls", "--limit", "100"], env);
    assert.equal(listed.status, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split("\n");
    for (const line of lines) assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
    const childLine = lines.find((line) => line.startsWith(short(child.runId)));
    assert.ok(childLine, listed.stdout);
    assert.match(childLine, /a-rather-long-a…/);
    assert.ok(childLine.endsWith(short(parent.runId)), childLine);
    const parentLine = lines.find((line) => line.startsWith(short(parent.runId)));
    assert.match(parentLine!, /running\s+planner\s/);
    assert.match(parentLine!, /\s\d+(ms|s|m \d+s)\s+-$/, "a running run shows its duration so far");
    assert.notEqual(short(parent.runId), short(child.runId));
  });

  test("runs show prints the run's record one field a line, and --json the whole record", async () => {
    const { client, env } = suite();
    const { conversationId, runId } = await newRun(client, { agent_id: "show-agent" });
    await client.run(conversationId, runId).complete({
      status: "failed",
      terminal_error_code: "boom",
      terminal_error_message: "it broke",
    });

    const shown = await runline(["runs", "show", runId], env);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^run_id\\s+${runId}$`, "m"));
    assert.match(shown.stdout, new RegExp(`^conversation_id\\s+${conversationId}$`, "m"));
    assert.match(shown.stdout, /^agent_id\s+show-agent$/m);
    assert.match(shown.stdout, /^status\s+failed$/m);
    assert.match(shown.stdout, /^terminal_error_message\s+it broke$/m);
    assert.doesNotMatch(shown.stdout, /^parent_run_id/m, "null fields are left out");

    const json = await runline(["runs", "show", runId, "--json"], env);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(
      JSON.parse(json.stdout),
      await client.getConversationRun(conversationId, runId),
    );
  });

  test("runs events prints one line per logged event, pages with --after and --limit, and --json prints the page", async () => {
    const { client, env } = suite();
    const { conversationId, runId } = await newRun(client);
    const run = client.run(conversationId, runId);
    await run.append([
      { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" },
      { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "Hi there" },
      { type: "TEXT_MESSAGE_END", messageId: "m1" },
    ]);
    await run.complete({ status: "completed" });

    const all = await runline(["runs", "events", runId], env);
    assert.equal(all.status, 0, all.stderr);
    const lines = all.stdout.trimEnd().split("\n");
    assert.deepEqual(
      lines.map((line) => line.split(/\s+/).slice(0, 1).concat(line.split(/\s+/)[2]!)),
      [
        ["1", "RUN_STARTED"],
        ["2", "TEXT_MESSAGE_START"],
        ["3", "TEXT_MESSAGE_CONTENT"],
        ["4", "TEXT_MESSAGE_END"],
        ["5", "RUN_FINISHED"],
      ],
    );
    assert.match(lines[2]!, /"delta":"Hi there"/);
    assert.equal(all.stderr, "", "the whole log fits one page");

    const middle = await runline(["runs", "events", runId, "--after", "1", "--limit", "2"], env);
    assert.equal(middle.status, 0, middle.stderr);
    assert.deepEqual(
      middle.stdout
        .trimEnd()
        .split("\n")
        .map((line) => line.trim().split(/\s+/)[0]),
      ["2", "3"],
    );
    assert.match(middle.stderr, new RegExp(`runline runs events ${runId} --after 3 --limit 2`));

    const json = await runline(["runs", "events", runId, "--after", "4", "--json"], env);
    assert.equal(json.status, 0, json.stderr);
    const page = JSON.parse(json.stdout);
    assert.deepEqual(
      page.data.map((e: { event_id: number; event: { type: string } }) => [
        e.event_id,
        e.event.type,
      ]),
      [[5, "RUN_FINISHED"]],
    );
    assert.equal(page.page_info.next, null);
  });

  test("runs cancel cancels an active run, with --cascade its descendants too, and reports a run that had already ended", async () => {
    const { client, env } = suite();
    const parent = await newRun(client, { initial_status: "running" });
    const child = await newRun(client, {}, { parent_run_id: parent.runId });

    const cancelled = await runline(["runs", "cancel", parent.runId, "--cascade"], env);
    assert.equal(cancelled.status, 0, cancelled.stderr);
    assert.match(
      cancelled.stdout,
      new RegExp(`Cancelled run ${parent.runId} and its active descendants`),
    );
    assert.equal((await client.getRun(parent.runId)).status, "cancelled");
    assert.equal((await client.getRun(child.runId)).status, "cancelled");

    const again = await runline(["runs", "cancel", parent.runId], env);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /had already ended \(cancelled\); nothing changed/);

    const other = await newRun(client);
    const json = await runline(["runs", "cancel", other.runId, "--json"], env);
    assert.equal(json.status, 0, json.stderr);
    const reply = JSON.parse(json.stdout);
    assert.equal(reply.cancelled, true);
    assert.equal(reply.run.status, "cancelled");
    assert.equal(reply.run.terminal_error_code, "cancelled");
  });
});
