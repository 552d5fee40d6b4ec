/**
 * Human in the loop end to end (docs/api.md §7): an agent opens an input request and waits for
 * the answer on a long-poll; a person answers it in the inspector, in real headless Chromium;
 * the agent's wait returns the answer and it continues. Every wait is for the DOM or for the
 * long-poll, never for time.
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

const FIELDS = [
  { type: "text", name: "name", label: "Full name", required: true, minLength: 2 },
  { type: "email", name: "email", label: "Email", placeholder: "you@example.com" },
  { type: "number", name: "amount", label: "Amount", min: 1, max: 100, defaultValue: "10" },
  { type: "password", name: "pin", label: "Card PIN", required: true, secret: true },
  { type: "textarea", name: "notes", label: "Notes", rows: 2 },
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
  {
    type: "radio",
    name: "seat",
    label: "Seat",
    options: [
      { value: "aisle", label: "Aisle" },
      { value: "window", label: "Window", description: "best views" },
    ],
    defaultValue: "aisle",
  },
  { type: "checkbox", name: "insurance", label: "Travel insurance", defaultValue: true },
  {
    type: "confirm",
    name: "approve",
    label: "Book and pay?",
    required: true,
    confirmLabel: "Book it",
    denyLabel: "Not now",
  },
];

describe("human in the loop in the inspector (headless Chromium)", {
  skip: unavailable && !inCi ? unavailable : false,
  timeout: 300_000,
}, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}: the browser tests must run`);
    ensureBuilt();
    server = await startTestServer();
    ({ browser, context, page } = await openPage(1200, problems));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  test("an agent waits on a long-poll, a person answers in the inspector, and the agent continues", {
    timeout: 120_000,
  }, async () => {
    const agent = new RunlineClient({ baseUrl: server.url, apiKey: server.key });
    const run = await createRun(server, {}, { initial_status: "running" });
    const conversationId = run.conversation_id;
    const request = await agent.humanInput.createInputRequest(conversationId, {
      run_id: run.run_id,
      tool_call_id: "tc-book",
      kind: "form",
      requested_responder_type: "human",
      title: "Book the flight",
      description: "The agent needs these details to book.",
      fields: FIELDS as never,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    // The agent now waits for the answer, as Veryfront agents do (long-poll, 60 s at a time).
    const answered = agent.humanInput.waitForAnswer(conversationId, request.id);

    await page.goto(`${server.url}/ui/`);
    await page.getByLabel("API key").fill(server.key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    await page.goto(`${server.url}/ui/conversations/${conversationId}/runs/${run.run_id}`);

    const form = page.locator(`section.input-request[data-input-request-id="${request.id}"]`);
    await form.getByRole("heading", { name: "Book the flight" }).waitFor();
    await form.getByText("The agent needs these details to book.").waitFor();

    // Every kind is a real control, with its default, required mark and masking.
    const name = form.getByLabel(/^Full name/);
    assert.equal(await name.getAttribute("aria-required"), "true");
    assert.equal(await form.locator('[data-field="name"] .required').textContent(), " *");
    assert.equal(await form.getByLabel(/^Email/).getAttribute("type"), "email");
    assert.equal(await form.getByLabel(/^Email/).getAttribute("placeholder"), "you@example.com");
    assert.equal(await form.getByLabel(/^Amount/).inputValue(), "10");
    assert.equal(await form.getByLabel(/^Card PIN/).getAttribute("type"), "password");
    assert.equal(await form.getByLabel(/^Notes/).getAttribute("rows"), "2");
    const flight = form.getByLabel(/^Flight/);
    assert.equal(await flight.evaluate((el) => el.tagName), "SELECT");
    await form.getByText("Lufthansa 1 (recommended)").waitFor({ state: "attached" });
    assert.equal(await form.getByRole("radio", { name: "Aisle" }).isChecked(), true);
    await form.getByText("best views").waitFor();
    assert.equal(await form.getByRole("checkbox", { name: /Travel insurance/ }).isChecked(), true);
    await form.getByRole("radio", { name: "Book it" }).waitFor();
    await form.getByRole("radio", { name: "Not now" }).waitFor();

    // A first try the server refuses: its messages appear next to the fields concerned.
    await name.fill("A");
    await form.getByLabel(/^Amount/).fill("500");
    await form.getByRole("button", { name: "Submit answer" }).click();
    const nameIssue = form.locator('[data-field="name"] .field-issue');
    await nameIssue.waitFor();
    assert.match((await nameIssue.textContent()) ?? "", /at least 2 characters/);
    assert.match(
      (await form.locator('[data-field="amount"] .field-issue').textContent()) ?? "",
      /at most 100/,
    );
    assert.match(
      (await form.locator('[data-field="pin"] .field-issue').textContent()) ?? "",
      /required/,
    );
    assert.match(
      (await form.locator('[data-field="flight"] .field-issue').textContent()) ?? "",
      /required/,
    );
    assert.equal(await name.getAttribute("aria-invalid"), "true");
    assert.equal(await form.locator('[data-field="email"] .field-issue').count(), 0);
    await screenshot(page, "input-request-refused");

    // The corrected answer goes through.
    await name.fill("Ada Lovelace");
    await form.getByLabel(/^Email/).fill("ada@example.com");
    await form.getByLabel(/^Amount/).fill("42");
    await form.getByLabel(/^Card PIN/).fill("2468");
    await form.getByLabel(/^Notes/).fill("Vegetarian meal");
    await flight.selectOption("BA2");
    await form.getByRole("radio", { name: "Window" }).check();
    await form.getByRole("checkbox", { name: /Travel insurance/ }).uncheck();
    await form.getByRole("radio", { name: "Book it" }).check();
    await form.getByRole("button", { name: "Submit answer" }).click();

    // The agent's long-poll returns the answer...
    const result = await answered;
    assert.equal(result.status, "submitted");
    assert.deepEqual(result.latest_response?.values, {
      name: "Ada Lovelace",
      email: "ada@example.com",
      amount: 42,
      pin: "2468",
      notes: "Vegetarian meal",
      flight: "BA2",
      seat: "window",
      insurance: false,
      approve: true,
    });
    // ...and the agent continues: it reports back and finishes the run.
    const producer = agent.run(conversationId, run.run_id);
    await producer.append([
      { type: "TEXT_MESSAGE_START", messageId: "m-booked", role: "assistant" },
      {
        type: "TEXT_MESSAGE_CONTENT",
        messageId: "m-booked",
        delta: `Booked ${result.latest_response?.values.flight} for Ada.`,
      },
      { type: "TEXT_MESSAGE_END", messageId: "m-booked" },
    ]);
    await producer.complete({ status: "completed" });

    // The page shows the agent going on, and the request's history with the secret masked.
    await page
      .locator('article[data-message-id="m-booked"]')
      .getByText("Booked BA2 for Ada.")
      .waitFor();
    await form.waitFor({ state: "detached" });
    const history = page.locator(`.input-history li[data-input-request-id="${request.id}"]`);
    await history.and(page.locator('[data-status="submitted"]')).waitFor();
    const shown = (await history.textContent()) ?? "";
    assert.match(shown, /Ada Lovelace/);
    assert.match(shown, /by api_key/);
    assert.ok(!shown.includes("2468"), "the secret answer is masked in the history");
    assert.match(shown, /••••••/);
    await screenshot(page, "input-request-answered");
    assert.deepEqual(problems, []);
  });

  test("cancelling from the inspector ends the agent's wait with the cancelled request", {
    timeout: 60_000,
  }, async () => {
    const agent = new RunlineClient({ baseUrl: server.url, apiKey: server.key });
    const run = await createRun(server, {}, { initial_status: "running" });
    const request = await agent.humanInput.createInputRequest(run.conversation_id, {
      run_id: run.run_id,
      tool_call_id: "tc-ask",
      kind: "form",
      requested_responder_type: "human",
      title: "Anything to add?",
      fields: [{ type: "text", name: "extra", label: "Extra" }],
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const waited = agent.humanInput.waitForAnswer(run.conversation_id, request.id);
    await page.goto(`${server.url}/ui/conversations/${run.conversation_id}/runs/${run.run_id}`);
    const form = page.locator(`section.input-request[data-input-request-id="${request.id}"]`);
    await form.getByRole("button", { name: "Cancel request" }).click();
    assert.equal((await waited).status, "cancelled");
    await page
      .locator(`.input-history li[data-input-request-id="${request.id}"][data-status="cancelled"]`)
      .waitFor();
  });
});
