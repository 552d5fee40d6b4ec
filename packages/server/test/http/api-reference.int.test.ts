/**
 * The API as documents describe it (issue 21): 405 with `Allow` for a known path and a wrong
 * method (CORS preflights unaffected), and an OpenAPI document that code generators and
 * `@redocly/cli lint` accept — on every store.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PROBLEM_CODES } from "@runline/contract";
import { routeCatalogue } from "../../src/auth/route-catalogue.ts";
import { describeEachStore, startTestServer, type TestServer } from "../helpers/server.ts";
import { storeTargets } from "../helpers/stores.ts";

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"];
const API_MD = fileURLToPath(new URL("../../../../docs/api.md", import.meta.url));
const REDOCLY = fileURLToPath(new URL("../../../../node_modules/.bin/redocly", import.meta.url));

/** A concrete path for a route pattern: every parameter a plausible value, `*` a file name. */
function concrete(url: string): string {
  return url
    .replace(/:conversation_id/g, "0193b6a2-7c4e-7d3e-9a41-6f1e2d3c4b5a")
    .replace(/:[a-z_]+/g, "x1")
    .replace(/\*$/, "index.html");
}

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is inspected member by member
type Json = any;

describeEachStore("wrong methods and the OpenAPI document", (server) => {
  test("a known path asked with a method it does not take answers 405 method_not_allowed with Allow listing its methods, before authentication", async () => {
    const cases: Array<[string, string, string]> = [
      ["DELETE", "/runs", "GET, HEAD, POST"],
      ["PUT", "/runs/abc", "DELETE, GET, HEAD"],
      ["GET", "/runs/abc/complete", "POST"],
      ["PATCH", "/conversations/x/runs/y/events", "GET, HEAD, POST"],
      ["POST", "/healthz", "GET, HEAD"],
      ["POST", "/projects/current/settings", "GET, HEAD, PUT"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await server().request(method, path, undefined, { authorization: "" });
      assert.equal(response.status, 405, `${method} ${path}`);
      assert.equal(response.headers.get("allow"), allow, `${method} ${path}`);
      assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
      assert.equal(response.body.code, "method_not_allowed");
      assert.equal(response.body.status, 405);
      assert.deepEqual(response.body.allowed_methods, allow.split(", "));
    }
    const unknown = await server().request("DELETE", "/no/such/path");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, "not_found");
  });

  test("every registered route, asked with each method it does not take, answers 405 with an Allow that includes the route's own method", async () => {
    const routes = routeCatalogue(server().server.app).filter((r) => r.url !== "*");
    const byUrl = new Map<string, Set<string>>();
    for (const { method, url } of routes) {
      byUrl.set(url, (byUrl.get(url) ?? new Set()).add(method));
    }
    let checked = 0;
    for (const [url, methods] of byUrl) {
      const path = concrete(url);
      for (const method of METHODS.filter((m) => !methods.has(m))) {
        const response = await server().request(method, path);
        // Another pattern may own this concrete path for that method (`…/children-by-…`).
        if (response.status !== 405) continue;
        const allow = (response.headers.get("allow") ?? "").split(", ");
        for (const own of methods) assert.ok(allow.includes(own), `${method} ${url}: ${allow}`);
        checked++;
      }
    }
    assert.ok(checked > 100, `checked ${checked}`);
  });

  test("every documented operation has a unique camelCase operationId, a summary, described responses and its problem answers as application/problem+json Problems", async () => {
    const doc: Json = (await server().request("GET", "/openapi.json")).body;
    const ids = new Set<string>();
    let operations = 0;
    for (const [path, ops] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(ops)) {
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        assert.match(op.operationId ?? "", /^[a-z][A-Za-z]+$/, where);
        assert.ok(!ids.has(op.operationId), `${where}: ${op.operationId} twice`);
        ids.add(op.operationId);
        assert.ok(op.summary, `${where}: no summary`);
        const statuses = Object.keys(op.responses);
        assert.ok(
          statuses.some((s) => s.startsWith("4")),
          `${where}: no 4xx`,
        );
        for (const [status, response] of Object.entries<Json>(op.responses)) {
          assert.notEqual(response.description, "Default Response", `${where} ${status}`);
          if (Number(status) >= 400) {
            const ref = response.content["application/problem+json"].schema.$ref;
            assert.match(ref, /^#\/components\/schemas\/(Problem|RunDeletedProblem)$/, where);
          }
        }
      }
    }
    assert.ok(operations >= 60, `${operations} operations`);
    assert.deepEqual(
      doc.components.schemas.Problem.properties.code.enum,
      Object.keys(PROBLEM_CODES),
    );
    for (const name of ["AgentRun", "RunSummary", "PageInfo", "LoggedEvent", "AgUiEvent"]) {
      assert.ok(doc.components.schemas[name], `components.schemas.${name}`);
    }
  });

  test("docs/api.md names every operation of the OpenAPI document by its operationId", async () => {
    const doc: Json = (await server().request("GET", "/openapi.json")).body;
    const reference = await readFile(API_MD, "utf8");
    for (const [path, ops] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(ops)) {
        assert.ok(
          reference.includes(`\`${op.operationId}\``),
          `${method.toUpperCase()} ${path} (${op.operationId}) in docs/api.md`,
        );
      }
    }
  });

  test("stream operations answer text/event-stream and take Last-Event-ID; AG-UI events are typed {type} plus any member", async () => {
    const doc: Json = (await server().request("GET", "/openapi.json")).body;
    const stream = doc.paths["/conversations/{conversation_id}/runs/{run_id}/stream"].get;
    assert.ok(stream.responses["200"].content["text/event-stream"]);
    assert.ok(stream.parameters.some((p: Json) => p.in === "header" && p.name === "Last-Event-ID"));
    const event = doc.components.schemas.AgUiEvent;
    assert.deepEqual(event.required, ["type"]);
    assert.equal(event.additionalProperties, true);
    const eventRef = { $ref: "#/components/schemas/AgUiEvent" };
    assert.deepEqual(doc.components.schemas.LoggedEvent.properties.event, eventRef);
    const append = doc.paths["/runs/{run_id}/events"].post;
    const body = append.requestBody.content["application/json"].schema;
    assert.deepEqual(body.properties.events.items, eventRef);
  });

  test("@redocly/cli lint finds no error in /openapi.json", async () => {
    const doc = (await server().request("GET", "/openapi.json")).text;
    const dir = await mkdtemp(join(tmpdir(), "runline-openapi-"));
    try {
      const file = join(dir, "openapi.json");
      await writeFile(file, doc);
      const { stdout, stderr } = await promisify(execFile)(REDOCLY, [
        "lint",
        file,
        "--format=summary",
      ]).catch((error: { stdout: string; stderr: string }) => {
        assert.fail(`redocly lint failed:\n${error.stdout}\n${error.stderr}`);
      });
      assert.doesNotMatch(`${stdout}\n${stderr}`, /^error /m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("/docs is titled and marked as Runline's and keeps its Content-Security-Policy", async () => {
    const page = await server().request("GET", "/docs/", undefined, { authorization: "" });
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>Runline API<\/title>/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const css = await server().request("GET", "/docs/static/theme/runline.css");
    assert.equal(css.status, 200);
    assert.match(css.text, /\.swagger-ui \.topbar/);
    const init = await server().request("GET", "/docs/static/swagger-initializer.js");
    assert.match(init.text, /data:image\/svg\+xml;base64,/);
  });
});

describe("wrong methods when RUNLINE_CORS_ORIGINS is set", () => {
  const target = storeTargets()[0]!;
  let server: TestServer;
  before(async () => {
    server = await startTestServer(target.kind, { RUNLINE_CORS_ORIGINS: "http://localhost:5999" });
  });
  after(() => server.close());

  test("a CORS preflight still gets 204 from the CORS plugin, and a wrong method still 405", async () => {
    const preflight = await fetch(`${server.url}/runs/abc/events`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5999", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "http://localhost:5999");
    const wrong = await server.request("PUT", "/runs/abc/events");
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET, HEAD, POST");
  });
});
