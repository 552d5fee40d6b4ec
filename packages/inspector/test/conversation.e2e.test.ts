/**
 * The conversation page end to end, in real headless Chromium against a real server: the
 * timeline shows a parent run with its child nested under it, tool calls and waits as marks,
 * follows the conversation over ONE stream connection (not one per run), shows a run created
 * while the page is open without a reload, and recolours a bar when its run's status changes.
 * Every wait is for the DOM, never for time.
 *
 * Skipped visibly when /usr/bin/chromium is absent; under CI=true that is a failure instead.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RunlineClient } from "@runline/client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createRun, startTestServer, type TestServer } from "../../server/test/helpers/server.ts";
import { browserUnavailable, ensureBuilt, openPage, screenshot } from "./helpers/browser.ts";

const unavailable = browserUnavailable();
const inCi = process.env.CI === "true";

describe("the conversation timeline in the inspector (headless Chromium)", {
  skip: unavailable && !inCi ? unavailable : false,
  timeout: 300_000,
}, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  before(async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}: the browser tests must run`);
    ensureBuilt();
    server = await startTestServer();
    ({ browser, context, page } = await openPage(900, problems));
    page.on("request", (request) => requests.push(request.url()));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  const row = (runId: string) => page.locator(`li.timeline-row[data-run-id="${runId}"]`);
  const bar = (runId: string) => row(runId).locator(".timeline-bar");

  test("shows the parent with its child nested under it and their marks, follows over one connection, adds a new run live and recolours a bar on a status change", {
    timeout: 120_000,
  }, async () => {
    const client = new RunlineClient({ baseUrl: server.url, apiKey: server.key });
    const parent = await createRun(server, {}, { agent_id: "planner", initial_status: "running" });
    const conversationId = parent.conversation_id;
    const child = await createRun(
      server,
      { conversationId, parent_run_id: parent.run_id, trigger: { tool_call_id: "delegate" } },
      { agent_id: "researcher", initial_status: "running" },
    );
    const parentRun = client.run(conversationId, parent.run_id);
    await parentRun.append([
      { type: "TOOL_CALL_START", toolCallId: "delegate", toolCallName: "delegate" },
      { type: "TOOL_CALL_ARGS", toolCallId: "delegate", delta: "{}" },
      { type: "TOOL_CALL_END", toolCallId: "delegate" },
    ]);
    const childRun = client.run(conversationId, child.run_id);
    await childRun.append([
      { type: "TOOL_CALL_START", toolCallId: "ask", toolCallName: "ask_user" },
      { type: "TOOL_CALL_END", toolCallId: "ask" },
    ]);
    await childRun.wait({ tool_call_id: "ask", tool_name: "ask_user" });

    // Sign in, then open the conversation's page.
    await page.goto(`${server.url}/ui/`);
    await page.getByLabel("API key").fill(server.key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    requests.length = 0;
    // From the runs list filtered to the conversation, its timeline is one link away.
    await page.goto(`${server.url}/ui/?conversation_id=${conversationId}`);
    await page.getByRole("link", { name: /^Timeline of conversation/ }).click();
    await page.getByRole("heading", { level: 1, name: `Conversation ${conversationId}` }).waitFor();

    // The parent first, the child under it (indented one level, pointing at its parent).
    await row(child.run_id).waitFor();
    const order = await page
      .locator("li.timeline-row")
      .evaluateAll((rows) =>
        rows.map((r) => [r.getAttribute("data-run-id"), r.getAttribute("data-depth")]),
      );
    assert.deepEqual(order, [
      [parent.run_id, "0"],
      [child.run_id, "1"],
    ]);
    assert.equal(await row(child.run_id).getAttribute("data-parent-run-id"), parent.run_id);
    const parentIndent = (await row(parent.run_id).locator(".timeline-label a").boundingBox())!.x;
    const childIndent = (await row(child.run_id).locator(".timeline-label a").boundingBox())!.x;
    assert.ok(childIndent > parentIndent, `child at ${childIndent}, parent at ${parentIndent}`);
    // Marks: the parent's tool call; the child's tool call and its open wait.
    await row(parent.run_id).locator('[data-mark-kind="tool"]').waitFor();
    await row(child.run_id).locator('[data-mark-kind="tool"]').waitFor();
    await row(child.run_id).locator('[data-mark-kind="wait"]').waitFor();
    await bar(child.run_id).and(page.locator('[data-status="waiting"]')).waitFor();
    const waitingColour = await bar(child.run_id).evaluate(
      (el) => getComputedStyle(el).backgroundColor,
    );

    // A run created while the page is open appears, with no reload.
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    const later = await createRun(
      server,
      { conversationId },
      { agent_id: "writer", initial_status: "running" },
    );
    await row(later.run_id).waitFor();
    assert.equal(await row(later.run_id).getAttribute("data-depth"), "0");
    assert.equal(
      await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed),
      true,
      "the same document: no reload",
    );

    // A status change recolours the bar: the child's wait ends and it completes.
    await childRun.toolResult({ toolCallId: "ask", result: { answer: "yes" } });
    await childRun.complete({ status: "completed" });
    await bar(child.run_id).and(page.locator('[data-status="completed"]')).waitFor();
    const completedColour = await bar(child.run_id).evaluate(
      (el) => getComputedStyle(el).backgroundColor,
    );
    assert.notEqual(completedColour, waitingColour);
    assert.equal(await row(child.run_id).locator('[data-mark-kind="wait"].open').count(), 0);
    await screenshot(page, "conversation", "inspector-conversation");

    // One connection for the whole conversation, none per run.
    const streams = requests.filter((url) => new URL(url).pathname.endsWith("/stream"));
    assert.deepEqual(
      streams.map((url) => new URL(url).pathname),
      [`/conversations/${conversationId}/stream`],
    );
    assert.deepEqual(problems, []);
  });
});
