/**
 * Run event-writer tokens (docs/api.md §2): exchanged with `runs:write` (or, for a child run, by
 * whoever may append to its parent), they append to their one run on every path family and
 * get 403 everywhere else; a terminal run's appends get the usual 400.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, test } from "node:test";
import { decodeJwt } from "jose";
import {
  bearer,
  bootstrapProjectId,
  createKey,
  textEvents,
  writerToken,
} from "../auth/fixtures.ts";
import {
  createOtherProject,
  createRun,
  describeEachStore,
  type TestServer,
} from "../helpers/server.ts";

const TTL_SECONDS = 600;

const append = (
  server: TestServer,
  path: string,
  token: string,
  events = textEvents(randomUUID()),
) => server.request("POST", path, { events }, bearer(token));

function assertForbidden(response: { status: number; body: { code?: string }; text: string }) {
  assert.equal(response.status, 403, response.text);
  assert.equal(response.body.code, "forbidden");
}

describeEachStore(
  "run event-writer tokens",
  (get) => {
    let projectId: string;
    before(async () => {
      projectId = await bootstrapProjectId(get());
    });

    test("the exchange returns a short-lived, no-store token with the contract's claims", async () => {
      const server = get();
      const run = await createRun(server);
      const response = await server.request("POST", `/runs/${run.run_id}/event-writer-token`);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.get("cache-control"), "no-store");
      assert.deepEqual(Object.keys(response.body), ["run_event_token"]);
      const claims = decodeJwt(response.body.run_event_token);
      assert.equal(claims.projectId, projectId);
      assert.equal(claims.runId, run.run_id);
      assert.equal(claims.tokenUse, "run_event_writer");
      assert.deepEqual(claims.scopes, ["agent-runs:events:append"]);
      assert.equal(claims.iss, "runline");
      assert.equal(claims.exp! - claims.iat!, TTL_SECONDS);
    });

    test("the exchange is 404 for an unknown run or another project's, 403 without runs:write", async () => {
      const server = get();
      const run = await createRun(server);
      const unknown = await server.request("POST", "/runs/no-such-run/event-writer-token");
      assert.equal(unknown.status, 404);
      const other = await server.request(
        "POST",
        `/runs/${run.run_id}/event-writer-token`,
        undefined,
        bearer(await createOtherProject(server)),
      );
      assert.equal(other.status, 404);
      const reader = await createKey(server, ["agent-runs:read", "agent-runs:events:append"]);
      assertForbidden(
        await server.request(
          "POST",
          `/runs/${run.run_id}/event-writer-token`,
          undefined,
          bearer(reader.key),
        ),
      );
    });

    test("a writer token appends to its run through all three path families", async () => {
      const server = get();
      const run = await createRun(server);
      const token = await writerToken(server, run.run_id);
      const paths = [
        `/runs/${run.run_id}/events`,
        `/conversations/${run.conversation_id}/runs/${run.run_id}/events`,
        `/conversations/${run.conversation_id}/agent-runs/${run.run_id}/events`,
      ];
      let expected = 0;
      for (const path of paths) {
        const response = await append(server, path, token);
        assert.equal(response.status, 200, `${path}: ${response.text}`);
        expected += 3;
        assert.equal(response.body.latest_external_event_sequence, expected);
      }
    });

    test("a writer token gets 403 on every other run and route, and changes nothing", async () => {
      const server = get();
      const run = await createRun(server);
      const other = await createRun(server);
      const token = await writerToken(server, run.run_id);
      const before = await server.request("GET", `/runs/${other.run_id}/events`);

      assertForbidden(await append(server, `/runs/${other.run_id}/events`, token));
      assertForbidden(
        await append(
          server,
          `/conversations/${other.conversation_id}/runs/${other.run_id}/events`,
          token,
        ),
      );
      assertForbidden(await append(server, "/runs/no-such-run/events", token));
      // Refused before the body is even looked at.
      assertForbidden(
        await server.request(
          "POST",
          `/runs/${other.run_id}/events`,
          { bogus: true },
          bearer(token),
        ),
      );
      const own = run.run_id;
      const cid = run.conversation_id;
      for (const [method, path, body] of [
        ["GET", `/runs/${own}`],
        ["GET", `/runs/${own}/events`],
        ["GET", `/runs/${own}/snapshot`],
        ["GET", `/conversations/${cid}/runs/${own}`],
        ["GET", "/runs"],
        ["POST", "/runs", {}],
        ["POST", `/runs/${own}/complete`, { status: "completed" }],
        ["POST", `/runs/${own}/cancel`, {}],
        ["POST", `/runs/${own}/wait`, { tool_call_id: "t1" }],
        ["POST", `/runs/${own}/event-writer-token`],
        ["POST", "/conversations", {}],
        ["GET", "/api-keys"],
        ["POST", "/api-keys", {}],
      ] as const) {
        assertForbidden(await server.request(method, path, body, bearer(token)));
      }
      assert.deepEqual(
        await server.request("GET", `/runs/${other.run_id}/events`).then((r) => r.body),
        before.body,
      );
      assert.equal((await server.request("GET", `/runs/${own}`)).body.status, "pending");
    });

    test("once the run is terminal, its writer token's appends get 400 run_not_appendable", async () => {
      const server = get();
      const run = await createRun(server);
      const token = await writerToken(server, run.run_id);
      assert.equal((await append(server, `/runs/${run.run_id}/events`, token)).status, 200);
      const completed = await server.request("POST", `/runs/${run.run_id}/complete`, {
        status: "completed",
      });
      assert.equal(completed.status, 200);
      const refused = await append(server, `/runs/${run.run_id}/events`, token);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.code, "run_not_appendable");
      assert.equal(refused.body.detail, "Cannot append external events to a terminal run");
    });

    test("an expired or foreign-signed writer token is refused with 401", async () => {
      const server = get();
      const run = await createRun(server);
      const claims = {
        tokenUse: "run_event_writer" as const,
        projectId,
        runId: run.run_id,
        scopes: ["agent-runs:events:append"],
      };
      const expired = await server.server.tokens.sign(claims, 0);
      const expiredResponse = await append(server, `/runs/${run.run_id}/events`, expired);
      assert.equal(expiredResponse.status, 401);
      assert.equal(expiredResponse.headers.get("www-authenticate"), "Bearer");
      const { ServerTokens } = await import("../../src/auth/server-tokens.ts");
      const foreign = await new ServerTokens("some-other-secret-entirely-000000").sign(claims, 60);
      assert.equal((await append(server, `/runs/${run.run_id}/events`, foreign)).status, 401);
    });

    test("the parent's writer token exchanges for a child's token, which writes only the child", async () => {
      const server = get();
      const parent = await createRun(server);
      const child = await createRun(server, { parent_run_id: parent.run_id });
      const grandchild = await createRun(server, { parent_run_id: child.run_id });
      const parentToken = await writerToken(server, parent.run_id);

      const exchanged = await server.request(
        "POST",
        `/runs/${parent.run_id}/children/${child.run_id}/event-writer-token`,
        undefined,
        bearer(parentToken),
      );
      assert.equal(exchanged.status, 200, exchanged.text);
      assert.equal(exchanged.headers.get("cache-control"), "no-store");
      const childToken: string = exchanged.body.run_event_token;
      assert.equal(decodeJwt(childToken).runId, child.run_id);

      assert.equal((await append(server, `/runs/${child.run_id}/events`, childToken)).status, 200);
      assertForbidden(await append(server, `/runs/${parent.run_id}/events`, childToken));

      // The child's token hands on to the grandchild, not back up or sideways.
      const down = await server.request(
        "POST",
        `/runs/${child.run_id}/children/${grandchild.run_id}/event-writer-token`,
        undefined,
        bearer(childToken),
      );
      assert.equal(down.status, 200);
      assertForbidden(
        await server.request(
          "POST",
          `/runs/${parent.run_id}/children/${child.run_id}/event-writer-token`,
          undefined,
          bearer(childToken),
        ),
      );
    });

    test("the child exchange is 404 for a run that is not the parent's child, 403 for another run's token", async () => {
      const server = get();
      const parent = await createRun(server);
      const child = await createRun(server, { parent_run_id: parent.run_id });
      const stranger = await createRun(server);
      const parentToken = await writerToken(server, parent.run_id);
      const strangerToken = await writerToken(server, stranger.run_id);
      const exchange = (p: string, c: string, credential: string) =>
        server.request(
          "POST",
          `/runs/${p}/children/${c}/event-writer-token`,
          undefined,
          bearer(credential),
        );

      const notAChild = await exchange(parent.run_id, stranger.run_id, parentToken);
      assert.equal(notAChild.status, 404);
      assert.equal(notAChild.body.code, "not_found");
      assert.equal((await exchange(parent.run_id, "no-such-run", parentToken)).status, 404);
      assertForbidden(await exchange(parent.run_id, child.run_id, strangerToken));
      // A credential that may append to any run of the project may also hand out child tokens.
      assert.equal((await exchange(parent.run_id, child.run_id, server.key)).status, 200);
      const otherProject = await exchange(
        parent.run_id,
        child.run_id,
        await createOtherProject(server),
      );
      assert.equal(otherProject.status, 404);
      const readOnly = await createKey(server, ["agent-runs:read"]);
      assertForbidden(await exchange(parent.run_id, child.run_id, readOnly.key));
    });
  },
  { RUNLINE_RUN_EVENT_TOKEN_TTL_S: String(TTL_SECONDS) },
);
