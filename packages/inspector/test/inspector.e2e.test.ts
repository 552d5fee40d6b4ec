/**
 * The inspector end to end: a real Runline server (`startTestServer`, SQLite) serving the
 * built UI at /ui, driven in real headless Chromium. A producer appends events through the API
 * while the page watches; every wait is for the DOM (selectors, text), never for time.
 *
 * Skipped visibly when /usr/bin/chromium is absent; under CI=true that is a failure instead.
 */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createRun, startTestServer, type TestServer } from "../../server/test/helpers/server.ts";
import {
  browserUnavailable,
  ensureBuilt,
  openPage,
  screenshot,
  waitForContains,
  waitForText,
} from "./helpers/browser.ts";

const unavailable = browserUnavailable();
const inCi = process.env.CI === "true";
const BIG_EVENTS = Number(process.env.INSPECTOR_E2E_BIG_EVENTS ?? 20_000);
const TEST_TIMEOUT = 90_000;

type Event = Record<string, unknown> & { type: string };
type Run = { run_id: string; conversation_id: string };

describe("inspector in headless Chromium", {
  skip: unavailable && !inCi ? unavailable : false,
  timeout: 600_000,
}, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];

  before(async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}: the browser tests must run`);
    ensureBuilt();
    server = await startTestServer();
    ({ browser, context, page } = await openPage(1000, problems));
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy|Refused/.test(message.text())) {
        problems.push(`console: ${message.text()}`);
      }
    });
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  // ── helpers ──────────────────────────────────────────────────────────────────────────

  const append = async (run: Run, events: Event[]) => {
    const response = await server.request(
      "POST",
      `/conversations/${run.conversation_id}/runs/${run.run_id}/events`,
      { events },
    );
    assert.equal(response.status, 200, response.text);
    return response.body as { latest_event_id: number };
  };

  const running = (request: Record<string, unknown> = {}, overrides = {}) =>
    createRun(server, overrides, { initial_status: "running", ...request }) as Promise<Run>;

  const openRun = async (run: Run) => {
    await page.goto(`${server.url}/ui/conversations/${run.conversation_id}/runs/${run.run_id}`);
    await page.getByRole("heading", { level: 1, name: `Run ${run.run_id}` }).waitFor();
  };

  /** Signs in through the form unless this tab already holds a key (tests may run alone). */
  const signedIn = async () => {
    await page.goto(`${server.url}/ui/`);
    const form = page.getByLabel("API key");
    const heading = page.getByRole("heading", { level: 1, name: "Runs" });
    await form.or(heading).first().waitFor();
    if (await heading.isVisible()) return;
    await form.fill(server.key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await heading.waitFor();
  };

  const status = (value: string) =>
    page.locator(`.run-header-line [data-status="${value}"]`).waitFor();

  const messageText = (messageId: string) => `article[data-message-id="${messageId}"] .msg-text`;

  // ── tests ────────────────────────────────────────────────────────────────────────────

  test("serves /ui without a credential and signs in with a key kept out of the URL", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const response = await fetch(`${server.url}/ui/some/deep/link`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);

    await page.goto(`${server.url}/ui/`);
    await page.getByLabel("API key").waitFor();
    await screenshot(page, "sign-in", "inspector-sign-in");

    await page.getByLabel("API key").fill("vf_nope_0123456789abcdefghij");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("The server did not accept this key.").waitFor();

    await page.getByLabel("API key").fill(server.key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    const stored = await page.evaluate(() => sessionStorage.getItem("runline.inspector.apiKey"));
    assert.equal(stored, server.key);
    assert.ok(!page.url().includes(server.key));
  });

  test("lists runs newest first, filters by status, agent and conversation, pages, and updates live", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    const a = await createRun(server, {}, { agent_id: "alpha" });
    const b = await createRun(server, {}, { agent_id: "beta" });
    const c = await createRun(server, {}, { agent_id: "beta" });
    await page.goto(`${server.url}/ui/`);
    await page.locator(`tr[data-run-id="${c.run_id}"]`).waitFor();
    const order = await page
      .locator("tr[data-run-id]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run-id")));
    assert.deepEqual(order.slice(0, 3), [c.run_id, b.run_id, a.run_id]);

    // Agent filter (applied on submit), then the conversation filter from a row's button.
    await page.getByLabel("Agent").fill("beta");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForFunction(
      ({ a, b }) =>
        !document.querySelector(`tr[data-run-id="${a}"]`) &&
        document.querySelector(`tr[data-run-id="${b}"]`) !== null,
      { a: a.run_id, b: b.run_id },
    );
    assert.match(page.url(), /agent_id=beta/);
    await page
      .locator(`tr[data-run-id="${b.run_id}"]`)
      .getByRole("button", { name: /show only runs of conversation/ })
      .click();
    await page.waitForFunction((c) => !document.querySelector(`tr[data-run-id="${c}"]`), c.run_id);
    assert.equal(await page.locator("tr[data-run-id]").count(), 1);

    // Status filter applies at once.
    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByLabel("Status").selectOption("completed");
    await page.getByText("No runs match these filters.").waitFor();
    await page.getByLabel("Status").selectOption("");

    // Paging with two per page: older, then newer again.
    await page.goto(`${server.url}/ui/?limit=2`);
    await page.locator(`tr[data-run-id="${c.run_id}"]`).waitFor();
    await page.getByRole("button", { name: "Older →" }).click();
    await page.locator(`tr[data-run-id="${a.run_id}"]`).waitFor();
    assert.equal(await page.locator(`tr[data-run-id="${c.run_id}"]`).count(), 0);
    await page.getByRole("button", { name: "← Newer" }).click();
    await page.locator(`tr[data-run-id="${c.run_id}"]`).waitFor();

    // A run created while the page is open shows up without a reload.
    await page.goto(`${server.url}/ui/`);
    await page.locator(`tr[data-run-id="${c.run_id}"]`).waitFor();
    const d = await createRun(server, {}, { agent_id: "gamma" });
    await page.locator(`tr[data-run-id="${d.run_id}"]`).waitFor({ timeout: 20_000 });
    await screenshot(page, "runs-list", "inspector-runs");
  });

  test("streams text live, resumes after a dropped connection and after a reload, without duplicates", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    const run = await running();
    const streamSockets = new Set<Socket>();
    server.server.app.server.on("request", (request: IncomingMessage) => {
      if (request.url?.includes(`/runs/${run.run_id}/stream`)) streamSockets.add(request.socket);
    });
    await append(run, [{ type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" }]);
    await openRun(run);
    await page.locator('[data-follow="live"]').waitFor();

    let expected = "";
    const say = async (delta: string) => {
      await append(run, [{ type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta }]);
      expected += delta;
      await waitForText(page, messageText("m1"), expected);
    };
    for (const word of ["Durable ", "runs ", "stream ", "as ", "they "]) await say(word);

    // Cut the SSE connection (as a network drop would); the client resumes with Last-Event-ID.
    assert.ok(streamSockets.size > 0, "the page opened a stream");
    for (const socket of streamSockets) socket.destroy();
    streamSockets.clear();
    for (const word of ["keep ", "going "]) await say(word);
    await waitForContains(page, '[data-follow="live"]', "resumed");

    // Reload mid-message: snapshot + stream after it, nothing repeated.
    await page.reload();
    await page.locator('[data-follow="live"]').waitFor();
    await waitForText(page, messageText("m1"), expected);
    for (const word of ["after ", "a ", "reload."]) await say(word);

    await append(run, [{ type: "TEXT_MESSAGE_END", messageId: "m1" }]);
    const done = await server.request("POST", `/runs/${run.run_id}/complete`, {
      status: "completed",
    });
    assert.equal(done.status, 200);
    await status("completed");
    await page.locator('[data-follow="ended"]').waitFor();
    await waitForText(
      page,
      messageText("m1"),
      "Durable runs stream as they keep going after a reload.",
    );

    const record = await server.request(
      "GET",
      `/conversations/${run.conversation_id}/runs/${run.run_id}`,
    );
    await waitForText(page, '[data-testid="log-count"]', `${record.body.latest_event_id} events`);
    assert.equal(await page.locator(".marker-done").count(), 1);
  });

  test("renders reasoning, tool calls with results, state with the latest patch, and submits a tool result", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    const run = await running({ agent_id: "researcher" });
    await append(run, [
      { type: "STATE_SNAPSHOT", snapshot: { topic: "durable runs", sources: [], counter: 0 } },
      { type: "REASONING_START", messageId: "r1" },
      { type: "REASONING_MESSAGE_START", messageId: "r1", role: "reasoning" },
      { type: "REASONING_MESSAGE_CONTENT", messageId: "r1", delta: "The user wants sources." },
      { type: "REASONING_MESSAGE_END", messageId: "r1" },
      { type: "REASONING_END", messageId: "r1" },
      { type: "TEXT_MESSAGE_START", messageId: "a1", role: "assistant" },
      { type: "TEXT_MESSAGE_CONTENT", messageId: "a1", delta: "Let me search for that." },
      { type: "TEXT_MESSAGE_END", messageId: "a1" },
      { type: "TOOL_CALL_START", toolCallId: "tc1", toolCallName: "search", parentMessageId: "a1" },
      { type: "TOOL_CALL_ARGS", toolCallId: "tc1", delta: '{"query":' },
      { type: "TOOL_CALL_ARGS", toolCallId: "tc1", delta: '"event sourcing"}' },
      { type: "TOOL_CALL_END", toolCallId: "tc1" },
      {
        type: "TOOL_CALL_RESULT",
        messageId: "t1",
        toolCallId: "tc1",
        content: "3 results",
        role: "tool",
      },
      {
        type: "STATE_DELTA",
        delta: [
          { op: "add", path: "/sources/-", value: "martinfowler.com" },
          { op: "replace", path: "/counter", value: 1 },
        ],
      },
      {
        type: "TOOL_CALL_START",
        toolCallId: "tc2",
        toolCallName: "ask_user",
        parentMessageId: "a1",
      },
      { type: "TOOL_CALL_ARGS", toolCallId: "tc2", delta: '{"question":"Which year?"}' },
      { type: "TOOL_CALL_END", toolCallId: "tc2" },
    ]);
    const child = (await createRun(
      server,
      {
        parent_run_id: run.run_id,
        trigger: { tool_call_id: "tc1" },
      },
      { agent_id: "summarizer", initial_status: "running" },
    )) as Run;
    await append(child, [
      { type: "TEXT_MESSAGE_START", messageId: "c1", role: "assistant" },
      { type: "TEXT_MESSAGE_CONTENT", messageId: "c1", delta: "Summary of 3 results." },
      { type: "TEXT_MESSAGE_END", messageId: "c1" },
    ]);
    const waited = await server.request(
      "POST",
      `/conversations/${run.conversation_id}/runs/${run.run_id}/wait`,
      { tool_call_id: "tc2", tool_name: "ask_user" },
    );
    assert.equal(waited.status, 200, waited.text);

    await openRun(run);
    await status("waiting_for_tool");
    await waitForText(page, messageText("a1"), "Let me search for that.");
    const search = page.locator('[data-tool-call-id="tc1"]');
    await waitForContains(page, '[data-tool-call-id="tc1"]', '"query": "event sourcing"');
    await waitForContains(page, '[data-tool-call-id="tc1"]', "3 results");
    await search.getByRole("link", { name: child.run_id }).waitFor();
    // Reasoning is collapsed until opened.
    const reasoning = page.locator('details.reasoning[data-message-id="r1"]');
    assert.equal(await reasoning.getAttribute("open"), null);
    await reasoning.locator("summary").click();
    await waitForText(
      page,
      'details.reasoning[data-message-id="r1"] .msg-text',
      "The user wants sources.",
    );
    // The latest patch is highlighted (the appended array item and the replaced counter).
    await page
      .locator('[data-testid="state-view"] li.json-changed[data-pointer="/counter"]')
      .waitFor();
    await page
      .locator('[data-testid="state-view"] li.json-changed[data-pointer="/sources/0"]')
      .waitFor();
    // The header says what the run waits for, not how long it has been "running".
    await waitForContains(page, ".run-header-line .summary-line", "waiting for a tool result");
    await waitForContains(page, ".run-header-line .summary-line", "ask_user");
    assert.doesNotMatch(
      (await page.locator(".run-header-line .summary-line").textContent()) ?? "",
      /running for/,
    );
    await screenshot(page, "run-page-waiting");

    // Submit the awaited tool result, confirmed in a dialog.
    await page.getByLabel("Result", { exact: true }).fill('{"year": 2005}');
    await page.getByLabel("JSON").check();
    await page.getByRole("button", { name: "Submit result…" }).click();
    const dialog = page.getByRole("dialog", { name: "Submit this tool result?" });
    await dialog.waitFor();
    await screenshot(page, "tool-result-dialog");
    await dialog.getByRole("button", { name: "Submit result" }).click();
    await page.getByText("Tool result submitted.").waitFor();
    await status("running");
    await waitForContains(page, '[data-tool-call-id="tc2"]', '"year": 2005');
    await page.setViewportSize({ width: 1440, height: 1300 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, "run-page", "inspector-run");
    await page.setViewportSize({ width: 1440, height: 1000 });
  });

  test("shows lineage and navigates between parent and child runs", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    const parent = await running({ agent_id: "planner" });
    const child = (await createRun(
      server,
      {
        parent_run_id: parent.run_id,
        trigger: { tool_call_id: "delegate-1" },
      },
      { agent_id: "worker" },
    )) as Run;
    const grandchild = (await createRun(
      server,
      { parent_run_id: child.run_id },
      {
        agent_id: "helper",
      },
    )) as Run;

    await openRun(parent);
    const lineage = page.locator("section.lineage");
    await lineage.getByText("A root run: it has no parent.").waitFor();
    // Expand the child to see the grandchild in the tree.
    await lineage.getByRole("button", { name: `Show child runs of ${child.run_id}` }).click();
    await lineage.getByRole("link", { name: grandchild.run_id }).waitFor();
    await screenshot(page, "lineage");

    await lineage.getByRole("link", { name: child.run_id }).first().click();
    await page.getByRole("heading", { level: 1, name: `Run ${child.run_id}` }).waitFor();
    assert.match(
      page.url(),
      new RegExp(`/ui/conversations/${child.conversation_id}/runs/${child.run_id}$`),
    );
    const childLineage = page.locator("section.lineage");
    await childLineage.getByText("delegate-1").first().waitFor();
    await childLineage.getByRole("link", { name: parent.run_id }).click();
    await page.getByRole("heading", { level: 1, name: `Run ${parent.run_id}` }).waitFor();
    // The heading takes focus after in-app navigation.
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), "H1");
    // Back goes to the child again.
    await page.goBack();
    await page.getByRole("heading", { level: 1, name: `Run ${child.run_id}` }).waitFor();
  });

  test("lineage comes before the conversation; a child's page lists neither itself nor its children again; leaf runs get no toggle", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    // One conversation: a parent, two children of it, and a grandchild under the first child.
    const parent = await running({ agent_id: "planner" });
    const inConversation = { conversationId: parent.conversation_id };
    const child = (await createRun(
      server,
      { ...inConversation, parent_run_id: parent.run_id, trigger: { tool_call_id: "delegate-1" } },
      { agent_id: "researcher", initial_status: "running" },
    )) as Run;
    const sibling = (await createRun(
      server,
      { ...inConversation, parent_run_id: parent.run_id },
      { agent_id: "writer" },
    )) as Run;
    const grandchild = (await createRun(
      server,
      { ...inConversation, parent_run_id: child.run_id },
      { agent_id: "fetcher" },
    )) as Run;
    await append(child, [
      { type: "TEXT_MESSAGE_START", messageId: "k1", role: "assistant" },
      { type: "TEXT_MESSAGE_CONTENT", messageId: "k1", delta: "Looking into it." },
      { type: "TEXT_MESSAGE_END", messageId: "k1" },
    ]);

    await openRun(parent);
    const lineage = page.locator("section.lineage");
    await lineage.getByRole("link", { name: sibling.run_id }).first().waitFor();
    // Only the child that has children of its own gets a disclosure toggle.
    await lineage.getByRole("button", { name: `Show child runs of ${child.run_id}` }).waitFor();
    assert.equal(
      await lineage.getByRole("button", { name: `Show child runs of ${sibling.run_id}` }).count(),
      0,
    );

    await openRun(child);
    await page.locator("section.lineage").getByRole("link", { name: grandchild.run_id }).waitFor();
    // Placed where it is seen: above the conversation, not below the page's fold.
    const lineageTop = (await page.locator("section.lineage").boundingBox())!.y;
    const conversationTop = (await page
      .locator('section[aria-labelledby="conversation-heading"]')
      .boundingBox())!.y;
    assert.ok(
      lineageTop < conversationTop,
      `lineage at ${lineageTop}, conversation at ${conversationTop}`,
    );
    const others = page.locator("ul.by-conversation");
    await others.getByRole("link", { name: sibling.run_id }).waitFor();
    const listed = await others
      .getByRole("link")
      .evaluateAll((links) => links.map((a) => a.textContent));
    assert.deepEqual(listed, [sibling.run_id], "neither the run itself nor its children again");
    // The grandchild is a leaf: listed in the tree, no toggle.
    assert.equal(
      await page.getByRole("button", { name: `Show child runs of ${grandchild.run_id}` }).count(),
      0,
    );
    await screenshot(page, "child-run", "inspector-child-run");
  });

  test("the event log is as tall as its rows on a short run, and no taller", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    const run = await running();
    await append(run, [
      { type: "TEXT_MESSAGE_START", messageId: "s1", role: "assistant" },
      { type: "TEXT_MESSAGE_CONTENT", messageId: "s1", delta: "Short." },
      { type: "TEXT_MESSAGE_END", messageId: "s1" },
    ]);
    await openRun(run);
    await waitForText(page, '[data-testid="log-count"]', "4 events");
    const list = page.locator(".log-list");
    const rows = await list.locator('[role="option"]').count();
    assert.equal(rows, 4);
    const box = (await list.boundingBox())!;
    const rowHeight = (await list.locator('[role="option"]').first().boundingBox())!.height;
    assert.ok(
      Math.abs(box.height - (rows * rowHeight + 2)) <= 1,
      `list ${box.height}px for ${rows} rows of ${rowHeight}px`,
    );
  });

  test("a read-only key is offered neither Cancel nor Submit, and says why", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const created = await server.request("POST", "/api-keys", {
      name: "viewer",
      scopes: ["agent-runs:read"],
    });
    assert.equal(created.status, 201, created.text);
    const run = await running();
    await append(run, [
      { type: "TOOL_CALL_START", toolCallId: "ro1", toolCallName: "approve" },
      { type: "TOOL_CALL_END", toolCallId: "ro1" },
    ]);
    const waited = await server.request(
      "POST",
      `/conversations/${run.conversation_id}/runs/${run.run_id}/wait`,
      { tool_call_id: "ro1", tool_name: "approve" },
    );
    assert.equal(waited.status, 200, waited.text);

    // Its own tab (sessionStorage holds the key per tab).
    const viewer = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    try {
      const tab = await viewer.newPage();
      await tab.goto(`${server.url}/ui/`);
      await tab.getByLabel("API key").fill(created.body.key);
      await tab.getByRole("button", { name: "Sign in" }).click();
      await tab.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
      await tab.goto(`${server.url}/ui/conversations/${run.conversation_id}/runs/${run.run_id}`);
      await tab.locator('.run-header-line [data-status="waiting_for_tool"]').waitFor();
      await tab.getByTestId("read-only-note").waitFor();
      assert.equal(await tab.getByRole("button", { name: "Cancel run…" }).count(), 0);
      assert.equal(await tab.getByRole("button", { name: "Submit result…" }).count(), 0);
    } finally {
      await viewer.close();
    }
    // The admin key of the main tab still gets both.
    await signedIn();
    await openRun(run);
    await page.getByRole("button", { name: "Cancel run…" }).waitFor();
    await page.getByRole("button", { name: "Submit result…" }).waitFor();
    assert.equal(await page.getByTestId("read-only-note").count(), 0);
  });

  test("jumps to a run by its id from the header", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    const run = await running({ agent_id: "jumper" });
    await page.getByRole("searchbox", { name: "Run id" }).fill(` ${run.run_id} `);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: `Run ${run.run_id}` }).waitFor();
    // The canonical /ui/runs/{id} page may render first; it settles on the conversation's URL.
    await page.waitForURL(
      new RegExp(`/ui/conversations/${run.conversation_id}/runs/${run.run_id}$`),
    );
    await page.getByRole("searchbox", { name: "Run id" }).fill("no-such-run");
    await page.getByRole("button", { name: "Go", exact: true }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: /not found|No run/i })
      .waitFor();
  });

  test("cancels a run, with cascade, only after confirmation", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    const parent = await running();
    const child = (await createRun(
      server,
      { parent_run_id: parent.run_id },
      {
        initial_status: "running",
      },
    )) as Run;
    await openRun(parent);
    await status("running");

    await page.getByRole("button", { name: "Cancel run…" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel this run?" });
    await dialog.waitFor();
    // Focus starts on the safe choice; Escape closes without cancelling.
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Keep running");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    const still = await server.request("GET", `/runs/${parent.run_id}`);
    assert.equal(still.body.status, "running");

    await page.getByRole("button", { name: "Cancel run…" }).click();
    await dialog.getByLabel(/cascade/).check();
    await screenshot(page, "cancel-dialog");
    await dialog.getByRole("button", { name: "Cancel run", exact: true }).click();
    await status("cancelled");
    await page.getByText("Run cancelled, with its active descendants.").waitFor();
    await page.locator('[data-follow="ended"]').waitFor();
    await page
      .locator(".marker-error")
      .getByText(/Run cancelled/)
      .waitFor();
    const childNow = await server.request("GET", `/runs/${child.run_id}`);
    assert.equal(childNow.body.status, "cancelled");
  });

  test("deletes an ended run and its descendants after confirmation, offered only to keys that may write", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    // An active run can be cancelled but not deleted.
    const active = await running();
    await openRun(active);
    await status("running");
    await page.getByRole("button", { name: "Cancel run…" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Delete run…" }).count(), 0);

    const parent = await running();
    const child = (await createRun(server, { parent_run_id: parent.run_id })) as Run;
    for (const run of [child, parent]) {
      const done = await server.request("POST", `/runs/${run.run_id}/complete`, {
        status: "completed",
      });
      assert.equal(done.status, 200, done.text);
    }
    await openRun(parent);
    await status("completed");

    await page.getByRole("button", { name: "Delete run…" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this run?" });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Keep it");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal((await server.request("GET", `/runs/${parent.run_id}`)).status, 200);

    await page.getByRole("button", { name: "Delete run…" }).click();
    await dialog.getByText(/the 1 run it spawned/).waitFor();
    await screenshot(page, "delete-dialog");
    await dialog.getByRole("button", { name: "Delete run", exact: true }).click();
    await page.getByText(`Run ${parent.run_id} was deleted.`).waitFor();
    for (const run of [parent, child]) {
      const gone = await server.request("GET", `/runs/${run.run_id}`);
      assert.equal(gone.status, 410);
      assert.equal(gone.body.code, "run_deleted");
    }

    // A read-only key is not offered the action at all.
    const reader = await server.request("POST", "/api-keys", {
      name: "reader",
      scopes: ["agent-runs:read"],
    });
    assert.equal(reader.status, 201, reader.text);
    const ended = await running();
    await server.request("POST", `/runs/${ended.run_id}/complete`, { status: "failed" });
    const other = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const tab = await other.newPage();
      await tab.goto(`${server.url}/ui/`);
      await tab.getByLabel("API key").fill(reader.body.key);
      await tab.getByRole("button", { name: "Sign in" }).click();
      await tab.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
      const credential = tab.waitForResponse((r) => r.url().endsWith("/credentials/current"));
      await tab.goto(
        `${server.url}/ui/conversations/${ended.conversation_id}/runs/${ended.run_id}`,
      );
      const answer = await credential;
      assert.deepEqual((await answer.json()).scopes, ["agent-runs:read"]);
      await tab.locator('.run-header-line [data-status="failed"]').waitFor();
      assert.equal(await tab.getByRole("button", { name: "Delete run…" }).count(), 0);
    } finally {
      await other.close();
    }
  });

  test(`keeps a ${BIG_EVENTS.toLocaleString("en")}-event log windowed, loads pages on demand and filters`, {
    timeout: 180_000,
  }, async () => {
    await signedIn();
    const run = await running();
    const batches = Math.ceil(BIG_EVENTS / 100);
    for (let b = 0; b < batches; b += 1) {
      const id = `big${b}`;
      const events: Event[] = [{ type: "TEXT_MESSAGE_START", messageId: id, role: "assistant" }];
      for (let i = 0; i < 98; i += 1) {
        events.push({ type: "TEXT_MESSAGE_CONTENT", messageId: id, delta: `w${i} ` });
      }
      events.push({ type: "TEXT_MESSAGE_END", messageId: id });
      await append(run, events);
    }
    const total = batches * 100 + 1; // + the server's RUN_STARTED
    const started = Date.now();
    await openRun(run);
    await waitForText(
      page,
      '[data-testid="log-count"]',
      `${total.toLocaleString()} events`,
      30_000,
    );
    const list = page.getByRole("listbox", { name: /Events of this run/ });
    // Follows the tail: the last event is rendered, loaded from its page.
    await list
      .getByRole("option")
      .filter({ hasText: String(total) })
      .first()
      .waitFor();
    const firstPaintMs = Date.now() - started;

    // Scroll through the whole list quickly; only the visible window is in the DOM.
    const metrics = await list.evaluate(async (el) => {
      const frames: number[] = [];
      let maxRows = 0;
      let last = performance.now();
      const step = el.scrollHeight / 120;
      el.scrollTop = 0;
      for (let i = 0; i <= 120; i += 1) {
        el.scrollTop = i * step;
        await new Promise(requestAnimationFrame);
        const now = performance.now();
        frames.push(now - last);
        last = now;
        maxRows = Math.max(maxRows, el.querySelectorAll('[role="option"]').length);
      }
      frames.sort((x, y) => x - y);
      return {
        maxRows,
        p50: frames[Math.floor(frames.length / 2)],
        p95: frames[Math.floor(frames.length * 0.95)],
      };
    });
    console.log(
      `  ${total} events: first paint ${firstPaintMs} ms, scroll frames p50 ${metrics.p50?.toFixed(1)} ms, p95 ${metrics.p95?.toFixed(1)} ms, at most ${metrics.maxRows} rows in the DOM`,
    );
    assert.ok(metrics.maxRows < 120, `rendered ${metrics.maxRows} rows`);

    // Keyboard: Home goes to the first event (its page loads), ArrowDown selects the next.
    await list.focus();
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowDown");
    await waitForContains(page, '[data-testid="event-json"]', '"type": "TEXT_MESSAGE_START"');
    assert.equal(await list.locator('[aria-selected="true"]').getAttribute("aria-posinset"), "2");

    // A filter loads the rest of the log and keeps only matching rows.
    await page.getByRole("checkbox", { name: /^Text/ }).uncheck();
    await waitForText(
      page,
      '[data-testid="log-count"]',
      `1 matching of ${total.toLocaleString()} events`,
      60_000,
    );
    await list.getByRole("option").filter({ hasText: "RUN_STARTED" }).waitFor();
    await screenshot(page, "big-log-filtered");
    await page.getByRole("button", { name: "Show all" }).click();
  });

  test("signs out by itself, saying why, when its key is revoked", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const created = await server.request("POST", "/api-keys", {
      name: "short-lived",
      scopes: ["agent-runs:read"],
    });
    assert.equal(created.status, 201, created.text);
    const other = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const tab = await other.newPage();
      await tab.goto(`${server.url}/ui/`);
      await tab.getByLabel("API key").fill(created.body.key);
      await tab.getByRole("button", { name: "Sign in" }).click();
      await tab.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
      const revoked = await server.request("DELETE", `/api-keys/${created.body.id}`);
      assert.equal(revoked.status, 204);
      // The next refresh (on focus, or within a few seconds) gets a 401.
      await tab.getByRole("button", { name: "Refresh" }).click();
      await tab.getByText("The server no longer accepts this API key. Sign in again.").waitFor();
      await tab.getByLabel("API key").waitFor();
      assert.equal(
        await tab.evaluate(() => sessionStorage.getItem("runline.inspector.apiKey")),
        null,
      );
    } finally {
      await other.close();
    }
  });

  test("is keyboard reachable and labelled, and stays on its own origin under its CSP", {
    timeout: TEST_TIMEOUT,
  }, async () => {
    await signedIn();
    await page.goto(`${server.url}/ui/`);
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    // Skip link first in tab order.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea, button")]
        .filter((el) => {
          const control = el as HTMLInputElement;
          const named =
            (control.labels?.length ?? 0) > 0 ||
            control.getAttribute("aria-label") ||
            control.getAttribute("aria-labelledby") ||
            (el.tagName === "BUTTON" && el.textContent?.trim());
          return !named;
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(unlabelled, []);

    const origin = new URL(server.url).origin;
    const foreign = requests.filter((url) => !url.startsWith(origin) && !url.startsWith("data:"));
    assert.deepEqual(foreign, [], "every request stays on the server's origin");
    const leaked = requests.filter((url) => url.includes(server.key));
    assert.deepEqual(leaked, [], "the API key never appears in a URL");
    assert.deepEqual(problems, [], "no page errors and no CSP violations");
  });
});
