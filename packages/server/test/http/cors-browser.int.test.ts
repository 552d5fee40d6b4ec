/**
 * Browser access across origins (docs/api.md §12, issue 16 finding 9), in headless Chromium: a
 * page served from another origin appends with `fetch` (a preflighted request: Authorization,
 * JSON) and follows the run's stream with a fetch-based SSE reader that sends Authorization,
 * reading `X-Request-Id`; and follows it with the browser's own `EventSource`, which cannot send
 * headers and so passes a user JWT as `?access_token=` (docs/security.md). Skipped visibly when
 * /usr/bin/chromium is absent, a failure under CI=true.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { bootstrapProjectId, JWT_ENV, userJwt } from "../auth/fixtures.ts";
import { createRun, startTestServer, type TestServer } from "../helpers/server.ts";

// Debian's Chromium, as the inspector's browser tests use (packages/inspector/test/helpers).
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const unavailable = existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is absent`;
const inCi = process.env.CI === "true";

describe("a page on another origin uses the API from Chromium", {
  skip: unavailable && !inCi ? unavailable : false,
}, () => {
  let api: TestServer;
  let site: http.Server;
  let siteOrigin: string;
  let browser: Browser;

  before(async () => {
    if (unavailable) throw new Error(`CI=true and ${unavailable}`);
    site = http.createServer((_request, response) => {
      response
        .writeHead(200, { "content-type": "text/html" })
        .end("<!doctype html><title>app</title>");
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    // `localhost` vs the API's `127.0.0.1`: another origin.
    siteOrigin = `http://localhost:${(site.address() as AddressInfo).port}`;
    api = await startTestServer("sqlite", { RUNLINE_CORS_ORIGINS: siteOrigin, ...JWT_ENV });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    site?.close();
  });

  test("fetch appends (preflighted) and a fetch-based SSE reader follows the stream to its end", async () => {
    const run = await createRun(api, {}, { initial_status: "running" });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${siteOrigin}/`);
    const streamed = page.evaluate(
      async ({ url, key, runId }) => {
        const response = await fetch(`${url}/runs/${runId}/stream`, {
          headers: { authorization: `Bearer ${key}`, "last-event-id": "0" },
        });
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += value;
        }
        return { status: response.status, requestId: response.headers.get("x-request-id"), text };
      },
      { url: api.url, key: api.key, runId: run.run_id },
    );
    const appended = await page.evaluate(
      async ({ url, key, runId }) => {
        const response = await fetch(`${url}/runs/${runId}/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ events: [{ type: "CUSTOM", name: "from-browser", value: 1 }] }),
        });
        return { status: response.status, requestId: response.headers.get("x-request-id") };
      },
      { url: api.url, key: api.key, runId: run.run_id },
    );
    assert.equal(appended.status, 200);
    assert.ok(appended.requestId, "X-Request-Id is exposed to the page");
    const done = await api.request("POST", `/runs/${run.run_id}/complete`, { status: "completed" });
    assert.equal(done.status, 200, done.text);
    const stream = await streamed;
    assert.equal(stream.status, 200);
    assert.ok(stream.requestId);
    assert.match(stream.text, /event: Custom\ndata: \{"type":"CUSTOM","name":"from-browser"/);
    assert.match(stream.text, /event: RunFinished/);
  });

  test("EventSource on another origin follows a stream with a JWT in ?access_token= and sees every event once", async () => {
    const run = await createRun(api, {}, { initial_status: "running" });
    const jwt = await userJwt({ sub: "browser-user", project_id: await bootstrapProjectId(api) });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${siteOrigin}/`);
    const followed = page.evaluate(
      ({ url, token, runId }) =>
        new Promise<{ ids: string[]; types: string[]; error?: string }>((resolve) => {
          const ids: string[] = [];
          const types: string[] = [];
          const source = new EventSource(
            `${url}/runs/${runId}/stream?access_token=${encodeURIComponent(token)}`,
          );
          // No named function values in here: tsx would wrap them in a helper the page lacks.
          for (const name of ["RunStarted", "Custom", "RunFinished"]) {
            source.addEventListener(name, (event) => {
              const message = event as MessageEvent;
              ids.push(message.lastEventId);
              types.push(JSON.parse(message.data).type);
              if (message.type === "RunFinished") {
                source.close();
                resolve({ ids, types });
              }
            });
          }
          source.onerror = () => {
            if (source.readyState === EventSource.CLOSED) {
              resolve({ ids, types, error: "closed by an error" });
            }
          };
        }),
      { url: api.url, token: jwt, runId: run.run_id },
    );
    const eventsUrl = `/runs/${run.run_id}/events`;
    for (const n of [1, 2]) {
      const appended = await api.request("POST", eventsUrl, {
        events: [{ type: "CUSTOM", name: `n${n}`, value: n }],
      });
      assert.equal(appended.status, 200, appended.text);
    }
    const done = await api.request("POST", `/runs/${run.run_id}/complete`, { status: "completed" });
    assert.equal(done.status, 200, done.text);
    const result = await followed;
    assert.equal(result.error, undefined);
    assert.deepEqual(result.types, ["RUN_STARTED", "CUSTOM", "CUSTOM", "RUN_FINISHED"]);
    assert.deepEqual(result.ids, ["1", "2", "3", "4"]);
  });

  test("an API key is refused in the URL (401): only JWTs travel there", async () => {
    const run = await createRun(api);
    const response = await fetch(`${api.url}/runs/${run.run_id}/stream?access_token=${api.key}`);
    assert.equal(response.status, 401);
    assert.match(((await response.json()) as { detail: string }).detail, /not accepted in the URL/);
  });
});
