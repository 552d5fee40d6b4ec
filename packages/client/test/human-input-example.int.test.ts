/**
 * The runnable example of docs/human-in-the-loop.md (`docs/examples/human-in-the-loop.ts`),
 * run as a process against a real server, with a person's answer given through the API: the
 * page stays true.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { useServer } from "./helpers/setup.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const EXAMPLE = "docs/examples/human-in-the-loop.ts";

describe("docs/examples/human-in-the-loop.ts", () => {
  const suite = useServer();

  test("runs both styles to the end once a person answers its input request", {
    timeout: 60_000,
  }, async () => {
    const { client, server } = suite();
    const child = spawn(process.execPath, ["--import", "tsx", EXAMPLE], {
      cwd: ROOT,
      env: { ...process.env, RUNLINE_URL: server.url, RUNLINE_API_KEY: server.key },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const deadline = setTimeout(() => child.kill("SIGKILL"), 50_000);
    let stdout = "";
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const asked = new Promise<[string, string]>((resolve, reject) => {
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        const match = /runs answer (\S+) (\S+)/.exec(stdout);
        if (match) resolve([match[1]!, match[2]!]);
      });
      child.on("close", () => reject(new Error(`exited before asking:\n${stdout}\n${stderr}`)));
    });
    const [conversationId, requestId] = await asked;
    await client.humanInput.respond(conversationId, requestId, {
      approve: true,
      seat: "window",
      card_cvc: "123",
    });
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(deadline);
    assert.equal(status, 0, stderr);
    assert.match(stdout, /Booked with a window seat\./);
    assert.match(stdout, /Open interrupts: approve-hotel/);
    assert.match(stdout, /A run without resume is refused: interrupts_unanswered/);
    assert.match(stdout, /Resumed as \S+; its RUN_STARTED carries/);
    assert.match(stdout, /interruptId: 'approve-hotel'/);
  });
});
