/** Input requests over HTTP (docs/api.md §7), on every store. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { InputRequestExpirySweeper } from "../../src/human-input/expiry-sweeper.ts";
import {
  bearer,
  bootstrapProjectId,
  createKey,
  JWT_ENV,
  userJwt,
  writerToken,
} from "../auth/fixtures.ts";
import { createOtherProject, createRun, describeEachStore } from "../helpers/server.ts";
import {
  EVERY_KIND_FIELDS,
  inAnHour,
  inputRequestBody,
  openRequest,
  requestPath,
} from "./fixtures.ts";

const RECORD_KEYS = [
  "id",
  "conversation_id",
  "run_id",
  "tool_call_id",
  "kind",
  "status",
  "requested_responder_type",
  "title",
  "description",
  "fields",
  "recommendations",
  "metadata",
  "created_at",
  "expires_at",
  "submitted_at",
  "cancelled_at",
  "expired_at",
  "latest_response",
].sort();

const VALID_ANSWER = {
  name: "Ada",
  email: "ada@example.com",
  site: "https://example.com/x",
  token: "s3cret",
  amount: "42.5",
  notes: "window please",
  flight: "LH1",
  seat: "window",
  insurance: false,
  approve: true,
  code: "ABC",
};

describeEachStore(
  "input requests",
  (server) => {
    test("create answers 201 with the full record: defaults filled, absent optionals omitted, never null", async () => {
      const { run, request } = await openRequest(server(), {
        fields: EVERY_KIND_FIELDS,
        metadata: { step: 3 },
        description: "Pick a flight",
      });
      assert.deepEqual(Object.keys(request).sort(), RECORD_KEYS);
      assert.match(request.id, /^[0-9a-f-]{36}$/);
      assert.equal(request.conversation_id, run.conversation_id);
      assert.equal(request.run_id, run.run_id);
      assert.equal(request.status, "open");
      assert.equal(request.kind, "form");
      assert.equal(request.description, "Pick a flight");
      assert.deepEqual(request.metadata, { step: 3 });
      assert.equal(request.recommendations, null);
      for (const key of ["submitted_at", "cancelled_at", "expired_at", "latest_response"]) {
        assert.equal(request[key], null, key);
      }
      const byName = Object.fromEntries(request.fields.map((f: { name: string }) => [f.name, f]));
      assert.deepEqual(byName.email, {
        type: "email",
        name: "email",
        label: "Email",
        required: false,
        secret: false,
      });
      assert.equal(byName.notes.rows, 3);
      assert.equal(byName.insurance.defaultValue, false);
      assert.equal(byName.approve.confirmLabel, "Yes");
      assert.equal(byName.approve.denyLabel, "No");
      assert.deepEqual(byName.flight.options[1], { value: "BA2", label: "British Airways 2" });
      assert.ok(!JSON.stringify(request.fields).includes("null"), "no null in fields");
    });

    test("create without description or metadata stores them as null", async () => {
      const { request } = await openRequest(server());
      assert.equal(request.description, null);
      assert.equal(request.metadata, null);
    });

    test("the same run and tool call while open returns the same record with 200", async () => {
      const run = await createRun(server(), {}, { initial_status: "running" });
      const body = inputRequestBody(run.run_id);
      const path = `/conversations/${run.conversation_id}/input-requests`;
      const first = await server().request("POST", path, body);
      const again = await server().request("POST", path, { ...body, title: "Different" });
      assert.equal(first.status, 201);
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, first.body);
    });

    test("create refuses bad bodies with 400 invalid_request naming each problem", async () => {
      const run = await createRun(server(), {}, { initial_status: "running" });
      const path = `/conversations/${run.conversation_id}/input-requests`;
      const cases: [string, Record<string, unknown>, string][] = [
        ["no fields", { fields: [] }, "fields"],
        [
          "duplicate names",
          {
            fields: [
              { type: "text", name: "a", label: "A" },
              { type: "text", name: "a", label: "B" },
            ],
          },
          "fields.1.name",
        ],
        ["unknown kind", { kind: "wizard" }, "kind"],
        ["bad field type", { fields: [{ type: "slider", name: "a", label: "A" }] }, "fields.0"],
        [
          "select without options",
          { fields: [{ type: "select", name: "a", label: "A", options: [] }] },
          "fields.0.options",
        ],
        [
          "bad pattern",
          { fields: [{ type: "text", name: "a", label: "A", pattern: "(" }] },
          "fields.0.pattern",
        ],
        ["no offset", { expires_at: "2030-01-01T00:00:00" }, "expires_at"],
        ["in the past", { expires_at: new Date(Date.now() - 1000).toISOString() }, "expires_at"],
        [
          "too far",
          { expires_at: new Date(Date.now() + 31 * 86_400_000).toISOString() },
          "expires_at",
        ],
        ["long title", { title: "x".repeat(257) }, "title"],
      ];
      for (const [name, overrides, path_] of cases) {
        const response = await server().request(
          "POST",
          path,
          inputRequestBody(run.run_id, overrides),
        );
        assert.equal(response.status, 400, name);
        assert.equal(response.body.code, "invalid_request", name);
        assert.ok(
          response.body.issues.some((i: { path: string }) => i.path.startsWith(`body.${path_}`)),
          `${name}: ${JSON.stringify(response.body.issues)}`,
        );
      }
    });

    test("create needs a run of that conversation (404) that is still active (400 run_not_appendable)", async () => {
      const run = await createRun(server(), {}, { initial_status: "running" });
      const elsewhere = await server().request(
        "POST",
        `/conversations/${randomUUID()}/input-requests`,
        inputRequestBody(run.run_id),
      );
      assert.equal(elsewhere.status, 404);
      assert.equal(
        (await server().request("POST", `/runs/${run.run_id}/complete`, { status: "completed" }))
          .status,
        200,
      );
      const ended = await server().request(
        "POST",
        `/conversations/${run.conversation_id}/input-requests`,
        inputRequestBody(run.run_id),
      );
      assert.equal(ended.status, 400);
      assert.equal(ended.body.code, "run_not_appendable");
    });

    test("a valid answer submits the request with latest_response; numeric strings become numbers", async () => {
      const { run, request } = await openRequest(server(), { fields: EVERY_KIND_FIELDS });
      const path = requestPath(run.conversation_id, request.id);
      const answered = await server().request("POST", `${path}/responses`, {
        values: VALID_ANSWER,
      });
      assert.equal(answered.status, 200, answered.text);
      assert.equal(answered.body.status, "submitted");
      assert.ok(answered.body.submitted_at);
      const response = answered.body.latest_response;
      assert.deepEqual(Object.keys(response).sort(), [
        "actor_id",
        "actor_type",
        "conversation_id",
        "created_at",
        "id",
        "input_request_id",
        "run_id",
        "values",
      ]);
      assert.equal(response.input_request_id, request.id);
      assert.equal(response.conversation_id, run.conversation_id);
      assert.equal(response.run_id, run.run_id);
      assert.equal(response.actor_type, "api_key");
      assert.deepEqual(response.values, { ...VALID_ANSWER, amount: 42.5 });
      const read = await server().request("GET", path);
      assert.deepEqual(read.body, answered.body);
    });

    test("an invalid answer lists every issue by field (400 invalid_response) and changes nothing", async () => {
      const { run, request } = await openRequest(server(), { fields: EVERY_KIND_FIELDS });
      const path = requestPath(run.conversation_id, request.id);
      const answered = await server().request("POST", `${path}/responses`, {
        values: {
          name: "",
          email: "not-an-email",
          site: "not a url",
          amount: 5000,
          notes: "x".repeat(51),
          flight: "XX9",
          seat: 3,
          insurance: "yes",
          code: "abc",
          stranger: 1,
        },
      });
      assert.equal(answered.status, 400);
      assert.equal(answered.body.code, "invalid_response");
      const paths = answered.body.issues.map((i: { path: string }) => i.path).sort();
      assert.deepEqual(paths, [
        "values.amount",
        "values.approve",
        "values.code",
        "values.email",
        "values.flight",
        "values.insurance",
        "values.name",
        "values.notes",
        "values.seat",
        "values.site",
        "values.stranger",
      ]);
      for (const issue of answered.body.issues) assert.ok(issue.message.length > 0);
      assert.equal((await server().request("GET", path)).body.status, "open");
    });

    test("false satisfies a required confirm; null and empty strings do not satisfy required", async () => {
      const { run, request } = await openRequest(server(), {
        fields: [
          { type: "confirm", name: "ok", label: "OK?", required: true },
          { type: "text", name: "why", label: "Why", required: true },
        ],
      });
      const path = requestPath(run.conversation_id, request.id);
      const bad = await server().request("POST", `${path}/responses`, {
        values: { ok: null, why: "" },
      });
      assert.deepEqual(bad.body.issues.map((i: { path: string }) => i.path).sort(), [
        "values.ok",
        "values.why",
      ]);
      const good = await server().request("POST", `${path}/responses`, {
        values: { ok: false, why: "no" },
      });
      assert.equal(good.status, 200);
      assert.deepEqual(good.body.latest_response.values, { ok: false, why: "no" });
    });

    test("a pattern with catastrophic backtracking is refused in bounded time, not hung on", async () => {
      const { run, request } = await openRequest(server(), {
        fields: [{ type: "text", name: "v", label: "V", pattern: "^(a+)+$" }],
      });
      const answered = await server().request(
        "POST",
        `${requestPath(run.conversation_id, request.id)}/responses`,
        { values: { v: `${"a".repeat(40)}!` } },
      );
      assert.equal(answered.status, 400);
      assert.equal(answered.body.issues[0].path, "values.v");
      assert.equal((await server().request("GET", "/healthz")).status, 200);
    });

    test("an answered request is not open: a second answer or a cancel get 409 input_request_not_open", async () => {
      const { run, request } = await openRequest(server());
      const path = requestPath(run.conversation_id, request.id);
      await server().request("POST", `${path}/responses`, { values: { approve: true } });
      for (const [url, body] of [
        [`${path}/responses`, { values: { approve: false } }],
        [`${path}/cancel`, undefined],
      ] as const) {
        const again = await server().request("POST", url, body);
        assert.equal(again.status, 409);
        assert.equal(again.body.code, "input_request_not_open");
        assert.equal(again.body.input_request_status, "submitted");
      }
      assert.equal((await server().request("GET", path)).body.latest_response.values.approve, true);
    });

    test("cancel answers the cancelled record, and the same again unchanged", async () => {
      const { run, request } = await openRequest(server());
      const path = requestPath(run.conversation_id, request.id);
      const cancelled = await server().request("POST", `${path}/cancel`);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, "cancelled");
      assert.ok(cancelled.body.cancelled_at);
      const again = await server().request("POST", `${path}/cancel`);
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, cancelled.body);
      const answer = await server().request("POST", `${path}/responses`, {
        values: { approve: true },
      });
      assert.equal(answer.status, 409);
      assert.equal(answer.body.input_request_status, "cancelled");
    });

    test("concurrent answers: exactly one submits, the others get 409", async () => {
      const { run, request } = await openRequest(server());
      const path = `${requestPath(run.conversation_id, request.id)}/responses`;
      const results = await Promise.all(
        [true, false, true, false, true].map((approve) =>
          server().request("POST", path, { values: { approve } }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409, 409]);
    });

    test("ending the run cancels its open requests", async () => {
      const { run, request } = await openRequest(server());
      await server().request("POST", `/runs/${run.run_id}/cancel`);
      const read = await server().request("GET", requestPath(run.conversation_id, request.id));
      assert.equal(read.body.status, "cancelled");
      assert.ok(read.body.cancelled_at);
    });

    test("list: newest first, filtered by status and run, paged with cursors", async () => {
      const { run, request: first } = await openRequest(server());
      const path = `/conversations/${run.conversation_id}/input-requests`;
      const ids = [first.id];
      for (let i = 0; i < 3; i++) {
        const made = await server().request("POST", path, inputRequestBody(run.run_id));
        ids.push(made.body.id);
      }
      await server().request("POST", `${requestPath(run.conversation_id, ids[1]!)}/cancel`);
      const all = await server().request("GET", path);
      assert.deepEqual(
        all.body.data.map((r: { id: string }) => r.id),
        [...ids].reverse(),
      );
      const open = await server().request("GET", `${path}?status=open`);
      assert.deepEqual(
        open.body.data.map((r: { id: string }) => r.id),
        [ids[3], ids[2], ids[0]],
      );
      const other = await server().request("GET", `${path}?run_id=nope`);
      assert.deepEqual(other.body.data, []);
      const page1 = await server().request("GET", `${path}?limit=3`);
      assert.equal(page1.body.data.length, 3);
      assert.ok(page1.body.page_info.next);
      const page2 = await server().request(
        "GET",
        `${path}?limit=3&cursor=${encodeURIComponent(page1.body.page_info.next)}`,
      );
      assert.deepEqual(
        page2.body.data.map((r: { id: string }) => r.id),
        [ids[0]],
      );
      assert.equal(page2.body.page_info.next, null);
      for (const bad of ["limit=0", "limit=101", "status=closed"]) {
        const response = await server().request("GET", `${path}?${bad}`);
        assert.equal(response.status, 400, bad);
      }
      const forged = await server().request("GET", `${path}?cursor=abc.def`);
      assert.equal(forged.body.code, "invalid_cursor");
    });

    test("expiry: past its deadline a request reads as expired at once, in listings and filters too", async () => {
      const { run, request } = await openRequest(server());
      // Move the deadline into the past in storage, as time passing would.
      const past = new Date(Date.now() - 1000).toISOString();
      await server().server.store.transaction(async (tx) => {
        const row = await tx.humanInput.getInputRequest(
          await bootstrapProjectId(server()),
          request.id,
        );
        assert.ok(row);
        await tx.humanInput.insertInputRequest({
          ...row,
          id: randomUUID(),
          tool_call_id: "other",
          expires_at: past,
        });
      });
      const list = await server().request(
        "GET",
        `/conversations/${run.conversation_id}/input-requests?status=expired`,
      );
      assert.equal(list.body.data.length, 1);
      const expired = list.body.data[0];
      assert.equal(expired.status, "expired");
      assert.equal(expired.expired_at, past);
      const answer = await server().request(
        "POST",
        `${requestPath(run.conversation_id, expired.id)}/responses`,
        { values: { approve: true } },
      );
      assert.equal(answer.status, 409);
      assert.equal(answer.body.input_request_status, "expired");
      const open = await server().request(
        "GET",
        `/conversations/${run.conversation_id}/input-requests?status=open`,
      );
      assert.deepEqual(
        open.body.data.map((r: { id: string }) => r.id),
        [request.id],
      );
    });

    test("get with wait_seconds answers as soon as a response lands", async () => {
      const { run, request } = await openRequest(server());
      const path = requestPath(run.conversation_id, request.id);
      const waiting = server().request("GET", `${path}?wait_seconds=30`);
      // The answer is sent once the long-poll is registered (no sleep: poll the watch count).
      const wakeups = server().server.humanInput.inputRequestWakeups;
      while (wakeups.watching === 0) await new Promise((resolve) => setImmediate(resolve));
      const answered = await server().request("POST", `${path}/responses`, {
        values: { approve: true },
      });
      assert.equal(answered.status, 200);
      const result = await waiting;
      assert.equal(result.status, 200);
      assert.equal(result.body.status, "submitted");
      assert.deepEqual(result.body.latest_response, answered.body.latest_response);
    });

    test("get with wait_seconds on a request that is not open answers at once", async () => {
      const { run, request } = await openRequest(server());
      const path = requestPath(run.conversation_id, request.id);
      await server().request("POST", `${path}/cancel`);
      const result = await server().request("GET", `${path}?wait_seconds=60`);
      assert.equal(result.body.status, "cancelled");
    });

    test("get with wait_seconds ends with the open record at the deadline", async () => {
      const { run, request } = await openRequest(server());
      const result = await server().request(
        "GET",
        `${requestPath(run.conversation_id, request.id)}?wait_seconds=1`,
      );
      assert.equal(result.status, 200);
      assert.equal(result.body.status, "open");
    });

    test("wait_seconds outside 1..60 is 400 invalid_request", async () => {
      const { run, request } = await openRequest(server());
      for (const value of ["0", "61", "1.5", "x", "1e1"]) {
        const result = await server().request(
          "GET",
          `${requestPath(run.conversation_id, request.id)}?wait_seconds=${value}`,
        );
        assert.equal(result.status, 400, value);
        assert.equal(result.body.code, "invalid_request", value);
      }
    });

    test("unknown ids, other conversations and other projects answer 404", async () => {
      const { run, request } = await openRequest(server());
      const otherKey = await createOtherProject(server());
      const cases: [string, Record<string, string>?][] = [
        [requestPath(run.conversation_id, randomUUID())],
        [requestPath(run.conversation_id, "not-a-uuid")],
        [requestPath(randomUUID(), request.id)],
        [requestPath(run.conversation_id, request.id), bearer(otherKey)],
      ];
      for (const [path, headers] of cases) {
        for (const [method, suffix, body] of [
          ["GET", "", undefined],
          ["POST", "/responses", { values: {} }],
          ["POST", "/cancel", undefined],
        ] as const) {
          const result = await server().request(method, path + suffix, body, headers);
          assert.equal(result.status, 404, `${method} ${path}${suffix}`);
          assert.equal(result.body.code, "not_found");
        }
      }
      const list = await server().request(
        "GET",
        `/conversations/${run.conversation_id}/input-requests`,
        undefined,
        bearer(otherKey),
      );
      assert.deepEqual(list.body.data, []);
    });

    test("secret values reach writers only: read-only credentials see null in their place", async () => {
      const { run, request } = await openRequest(server(), { fields: EVERY_KIND_FIELDS });
      const path = requestPath(run.conversation_id, request.id);
      await server().request("POST", `${path}/responses`, { values: VALID_ANSWER });
      const reader = await createKey(server(), ["agent-runs:read"]);
      const asReader = await server().request("GET", path, undefined, bearer(reader.key));
      assert.equal(asReader.status, 200);
      assert.equal(asReader.body.latest_response.values.token, null);
      assert.equal(asReader.body.latest_response.values.name, "Ada");
      const listed = await server().request(
        "GET",
        `/conversations/${run.conversation_id}/input-requests`,
        undefined,
        bearer(reader.key),
      );
      assert.equal(listed.body.data[0].latest_response.values.token, null);
      const asWriter = await server().request("GET", path);
      assert.equal(asWriter.body.latest_response.values.token, "s3cret");
      const token = await writerToken(server(), run.run_id);
      const asRunWriter = await server().request("GET", path, undefined, bearer(token));
      assert.equal(asRunWriter.body.latest_response.values.token, "s3cret");
    });

    test("a run's writer token opens and reads its own run's requests, and nothing else", async () => {
      const run = await createRun(server(), {}, { initial_status: "running" });
      const other = await createRun(server(), {}, { initial_status: "running" });
      const token = bearer(await writerToken(server(), run.run_id));
      const base = `/conversations/${run.conversation_id}/input-requests`;
      const made = await server().request("POST", base, inputRequestBody(run.run_id), token);
      assert.equal(made.status, 201);
      assert.equal(
        (await server().request("GET", `${base}/${made.body.id}`, undefined, token)).status,
        200,
      );
      const forOther = await server().request(
        "POST",
        `/conversations/${other.conversation_id}/input-requests`,
        inputRequestBody(other.run_id),
        token,
      );
      assert.equal(forOther.status, 403);
      const { request: otherRequest } = await openRequest(server());
      const readOther = await server().request(
        "GET",
        requestPath(other.conversation_id, otherRequest.id),
        undefined,
        token,
      );
      assert.equal(readOther.status, 403);
      for (const [method, url, body] of [
        ["GET", base, undefined],
        ["POST", `${base}/${made.body.id}/responses`, { values: { approve: true } }],
        ["POST", `${base}/${made.body.id}/cancel`, undefined],
      ] as const) {
        assert.equal((await server().request(method, url, body, token)).status, 403, url);
      }
    });

    test("a user JWT answers as actor_type user with its subject", async () => {
      const { run, request } = await openRequest(server());
      const jwt = await userJwt({ sub: "user-7", project_id: await bootstrapProjectId(server()) });
      const answered = await server().request(
        "POST",
        `${requestPath(run.conversation_id, request.id)}/responses`,
        { values: { approve: true } },
        bearer(jwt),
      );
      assert.equal(answered.status, 200, answered.text);
      assert.equal(answered.body.latest_response.actor_type, "user");
      assert.equal(answered.body.latest_response.actor_id, "user-7");
    });

    test("the expiry sweeper writes expiry down and announces it", async () => {
      const { request } = await openRequest(server(), { expires_at: inAnHour() });
      const seen: string[] = [];
      const off = server().server.store.changes.onCommitted((changes) => {
        for (const change of changes) {
          if ("inputRequest" in change && change.inputRequest.id === request.id)
            seen.push(change.type);
        }
      });
      try {
        const projectId = await bootstrapProjectId(server());
        // A sweep as it will run once the deadline has passed: its clock two hours ahead.
        const later = new Date(Date.now() + 7_200_000).toISOString();
        const sweeper = new InputRequestExpirySweeper(
          { ...server().server.humanInput, now: () => later },
          60_000,
          () => {},
        );
        assert.ok((await sweeper.sweep()) >= 1);
        const stored = await server().server.store.humanInput.getInputRequest(
          projectId,
          request.id,
        );
        assert.equal(stored?.status, "expired");
        assert.equal(stored?.expired_at, request.expires_at);
        assert.deepEqual(seen, ["input_request.expired"]);
        assert.equal(await sweeper.sweep(), 0, "nothing is expired twice");
      } finally {
        off();
      }
    });
  },
  JWT_ENV,
);
