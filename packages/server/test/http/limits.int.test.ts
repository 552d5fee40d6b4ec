/**
 * Sizes and strictness of client input (docs/api.md §12, issue 16 findings 4, 7, 8, 11), on every
 * store: metadata over 64 KiB → 400 `metadata_too_large` on every route that takes it; a tool
 * result obeys the 240 KiB event limit; `__proto__` / `constructor` keys are stored and returned
 * verbatim with no prototype pollution; malformed JSON says where; integers in a query are
 * decimal digits only, on every route.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { createRun, describeEachStore, type TestServer } from "../helpers/server.ts";
import { registerWorker, uniqueKind } from "../workers/worker-helpers.ts";

const OVER = { blob: "x".repeat(64 * 1024) }; // 64 KiB of text plus the JSON around it
const UNDER = { blob: "x".repeat(60 * 1024) };

async function waitingRun(server: TestServer) {
  const run = await createRun(server, {}, { initial_status: "running" });
  const base = `/conversations/${run.conversation_id}/runs/${run.run_id}`;
  const waited = await server.request("POST", `${base}/wait`, { tool_call_id: "tc-1" });
  assert.equal(waited.status, 200, waited.text);
  return { run, base };
}

describeEachStore("limits on client input", (server) => {
  test("metadata over 64 KiB is refused with 400 metadata_too_large on runs, conversations, complete, workers and sessions; 60 KiB is accepted", async () => {
    const conversation = randomUUID();
    const runBody = (metadata: unknown) => ({
      kind: "agent",
      owner: { kind: "conversation", id: conversation },
      request: { agent_id: "a", metadata },
    });
    const kind = uniqueKind();
    const worker = await registerWorker(server(), kind);
    const run = await createRun(server());
    const cases: Array<[string, string, (m: unknown) => unknown, Record<string, string>?]> = [
      ["POST", "/runs", runBody],
      ["POST", "/conversations", (metadata) => ({ id: randomUUID(), metadata })],
      ["POST", `/runs/${run.run_id}/complete`, (metadata) => ({ status: "completed", metadata })],
      [
        "POST",
        "/agent-workers/projects/current/workers",
        (metadata) => ({ implementation_kind: kind, worker_key: randomUUID(), metadata }),
      ],
      [
        "POST",
        `/agent-workers/workers/${worker.id}/heartbeat`,
        (metadata) => ({ metadata }),
        worker.auth,
      ],
    ];
    for (const [method, path, body, headers] of cases) {
      const refused = await server().request(method, path, body(OVER), headers);
      assert.equal(refused.status, 400, `${path}: ${refused.text.slice(0, 200)}`);
      assert.equal(refused.body.code, "metadata_too_large", path);
      assert.match(refused.body.detail, /metadata must be at most 64 KiB/);
    }
    for (const [method, path, body, headers] of cases) {
      const accepted = await server().request(method, path, body(UNDER), headers);
      assert.ok(
        accepted.status < 300,
        `${path}: ${accepted.status} ${accepted.text.slice(0, 200)}`,
      );
    }
  });

  test("a listing of 100 runs with the largest metadata allowed still serialises", async () => {
    const conversation = randomUUID();
    const big = { blob: "y".repeat(63 * 1024) };
    await Promise.all(
      Array.from({ length: 100 }, () =>
        server().request("POST", "/runs", {
          kind: "agent",
          owner: { kind: "conversation", id: conversation },
          request: { agent_id: "a", metadata: big },
        }),
      ),
    );
    const listing = await server().request("GET", `/conversations/${conversation}/runs?limit=100`);
    assert.equal(listing.status, 200);
    assert.equal(listing.body.data.length, 100);
  });

  test("a tool result larger than the 240 KiB event limit is refused with 400 event_too_large and the run keeps waiting", async () => {
    const { base } = await waitingRun(server());
    const refused = await server().request("POST", `${base}/tool-result`, {
      toolCallId: "tc-1",
      result: "r".repeat(5 * 1024 * 1024),
    });
    assert.equal(refused.status, 400, refused.text.slice(0, 200));
    assert.equal(refused.body.code, "event_too_large");
    assert.match(refused.body.detail, /payload must be less than 240 KiB/);
    const run = await server().request("GET", base);
    assert.equal(run.body.status, "waiting_for_tool", "nothing changed");
    const fits = await server().request("POST", `${base}/tool-result`, {
      toolCallId: "tc-1",
      result: "r".repeat(200 * 1024),
    });
    assert.equal(fits.status, 200, fits.text.slice(0, 200));
  });

  test("__proto__ and constructor keys in events and metadata are stored and returned verbatim, and no prototype is polluted", async () => {
    const metadataJson =
      '{"__proto__":{"polluted":"meta"},"constructor":{"prototype":{"polluted":"ctor"}},"ok":1}';
    const created = await server().request(
      "POST",
      "/runs",
      `{"kind":"agent","owner":{"kind":"conversation","id":"${randomUUID()}"},"request":{"agent_id":"a","initial_status":"running","metadata":${metadataJson}}}`,
    );
    assert.equal(created.status, 202, created.text);
    const runId = created.body.run.run_id;
    const eventJson =
      '{"type":"CUSTOM","name":"n","value":{"__proto__":{"polluted":"event"},"constructor":{"prototype":{"polluted":"x"}}}}';
    const appended = await server().request(
      "POST",
      `/runs/${runId}/events`,
      `{"events":[${eventJson}]}`,
    );
    assert.equal(appended.status, 200, appended.text);
    const summary = await server().request("GET", `/runs/${runId}`);
    assert.ok(summary.text.includes(metadataJson), `metadata verbatim: ${summary.text}`);
    const log = await server().request("GET", `/runs/${runId}/events`);
    assert.ok(log.text.includes(eventJson), `event verbatim: ${log.text}`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype untouched");
    assert.equal(Object.hasOwn(JSON.parse(log.text).data[1].event.value, "__proto__"), true);
  });

  test("a malformed JSON body is 400 invalid_request whose detail says where the error is", async () => {
    const response = await server().request("POST", "/runs", '{"kind": "agent",}');
    assert.equal(response.status, 400);
    assert.equal(response.body.code, "invalid_request");
    assert.match(response.body.detail, /not valid JSON: .*position 17/);
  });

  test("integer query parameters are decimal digits only on every route (1e2, 0x10, ' 5', 5.0, +5 → 400; 5 → 200)", async () => {
    const run = await createRun(server(), {}, { initial_status: "running" });
    const conv = `/conversations/${run.conversation_id}`;
    const paths = [
      "/runs?limit=",
      `${conv}/runs?limit=`,
      `/runs/${run.run_id}/children?limit=`,
      `${conv}/runs/${run.run_id}/children?limit=`,
      `${conv}/runs/children-by-parent-conversation?limit=`,
      `/runs/${run.run_id}/events?limit=`,
      `/runs/${run.run_id}/events?after_event_id=`,
      `${conv}/agent-runs/${run.run_id}/events?after_event_id=`,
      `/runs/${run.run_id}/stream?after_event_id=`,
    ];
    for (const path of paths) {
      for (const bad of ["1e2", "0x10", "%205", "5.0", "%2B5", "1e3"]) {
        const response = await server().request("GET", path + bad);
        assert.equal(response.status, 400, `${path}${bad}: ${response.status}`);
        assert.equal(response.body.code, "invalid_request");
      }
    }
    for (const path of paths.filter((p) => !p.includes("/stream"))) {
      assert.equal((await server().request("GET", `${path}5`)).status, 200, `${path}5`);
    }
  });
});
