/** HTTP conventions (docs/api.md §2, §3, §4.4, §6): errors, auth, request ids, event log paging, operations. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createRun, describeEachStore } from "../helpers/server.ts";

describeEachStore(
  "HTTP protocol",
  (server) => {
    test("malformed JSON is a 400 problem that changes nothing", async () => {
      const r = await server().request("POST", "/runs", '{"kind": "agent",', {
        "content-type": "application/json",
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.code, "invalid_request");
      assert.equal(r.headers.get("content-type"), "application/problem+json; charset=utf-8");
      for (const key of ["type", "title", "status", "detail", "code", "request_id"])
        assert.ok(key in r.body, key);
      const listed = await server().request("GET", "/runs");
      assert.equal(listed.body.data.length, 0);
    });

    test("a body that is not JSON is 415; an empty body is fine whatever its content type", async () => {
      const run = await createRun(server());
      const r = await server().request("POST", `/runs/${run.run_id}/cancel`, "cascade=true", {
        "content-type": "text/plain",
      });
      assert.equal(r.status, 415);
      assert.equal(r.body.code, "unsupported_media_type");
      assert.equal((await server().request("GET", `/runs/${run.run_id}`)).body.status, "pending");
      const empty = await server().request("POST", `/runs/${run.run_id}/cancel`, "", {
        "content-type": "text/plain",
      });
      assert.equal(empty.status, 200);
      const emptyJson = await server().request("POST", "/conversations", "", {
        "content-type": "application/json",
      });
      assert.equal(emptyJson.status, 201);
    });

    test("deeply nested JSON is a 400, not a crash; nesting up to the limit is accepted", async () => {
      const run = await createRun(server());
      const deep = `${"[".repeat(30_000)}${"]".repeat(30_000)}`; // under this suite's 64 KiB body limit
      for (const [path, body] of [
        [`/runs/${run.run_id}/events`, `{"events":[{"type":"CUSTOM","name":"x","value":${deep}}]}`],
        ["/runs", `{"kind":"agent","request":{"metadata":{"x":${deep}}}}`],
        [`/runs/${run.run_id}/complete`, `{"status":"completed","metadata":{"a":${deep}}}`],
      ] as const) {
        const r = await server().request("POST", path, body);
        assert.equal(r.status, 400, path);
        assert.equal(r.body.code, "invalid_request");
      }
      const fits = `${"[".repeat(250)}${"]".repeat(250)}`;
      const ok = await server().request(
        "POST",
        `/runs/${run.run_id}/events`,
        `{"events":[{"type":"CUSTOM","name":"x","value":${fits}}]}`,
      );
      assert.equal(ok.status, 200);
      assert.equal((await server().request("GET", `/runs/${run.run_id}`)).body.status, "running");
    });

    test("NUL characters are refused in request strings (400) but kept in event payloads", async () => {
      const run = await createRun(server());
      const wait = await server().request("POST", `/runs/${run.run_id}/wait`, {
        tool_call_id: "a\u0000b",
      });
      assert.equal(wait.status, 400);
      assert.equal(wait.body.code, "invalid_request");
      assert.equal((await server().request("GET", "/runs?agent_id=a%00b")).status, 400);
      assert.equal((await server().request("GET", "/runs/a%00b")).status, 400);
      assert.equal((await server().request("GET", `/runs/${run.run_id}`)).body.status, "pending");
      const event = { type: "CUSTOM", name: "nul", value: "x\u0000y" };
      const ok = await server().request("POST", `/runs/${run.run_id}/events`, { events: [event] });
      assert.equal(ok.status, 200);
      const log = await server().request("GET", `/runs/${run.run_id}/events`);
      assert.equal(log.body.data[1].event.value, "x\u0000y");
    });

    test("malformed URLs and over-long path parameters are problem JSON", async () => {
      for (const path of ["/runs/%ZZ", `/runs/${"x".repeat(600)}`]) {
        const r = await server().request("GET", path);
        assert.equal(r.status, 400, path);
        assert.equal(r.headers.get("content-type"), "application/problem+json; charset=utf-8");
        assert.equal(r.body.code, "invalid_request");
      }
    });

    test("a body over the limit is 413", async () => {
      const r = await server().request(
        "POST",
        "/runs",
        JSON.stringify({ pad: "x".repeat(70_000) }),
      );
      assert.equal(r.status, 413);
      assert.equal(r.body.code, "payload_too_large");
    });

    test("missing or invalid credentials are 401 with WWW-Authenticate: Bearer", async () => {
      for (const headers of <Record<string, string>[]>[
        { authorization: "" },
        { authorization: "Bearer vf_nope_0123456789abcdef0123" },
        { authorization: "Bearer not-a-key" },
        { authorization: "Basic dXNlcjpwYXNz" },
        { authorization: "", "x-api-key": "vf_testadmin_wrongsecretwrongsecret" },
      ]) {
        const r = await server().request("GET", "/runs", undefined, headers);
        assert.equal(r.status, 401, JSON.stringify(headers));
        assert.equal(r.body.code, "unauthenticated");
        assert.equal(r.headers.get("www-authenticate"), "Bearer");
      }
      const viaHeader = await server().request("GET", "/runs", undefined, {
        authorization: "",
        "x-api-key": server().key,
      });
      assert.equal(viaHeader.status, 200);
    });

    test("every response carries X-Request-Id: the client's when sane, else a generated one", async () => {
      const mine = await server().request("GET", "/healthz", undefined, {
        "x-request-id": "trace-123",
      });
      assert.equal(mine.headers.get("x-request-id"), "trace-123");
      const insane = await server().request("GET", "/runs/nope", undefined, {
        "x-request-id": "bad id with spaces",
      });
      const generated = insane.headers.get("x-request-id");
      assert.ok(generated && generated !== "bad id with spaces");
      assert.equal(insane.body.request_id, generated);
    });

    test("unknown routes are 404 problems", async () => {
      const r = await server().request("GET", "/nowhere");
      assert.equal(r.status, 404);
      assert.equal(r.body.code, "not_found");
    });

    test("the event log pages by event id with string cursors", async () => {
      const run = await createRun(server());
      const events = Array.from({ length: 5 }, (_, i) => ({
        type: "CUSTOM",
        name: `e${i}`,
        value: i,
      }));
      await server().request("POST", `/runs/${run.run_id}/events`, { events });
      const base = `/conversations/${run.conversation_id}/runs/${run.run_id}/events`;
      const first = await server().request("GET", `${base}?limit=2`);
      assert.deepEqual(
        first.body.data.map((e: { event_id: number }) => e.event_id),
        [1, 2],
      );
      assert.deepEqual(first.body.page_info, { self: null, first: null, next: "2", prev: null });
      assert.match(first.body.data[0].created_at, /Z$/);
      const second = await server().request("GET", `${base}?limit=2&cursor=2`);
      assert.deepEqual(
        second.body.data.map((e: { event_id: number }) => e.event_id),
        [3, 4],
      );
      assert.equal(second.body.page_info.self, "2");
      const last = await server().request("GET", `${base}?after_event_id=4&limit=2`);
      assert.deepEqual(
        last.body.data.map((e: { event_id: number }) => e.event_id),
        [5, 6],
      );
      assert.deepEqual(last.body.page_info, { self: "4", first: null, next: null, prev: null });
      const beyond = await server().request("GET", `${base}?after_event_id=99`);
      assert.deepEqual(beyond.body.data, []);
      assert.equal(beyond.body.page_info.next, null);
      for (const q of ["limit=0", "limit=501", "after_event_id=-1", "after_event_id=x"]) {
        assert.equal((await server().request("GET", `${base}?${q}`)).status, 400, q);
      }
      const forged = await server().request("GET", `${base}?cursor=abc`);
      assert.equal(forged.status, 400);
      assert.equal(forged.body.code, "invalid_cursor");
    });

    test("the snapshot of a run with no events is empty", async () => {
      const run = await createRun(server());
      const r = await server().request("GET", `/runs/${run.run_id}/snapshot`);
      assert.deepEqual(r.body, { after_event_id: 0, events: [] });
    });

    test("health, readiness, metrics and the OpenAPI document need no credential", async () => {
      const none = { authorization: "" };
      assert.deepEqual((await server().request("GET", "/healthz", undefined, none)).body, {
        status: "ok",
      });
      const ready = await server().request("GET", "/readyz", undefined, none);
      assert.equal(ready.status, 200);
      const metrics = await server().request("GET", "/metrics", undefined, none);
      assert.equal(metrics.status, 200);
      assert.match(metrics.text, /runline_http_requests_total/);
      const openapi = await server().request("GET", "/openapi.json", undefined, none);
      assert.equal(openapi.status, 200);
      assert.equal(openapi.body.openapi, "3.1.0");
      assert.ok(openapi.body.paths["/conversations/{conversation_id}/runs/{run_id}/events"].post);
      assert.ok(openapi.body.paths["/runs"].post.requestBody);
      const docs = await server().request("GET", "/docs/", undefined, none);
      assert.equal(docs.status, 200);
      assert.match(docs.text, /swagger/i);
    });
  },
  { RUNLINE_BODY_LIMIT_BYTES: "65536" },
);
