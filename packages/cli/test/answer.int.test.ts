/**
 * `runline runs inputs` and `runline runs answer`, run as a process against a real server:
 * listing what waits for a person, answering it field by field from stdin, re-asking only the
 * fields the server refused (with its message), and answering from a script with --values.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import type { RunlineClient } from "@runline/client";
import { childEnv, RUNLINE_ARGS, runline } from "./helpers/cli.ts";
import { newRun, useServer } from "./helpers/server.ts";

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

async function openRequest(client: RunlineClient, fields: unknown[], title = "Book a flight") {
  const { conversationId, runId } = await newRun(client, { initial_status: "running" });
  const request = await client.humanInput.createInputRequest(conversationId, {
    run_id: runId,
    tool_call_id: "tc-1",
    kind: "form",
    requested_responder_type: "human",
    title,
    fields: fields as never,
    expires_at: inAnHour(),
  });
  return { conversationId, runId, request };
}

/** Runs the command with `stdin` piped in; bounded like the other helpers. */
function runWithInput(
  args: string[],
  env: Record<string, string>,
  stdin: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...RUNLINE_ARGS, ...args], {
      env: childEnv(env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(deadline);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

const FLIGHT_FIELDS = [
  {
    type: "select",
    name: "flight",
    label: "Flight",
    required: true,
    options: [
      { value: "LH1", label: "Lufthansa 1", recommended: true },
      { value: "BA2", label: "British Airways 2" },
    ],
  },
  { type: "number", name: "bags", label: "Bags", min: 0, max: 3 },
  { type: "password", name: "pin", label: "Card PIN", required: true, secret: true },
  { type: "confirm", name: "ok", label: "Book it?", required: true },
  { type: "text", name: "note", label: "Note", defaultValue: "none" },
];

describe("runline runs inputs / answer", () => {
  const suite = useServer();

  test("runs inputs lists a conversation's open requests with required marks, and --json the records", async () => {
    const { client, env } = suite();
    const { conversationId, request } = await openRequest(client, FLIGHT_FIELDS);
    const listed = await runline(["runs", "inputs", conversationId], env);
    assert.equal(listed.status, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^ID\s+STATUS\s+RUN\s+TITLE\s+FIELDS\s+EXPIRES$/);
    assert.match(
      lines[1]!,
      new RegExp(`^${request.id}\\s+open\\s+\\S+\\s+Book a flight\\s+flight\\*, bags, pin\\*`),
    );
    const json = await runline(["runs", "inputs", conversationId, "--json"], env);
    assert.deepEqual(
      JSON.parse(json.stdout).map((r: { id: string }) => r.id),
      [request.id],
    );
    const none = await runline(["runs", "inputs", conversationId, "--status", "submitted"], env);
    assert.match(none.stdout, /No submitted input requests/);
    const bad = await runline(["runs", "inputs", conversationId, "--status", "closed"], env);
    assert.equal(bad.status, 2);
  });

  test("runs answer asks field by field, re-asks what the server refused with its message, and submits", async () => {
    const { client, env } = suite();
    const { conversationId, request } = await openRequest(client, FLIGHT_FIELDS);
    // flight by number, 7 bags (over max), the PIN, yes, keep the note's default; then 2 bags.
    const answered = await runWithInput(
      ["runs", "answer", conversationId, request.id],
      env,
      "1\n7\n1234\ny\n\n2\n",
    );
    assert.equal(answered.status, 0, answered.stderr);
    assert.match(answered.stderr, /Book a flight/);
    assert.match(answered.stderr, /1\) Lufthansa 1 \[LH1\] \(recommended\)/);
    assert.match(answered.stderr, /Flight\*: /);
    assert.match(answered.stderr, /bags: must be at most 3/);
    assert.equal(
      answered.stderr.match(/Card PIN/g)?.length,
      1,
      "only the refused field is asked again",
    );
    assert.match(answered.stdout, /is submitted/);
    const stored = await client.humanInput.getInputRequest(conversationId, request.id);
    assert.deepEqual(stored.latest_response?.values, {
      flight: "LH1",
      bags: 2,
      pin: "1234",
      ok: true,
      note: "none",
    });
  });

  test("runs answer with input that ends early sends nothing and fails", async () => {
    const { client, env } = suite();
    const { conversationId, request } = await openRequest(client, FLIGHT_FIELDS);
    const result = await runWithInput(["runs", "answer", conversationId, request.id], env, "2\n");
    assert.equal(result.status, 1);
    assert.match(result.stderr, /input ended/);
    assert.equal(
      (await client.humanInput.getInputRequest(conversationId, request.id)).status,
      "open",
    );
  });

  test("runs answer --values answers from a script; a closed request is refused with exit 1", async () => {
    const { client, env } = suite();
    const { conversationId, request } = await openRequest(client, [
      { type: "confirm", name: "ok", label: "OK?", required: true },
    ]);
    const answered = await runline(
      ["runs", "answer", conversationId, request.id, "--values", '{"ok": true}', "--json"],
      env,
    );
    assert.equal(answered.status, 0, answered.stderr);
    assert.equal(JSON.parse(answered.stdout).status, "submitted");
    const again = await runline(
      ["runs", "answer", conversationId, request.id, "--values", '{"ok": false}'],
      env,
    );
    assert.equal(again.status, 1);
    assert.match(again.stderr, /is submitted, not open/);
    const badJson = await runline(
      ["runs", "answer", conversationId, request.id, "--values", "[1]"],
      env,
    );
    assert.equal(badJson.status, 2);
  });
});
