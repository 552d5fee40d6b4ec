/**
 * Every route of the app × every kind of credential: each route is enumerated from the Fastify
 * instance itself (so a route added later cannot escape), and each refused request must leave
 * the project's state exactly as it was.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, test } from "node:test";
import { SCOPES, type Scope } from "../../src/auth/auth-context.ts";
import { type RouteEntry, routeCatalogue } from "../../src/auth/route-catalogue.ts";
import {
  bearer,
  bootstrapProjectId,
  createKey,
  JWT_ENV,
  textEvents,
  userJwt,
  writerToken,
} from "../auth/fixtures.ts";
import {
  createOtherProject,
  createRun,
  describeEachStore,
  type TestServer,
} from "../helpers/server.ts";

/**
 * The only routes allowed to be public: the contract's five, and the inspector's static files
 * (`/ui`: the page holds no data; it sends the user's key on every API call). Making another
 * route public means adding it here, on purpose.
 */
const PUBLIC_PATHS = [
  /^\/healthz$/,
  /^\/readyz$/,
  /^\/metrics$/,
  /^\/openapi\.json$/,
  /^\/docs($|\/)/,
  /^\/ui($|\/)/,
];

type Expectation = "unauthenticated" | "forbidden" | "invisible" | "accepted";

interface Row {
  name: string;
  headers: (route: RouteEntry) => Record<string, string>;
  expect: Expectation;
}

interface Fixture {
  projectId: string;
  runId: string;
  conversationId: string;
  childRunId: string;
  spareKeyId: string;
  rows: Row[];
}

async function setUp(server: TestServer): Promise<Fixture> {
  const projectId = await bootstrapProjectId(server);
  const run = await createRun(server);
  const child = await createRun(server, { parent_run_id: run.run_id });
  const otherRun = await createRun(server);
  const appended = await server.request("POST", `/runs/${run.run_id}/events`, {
    events: textEvents("m1"),
  });
  assert.equal(appended.status, 200);

  const revoked = await createKey(server);
  assert.equal((await server.request("DELETE", `/api-keys/${revoked.id}`)).status, 204);
  const spare = await createKey(server, ["agent-runs:read"], "spare");
  const otherProjectKey = await createOtherProject(server);
  const otherRunWriter = await writerToken(server, otherRun.run_id);
  const withoutScope = new Map<Scope, string>();
  for (const scope of SCOPES) {
    withoutScope.set(
      scope,
      (
        await createKey(
          server,
          SCOPES.filter((s) => s !== scope),
        )
      ).key,
    );
  }
  const claims = { sub: "user-1", project_id: projectId };
  const expiredJwt = await userJwt(claims, { expiresIn: -3600 });
  const wrongAudienceJwt = await userJwt(claims, { audience: "someone-else" });
  const validJwt = await userJwt({ ...claims, scope: SCOPES.join(" ") });

  const rows: Row[] = [
    { name: "no credential", headers: () => ({}), expect: "unauthenticated" },
    {
      name: "bad key (right prefix, wrong secret)",
      headers: () =>
        bearer(`${server.key.slice(0, server.key.lastIndexOf("_"))}_${"x".repeat(32)}`),
      expect: "unauthenticated",
    },
    {
      name: "unknown key",
      headers: () => ({ "x-api-key": `vf_nosuchkey_${"y".repeat(32)}` }),
      expect: "unauthenticated",
    },
    { name: "revoked key", headers: () => bearer(revoked.key), expect: "unauthenticated" },
    { name: "expired JWT", headers: () => bearer(expiredJwt), expect: "unauthenticated" },
    {
      name: "JWT for another audience",
      headers: () => bearer(wrongAudienceJwt),
      expect: "unauthenticated",
    },
    { name: "garbage bearer", headers: () => bearer("not-a-jwt"), expect: "unauthenticated" },
    {
      name: "other project's admin key",
      headers: () => bearer(otherProjectKey),
      expect: "invisible",
    },
    {
      name: "key without the route's scope",
      headers: (route) => bearer(withoutScope.get(route.policy.scope!)!),
      expect: "forbidden",
    },
    {
      name: "writer token of another run",
      headers: () => bearer(otherRunWriter),
      expect: "forbidden",
    },
    { name: "JWT with every scope", headers: () => bearer(validJwt), expect: "accepted" },
  ];
  return {
    projectId,
    runId: run.run_id,
    conversationId: run.conversation_id,
    childRunId: child.run_id,
    spareKeyId: spare.id,
    rows,
  };
}

/** The route's URL with its parameters pointing at the fixture's resources. */
function urlFor(route: RouteEntry, f: Fixture): string {
  const values: Record<string, string> = {
    run_id: f.runId,
    conversation_id: f.conversationId,
    child_run_id: f.childRunId,
    id: f.spareKeyId,
    project_reference: f.projectId,
  };
  return route.url.replace(/:([A-Za-z_]+)/g, (_m, name: string) => values[name] ?? randomUUID());
}

/** Everything of the project a request could change, read straight from the store. */
async function projectState(server: TestServer, f: Fixture) {
  const store = server.server.store;
  const runs = await store.listRuns({ project_id: f.projectId }, { order: "asc", limit: 1000 });
  const logs = await Promise.all(runs.map((r) => store.readEvents(r.pk, 0, 10_000)));
  const keys = (await store.listApiKeys(f.projectId)).map(({ last_used_at: _, ...k }) => k);
  const conversation = await store.getConversation(f.projectId, f.conversationId);
  return { runs, logs, keys, conversation };
}

/**
 * Values only this project's own data contains (ids and creation times the server chose), so
 * a response that carries none of them shows nothing of the project. (Run and conversation ids
 * are not among them: they are named by the request's path, and another project may own a run
 * of the same id.)
 */
function fingerprints(state: Awaited<ReturnType<typeof projectState>>, f: Fixture): string[] {
  return [
    f.projectId,
    ...state.runs.flatMap((r) => [r.message_id, r.created_at]),
    ...state.keys.flatMap((k) => [k.id, `"${k.prefix}"`]),
  ];
}

async function call(
  server: TestServer,
  method: string,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const hasBody = method !== "GET" && method !== "HEAD" && method !== "DELETE";
  const response = await fetch(server.url + url, {
    method,
    headers: { ...headers, ...(hasBody && { "content-type": "application/json" }) },
    ...(hasBody && { body: JSON.stringify({ events: textEvents(`m-${randomUUID()}`) }) }),
    signal: AbortSignal.timeout(10_000),
  });
  // Streams (SSE) never end on their own: the status and headers are all this test needs.
  const isJson = /json/.test(response.headers.get("content-type") ?? "");
  const body = isJson && method !== "HEAD" ? await response.json() : await response.body?.cancel();
  return { status: response.status, headers: response.headers, body };
}

function check(
  route: RouteEntry,
  row: Row,
  result: Awaited<ReturnType<typeof call>>,
  ours: readonly string[],
): void {
  const where = `${route.method} ${route.url} with ${row.name}: got ${result.status} ${JSON.stringify(result.body)}`;
  const problem = result.body as { code?: string } | undefined;
  switch (row.expect) {
    case "unauthenticated":
      assert.equal(result.status, 401, where);
      assert.equal(result.headers.get("www-authenticate"), "Bearer", where);
      if (route.method !== "HEAD") assert.equal(problem?.code, "unauthenticated", where);
      return;
    case "forbidden":
      assert.equal(result.status, 403, where);
      if (route.method !== "HEAD") assert.equal(problem?.code, "forbidden", where);
      return;
    case "invisible":
      // Another project's credential is valid, but nothing of this project shows through.
      assert.ok(![401, 403].includes(result.status) && result.status < 500, where);
      for (const value of ours) {
        assert.ok(!JSON.stringify(result.body ?? null).includes(value), `${where} shows ${value}`);
      }
      return;
    case "accepted":
      assert.ok(![401, 403].includes(result.status) && result.status < 500, where);
  }
}

describeEachStore(
  "every route declares its scope and refuses every wrong credential",
  (get) => {
    let routes: RouteEntry[];
    let f: Fixture;
    before(async () => {
      routes = routeCatalogue(get().server.app).filter((r) => r.method !== "OPTIONS");
      f = await setUp(get());
    });

    test("every route declares a scope or is one of the contract's public routes", () => {
      assert.ok(routes.some((r) => r.method === "POST" && r.url === "/runs/:run_id/events"));
      assert.ok(routes.some((r) => r.url === "/api-keys/:id"));
      for (const route of routes) {
        const where = `${route.method} ${route.url}`;
        if (route.policy.public) {
          assert.ok(
            PUBLIC_PATHS.some((p) => p.test(route.url)),
            `${where} must not be public`,
          );
        } else {
          assert.ok(route.policy.scope, `${where} declares no scope`);
        }
      }
    });

    test("public routes answer without a credential", async () => {
      for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json"]) {
        const result = await call(get(), "GET", path, {});
        assert.equal(result.status, 200, path);
      }
    });

    test("refused credentials get 401/403/404 on every route and change nothing", async () => {
      const server = get();
      const guarded = routes.filter((r) => !r.policy.public);
      for (const route of guarded) {
        const url = urlFor(route, f);
        const before = await projectState(server, f);
        const ours = fingerprints(before, f).filter((v) => !url.includes(v));
        for (const row of f.rows.filter((r) => r.expect !== "accepted")) {
          check(route, row, await call(server, route.method, url, row.headers(route)), ours);
        }
        assert.deepEqual(
          await projectState(server, f),
          before,
          `${route.method} ${route.url} changed state`,
        );
      }
    });

    test("a credential with every scope gets past authentication on every route", async () => {
      const server = get();
      const row = f.rows.find((r) => r.expect === "accepted")!;
      for (const route of routes.filter((r) => !r.policy.public)) {
        const result = await call(server, route.method, urlFor(route, f), row.headers(route));
        check(route, row, result, []);
      }
    });
  },
  JWT_ENV,
);
