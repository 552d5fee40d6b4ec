/**
 * Promise: nothing a client sends causes a 5xx or a crash, every refusal is problem JSON, and
 * a refused request changes nothing (docs/api.md §3; architecture: "bad input gets a clear 4xx
 * error and changes nothing").
 *
 * Every route the app serves (read from its route tree, so new routes are covered as they
 * land) gets random and mutated requests: valid bodies with a field deleted, retyped or made
 * nasty (huge numbers, unicode, lone surrogates, NUL, prototype-pollution keys, long strings,
 * deep nesting), random JSON, raw byte strings (truncated, BOM, invalid UTF-8, duplicate keys,
 * 1e999), wrong content types, bad credentials and headers, bad path parameters and query
 * parameters (limits, cursors, ids). Before and after each refused write, the state visible
 * through the API (fixture runs with their logs, the conversation, the newest runs) is compared.
 *
 * A second test sends gigantic and deeply nested bodies (100k levels, past the 10 MiB limit,
 * lying Content-Lengths, a stream that never ends) to a spawned server and checks it answers
 * 4xx, stays up and keeps its peak memory bounded.
 *
 * Size: 20 cases per route per store (× RELIABILITY_SCALE); RELIABILITY_SEED replays.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { BOOTSTRAP_KEY, startTestServer, type TestServer } from "../helpers/server.ts";
import { storeTargets } from "../helpers/stores.ts";
import { ClosedByServer, Hung, type RawResponse, send, sendBytes } from "./harness/raw-http.ts";
import { type RouteInfo, routesOf } from "./harness/routes.ts";
import { PROCESS_KEY, RunlineProcess } from "./harness/runline-process.ts";
import { Rng, SEED, scaled } from "./harness/scale.ts";
import { processStorage } from "./harness/storage.ts";

type Json = Record<string, unknown>;

// ── Fixtures: a conversation with runs in every state ──────────────────────────────────────

interface Fixtures {
  conversationId: string;
  runIds: string[];
  /** A webhook of the project (docs/api.md §10), for `/webhooks/:id…` routes. */
  webhookId: string;
}

async function buildFixtures(server: TestServer): Promise<Fixtures> {
  const conversationId = randomUUID();
  const ok = async (method: string, path: string, body?: unknown) => {
    const response = await server.request(method, path, body);
    if (response.status >= 300) throw new Error(`fixture ${method} ${path}: ${response.text}`);
    return response.body;
  };
  await ok("POST", "/conversations", { id: conversationId, metadata: { fixture: true } });
  const create = async (extra: Json = {}, request: Json = {}) =>
    (
      await ok("POST", "/runs", {
        kind: "agent",
        owner: { kind: "conversation", id: conversationId },
        request: { agent_id: "fuzz", ...request },
        ...extra,
      })
    ).run.run_id as string;
  const pending = await create();
  const running = await create({}, { initial_status: "running" });
  await ok("POST", `/runs/${running}/events`, {
    events: [
      { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" },
      { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "hello" },
    ],
    expected_previous_event_id: 1,
  });
  const waiting = await create({}, { initial_status: "running" });
  await ok("POST", `/conversations/${conversationId}/runs/${waiting}/wait`, {
    tool_call_id: "tc-fixture",
  });
  const done = await create();
  await ok("POST", `/runs/${done}/complete`, { status: "completed" });
  const child = await create({ parent_run_id: running, trigger: { tool_call_id: "tc-child" } });
  // A public documentation address, subscribed to what the fuzz never makes: nothing is sent.
  const webhook = await ok("POST", "/webhooks", {
    url: "https://203.0.113.9/fuzz",
    events: ["interrupt.opened"],
  });
  return {
    conversationId,
    runIds: [pending, running, waiting, done, child],
    webhookId: webhook.id as string,
  };
}

/** The state a client can see of the fixtures and the newest runs, as one string. */
async function snapshot(server: TestServer, fx: Fixtures): Promise<string> {
  const parts: unknown[] = [];
  const read = async (path: string) => {
    const response = await server.request("GET", path);
    parts.push(path, response.status, response.body);
  };
  await read("/runs?limit=10");
  await read(`/conversations/${fx.conversationId}`);
  await read(`/conversations/${fx.conversationId}/runs?limit=100`);
  await read("/webhooks");
  for (const runId of fx.runIds) await read(`/runs/${runId}/events?limit=500`);
  const keys = await server.request("GET", "/api-keys");
  if (keys.status === 200) {
    // last_used_at is advisory and written on use, refused requests included (documented).
    const data = (keys.body?.data ?? []) as Json[];
    parts.push(data.map(({ last_used_at: _used, ...rest }) => rest));
  }
  return JSON.stringify(parts);
}

// ── Case generation ────────────────────────────────────────────────────────────────────────

const NASTY: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0,
  1e308,
  -1e308,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER,
  "",
  " ",
  "x".repeat(5000),
  "🚀é\u0000\u202e\u200b",
  "\ud800",
  "\udfff\ud800",
  [],
  {},
  [[[[[]]]]],
  JSON.parse('{"__proto__":{"polluted":1}}'),
  JSON.parse('{"constructor":{"prototype":{"polluted":1}}}'),
  "' OR 1=1 --",
  "../../etc/passwd",
  { $gt: "" },
  "1",
  "null",
  new Array(300).fill(1),
  Array.from({ length: 5 }, (_, i) => ({ type: "CUSTOM", name: `n${i}`, value: i })),
  { type: "RUN_FINISHED", threadId: "t", runId: "r" },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "" },
];

const nested = (depth: number, open: string, close: string, inner = "1") =>
  open.repeat(depth) + inner + close.repeat(depth);

const RAW_BODIES: (string | Buffer)[] = [
  '{"events":[{"type":"CUSTOM","name":"x","value":1}],"expected_previous_event_id":1e999}',
  '{"events":[{"type":"CUSTOM","name":"x","value":1}],"expected_previous_event_id":-0}',
  '{"events":[{"type":"CUSTOM","name":"x","value":1}],"expected_previous_event_id":9007199254740993}',
  '{"events":[{"type":"CUSTOM","name":"x","value":1}],"expected_previous_external_event_sequence":1.0}',
  '{"events":[{"type":"CUSTOM","name":"x","value":1}],"events":[]}',
  '{"status":"completed","status":"nope"}',
  '{"a":',
  "{} trailing",
  "\ufeff{}",
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  "null",
  '"string"',
  "123",
  "[]",
  "   ",
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  `{"events":[{"type":"CUSTOM","name":"x","value":${nested(1000, "[", "]", "")}}]}`,
  `{"events":[{"type":"CUSTOM","name":"x","value":${nested(100_000, "[", "]", "")}}]}`,
  `{"metadata":{"x":${nested(100_000, '{"a":', "}")}}}`,
  nested(100_000, "[", "]", ""),
  `{"a":"${"x".repeat(1 << 20)}"}`,
  `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i}`).join(",")}}`,
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]),
  Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
];

const CONTENT_TYPES = [
  "application/json; charset=utf-8",
  "application/json;charset=UTF-16",
  "APPLICATION/JSON",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=----x",
  "application/merge-patch+json",
  "application/problem+json",
  "application/xml",
  "application/jsonx",
  "application/json, text/plain",
  "*/*",
];

const AUTH_VARIANTS: Record<string, string>[] = [
  {},
  { authorization: "Bearer" },
  { authorization: "Bearer " },
  { authorization: "Basic dXNlcjpwYXNz" },
  { authorization: "Bearer vf_nope_0123456789abcdef0123" },
  { authorization: "Bearer vf_testadmin_wrongsecretwrongsecret" },
  { authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwicHJvamVjdF9pZCI6IngifQ." },
  { authorization: "Bearer a.b.c" },
  { authorization: `Bearer ${"a".repeat(8000)}` },
  { "x-api-key": "nope" },
  { "x-api-key": "vf_" },
  { "x-api-key": `vf_${"z".repeat(40)}_${"y".repeat(40)}` },
];

const QUERY_VALUES: Record<string, string[]> = {
  limit: [
    "0",
    "-1",
    "1",
    "100",
    "101",
    "500",
    "501",
    "abc",
    "1e3",
    "1.5",
    "99999999999999999999999",
    "",
    "0x10",
    " 5",
    // The probe's lenient integers (issue 16 finding 11): all 400 now, on every route.
    "1e2",
    "5.0",
    "+5",
    "5 ",
  ],
  after_event_id: [
    "-1",
    "0",
    "1",
    "1e400",
    "abc",
    "9007199254740993",
    "1.5",
    "",
    "NaN",
    "1e3",
    "0x10",
    "+1",
  ],
  cursor: ["", "x", "a".repeat(600), "eyJ9", "%00", "MTIz", "bm90LWEtY3Vyc29y.c2ln", "..", "🚀"],
  status: ["waiting", "nope", "", "running", "RUNNING"],
  agent_id: ["", "a".repeat(200), "🚀"],
  conversation_id: ["nope", randomUUID(), ""],
  spawned_from_tool_call_id: ["", "a".repeat(300), "tc-child"],
  x: ["1", ""],
};

/** A valid body for a route, by what its path ends with (unknown routes get `{}`). */
function template(path: string, fx: Fixtures): Json {
  if (path === "/runs") {
    return {
      kind: "agent",
      owner: { kind: "conversation", id: fx.conversationId },
      request: {
        agent_id: "fuzz",
        mode: "fast",
        source_target_kind: "environment",
        source_target_environment_id: "env-1",
        runtime_target_kind: "preview_branch",
        runtime_target_branch_id: "branch-1",
        implementation_kind: "impl",
        worker_key: "wk",
        metadata: { a: 1 },
      },
      public_id: `fuzz-${randomUUID()}`,
      trigger: { message_id: "msg-1", tool_call_id: "tc-1" },
    };
  }
  if (path === "/conversations") return { id: randomUUID(), metadata: { a: 1 } };
  if (path === "/api-keys") return { name: "fuzz key", scopes: ["agent-runs:read"] };
  if (path === "/webhooks") {
    return { url: "https://203.0.113.9/fuzz", events: ["interrupt.opened"], description: "fuzz" };
  }
  if (path.endsWith("/events")) {
    return {
      events: [
        { type: "CUSTOM", name: "fuzz", value: { a: 1 } },
        { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "more" },
      ],
      expected_previous_event_id: 3,
    };
  }
  if (path.endsWith("/start")) return { agent_id: "fuzz", messages: [], model: "m" };
  if (path.endsWith("/complete")) {
    return {
      status: "failed",
      metadata: { usage: 1 },
      terminal_error_code: "oops",
      terminal_error_message: "it failed",
    };
  }
  if (path.endsWith("/cancel")) return { cascade: true };
  if (path.endsWith("/wait"))
    return { tool_call_id: "tc-fuzz", tool_name: "lookup", reason: "tool" };
  if (path.endsWith("/tool-result")) {
    return { toolCallId: "tc-fixture", result: { ok: true }, isError: false };
  }
  if (path.endsWith("/workers")) {
    return {
      implementation_kind: "impl",
      worker_key: "wk",
      display_name: "worker",
      implementation_display_name: "impl",
      metadata: { a: 1 },
    };
  }
  if (path.endsWith("/heartbeat")) return { status: "active", metadata: { a: 1 } };
  if (path.endsWith("/claim") || path.endsWith("/lease")) return { lease_duration_seconds: 30 };
  if (path.endsWith("/session")) return { session_key: "s1", status: "active", metadata: { a: 1 } };
  return {};
}

function mutate(value: Json, rng: Rng, randomJson: unknown[]): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  // Pick a container to mutate: the body itself, or a nested object/array in it.
  const containers: (Json | unknown[])[] = [copy];
  const walk = (v: unknown) => {
    if (v && typeof v === "object") {
      containers.push(v as Json);
      for (const child of Object.values(v)) walk(child);
    }
  };
  for (const child of Object.values(copy)) walk(child);
  const target = rng.pick(containers);
  const keys = Object.keys(target);
  const nasty = rng.chance(0.7) ? rng.pick(NASTY) : rng.pick(randomJson);
  switch (rng.int(0, 3)) {
    case 0:
      if (keys.length > 0) delete (target as Json)[rng.pick(keys)];
      break;
    case 1:
      if (keys.length > 0) (target as Json)[rng.pick(keys)] = nasty;
      break;
    case 2:
      (target as Json)[rng.pick(["extra", "__proto__", "constructor", "events", "status", "0"])] =
        nasty;
      break;
    case 3:
      return rng.chance(0.5) ? nasty : [copy, copy];
  }
  return copy;
}

interface FuzzCase {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

function fillPath(pattern: string, fx: Fixtures, rng: Rng, validChance = 0.75): string {
  const garbage = () =>
    rng.pick([
      "no-such-thing",
      randomUUID(),
      "a".repeat(rng.pick([129, 513, 2000])),
      encodeURIComponent("bad id!"),
      "%2e%2e",
      "%00",
      "%ZZ",
      encodeURIComponent("🚀\u0000é"),
      "..",
      "-",
    ]);
  return pattern
    .split("/")
    .map((segment) => {
      if (segment === "*") return rng.chance(0.5) ? "x" : "..%2f..%2fetc%2fpasswd";
      if (!segment.startsWith(":")) return segment;
      const valid = rng.chance(validChance);
      if (segment === ":conversation_id") return valid ? fx.conversationId : garbage();
      if (segment === ":run_id") return valid ? rng.pick(fx.runIds) : garbage();
      if (segment === ":id" && pattern.startsWith("/webhooks/")) {
        return valid ? fx.webhookId : garbage();
      }
      return valid ? randomUUID() : garbage();
    })
    .join("/");
}

function query(rng: Rng): string {
  if (rng.chance(0.5)) return "";
  const names = Object.keys(QUERY_VALUES);
  const parts: string[] = [];
  for (let i = rng.int(1, 3); i > 0; i--) {
    const name = rng.pick(names);
    const value = rng.pick(QUERY_VALUES[name] ?? [""]);
    parts.push(`${name}=${encodeURIComponent(value)}`);
    if (rng.chance(0.1)) parts.push(`${name}=${encodeURIComponent(value)}`);
  }
  return `?${parts.join("&")}`;
}

function fuzzCase(route: RouteInfo, fx: Fixtures, rng: Rng, randomJson: unknown[]): FuzzCase {
  const method = rng.chance(0.06)
    ? rng.pick(["PUT", "PATCH", "DELETE", "OPTIONS", "GET", "POST"])
    : route.method;
  const path = fillPath(route.path, fx, rng) + query(rng);
  const headers: Record<string, string> = rng.chance(0.85)
    ? rng.chance(0.5)
      ? { authorization: `Bearer ${BOOTSTRAP_KEY}` }
      : { "x-api-key": BOOTSTRAP_KEY }
    : { ...rng.pick(AUTH_VARIANTS) };
  if (rng.chance(0.1)) {
    headers["x-request-id"] = rng
      .pick(["", "a".repeat(5000), "ok-id", "semi;colon", "é"])
      .replace(/[^\x20-\x7e]/g, "?");
  }
  if (rng.chance(0.05)) headers.accept = "text/event-stream";
  let body: string | Buffer | undefined;
  let label: string;
  const writes = !["GET", "HEAD", "OPTIONS"].includes(method);
  const roll = rng.next();
  if (!writes && roll < 0.85) {
    label = "no body";
  } else if (roll < 0.1) {
    body = JSON.stringify(template(route.path, fx));
    label = "valid template";
  } else if (roll < 0.5) {
    body = JSON.stringify(mutate(template(route.path, fx), rng, randomJson)) ?? "null";
    label = "mutated template";
  } else if (roll < 0.7) {
    body = JSON.stringify(rng.pick(randomJson)) ?? "null";
    label = "random JSON";
  } else if (roll < 0.95) {
    body = rng.pick(RAW_BODIES);
    label = "raw bytes";
  } else {
    body = "";
    label = "empty body";
  }
  if (body !== undefined) {
    headers["content-type"] = rng.chance(0.8) ? "application/json" : rng.pick(CONTENT_TYPES);
  } else if (rng.chance(0.3)) {
    headers["content-type"] = "application/json"; // clients send it on GETs too
  }
  return { label, method, path, headers, body };
}

// ── Checks ─────────────────────────────────────────────────────────────────────────────────

const LEAK = /\n\s+at |node_modules|\.ts:\d+|SQLITE_|syntax error at or near|duplicate key value/;

/** What is wrong with a response, as [kind, detail] pairs (empty when nothing). */
function judge(c: FuzzCase, response: RawResponse): [string, string][] {
  const wrong: [string, string][] = [];
  const example = `${c.method} ${c.path.slice(0, 160)} [${c.label}] → ${response.status} ${response.text.slice(0, 240)}`;
  // The one 5xx that is a deployment state, not the request's doing: the inspector UI
  // answers 503 inspector_not_built until its assets are built (`npm install` builds them).
  const notBuilt =
    response.status === 503 && response.text.includes('"code":"inspector_not_built"');
  if (response.status >= 500 && !notBuilt) wrong.push([`answers ${response.status}`, example]);
  if (response.status >= 400 && c.method !== "HEAD") {
    const type = String(response.headers["content-type"] ?? "");
    let body: Json | undefined;
    try {
      body = JSON.parse(response.text) as Json;
    } catch {
      body = undefined;
    }
    if (!type.startsWith("application/problem+json") || !body) {
      const code = typeof body?.code === "string" ? ` (${body.code})` : "";
      wrong.push([`answers ${response.status} without problem JSON${code}`, example]);
    } else if (
      typeof body.code !== "string" ||
      body.status !== response.status ||
      typeof body.detail !== "string" ||
      typeof body.type !== "string" ||
      typeof body.title !== "string"
    ) {
      wrong.push([`answers ${response.status} with an incomplete problem`, example]);
    }
    if (response.status === 401 && response.headers["www-authenticate"] === undefined) {
      wrong.push(["answers 401 without WWW-Authenticate", example]);
    }
  }
  if (LEAK.test(response.text)) wrong.push(["leaks internals (stack, SQL, file names)", example]);
  return wrong;
}

/** Problems grouped by route and kind, with a count and the first example of each. */
class Findings {
  private readonly byKey = new Map<string, { count: number; example: string }>();

  add(route: RouteInfo, kind: string, example: string): void {
    const key = `${route.method} ${route.path}: ${kind}`;
    const entry = this.byKey.get(key);
    if (entry) entry.count++;
    else this.byKey.set(key, { count: 1, example });
  }

  get size(): number {
    return this.byKey.size;
  }

  /** One line per group: "<route>: <kind> ×<count> — e.g. <example>". */
  report(): string[] {
    return [...this.byKey.entries()].map(
      ([key, { count, example }]) => `${key} ×${count} — e.g. ${example}`,
    );
  }
}

interface FuzzFigures {
  routes: number;
  cases: number;
  statuses: Record<string, number>;
  fiveHundreds: number;
  targeted: number;
  /** Connections the server closed on a large body instead of answering (acceptable). */
  closed: number;
  refusedChecked: number;
  acceptedWrites: number;
  findings: Findings;
}

const AUTH = { authorization: `Bearer ${BOOTSTRAP_KEY}` };
const NUL = "a\u0000b";
const DEEP = 10_000;

/** Every string leaf of a JSON value, as a path of keys. */
function stringLeaves(value: unknown, path: string[] = []): string[][] {
  if (typeof value === "string") return [path];
  if (value && typeof value === "object") {
    return Object.entries(value as Json).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
  }
  return [];
}

/** Every object leaf (free-form JSON: metadata, values, results), as a path of keys. */
function objectLeaves(value: unknown, path: string[] = []): string[][] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  const inner = Object.entries(value as Json).flatMap(([k, v]) => objectLeaves(v, [...path, k]));
  return path.length > 0 ? [path, ...inner] : inner;
}

function withLeaf(value: Json, path: string[], leaf: unknown): Json {
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  let target: Json = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Json;
  target[path.at(-1)!] = leaf;
  return copy;
}

/**
 * Cases every route gets, whatever the seed: each path parameter as NUL, bad percent-encoding,
 * too long and non-ASCII; each string field of a valid body with a NUL; each free-form object
 * field nested 10k deep; each query parameter with a NUL.
 */
function targetedCases(route: RouteInfo, fx: Fixtures): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const segments = route.path.split("/");
  const valid = fillPath(route.path, fx, new Rng(1), 1);
  const writes = !["GET", "HEAD", "OPTIONS"].includes(route.method);
  const body = writes ? JSON.stringify(template(route.path, fx)) : undefined;
  const headers = { ...AUTH, ...(body !== undefined && { "content-type": "application/json" }) };
  for (const [index, segment] of segments.entries()) {
    if (!segment.startsWith(":")) continue;
    for (const bad of ["%00", "%ZZ", "a".repeat(600), "%F0%9F%9A%80%C3%A9"]) {
      const path = valid.split("/");
      path[index] = bad;
      cases.push({
        label: `${segment} = ${bad.slice(0, 12)}`,
        method: route.method,
        path: path.join("/"),
        headers,
        body,
      });
    }
  }
  if (writes) {
    const base = template(route.path, fx);
    for (const leaf of stringLeaves(base)) {
      cases.push({
        label: `${leaf.join(".")} with a NUL`,
        method: route.method,
        path: valid,
        headers,
        body: JSON.stringify(withLeaf(base, leaf, NUL)),
      });
    }
    for (const leaf of objectLeaves(base)) {
      const deep = JSON.stringify(withLeaf(base, leaf, "__DEEP__")).replace(
        '"__DEEP__"',
        nested(DEEP, "[", "]", ""),
      );
      cases.push({
        label: `${leaf.join(".")} nested ${DEEP} deep`,
        method: route.method,
        path: valid,
        headers,
        body: deep,
      });
    }
  } else {
    for (const name of Object.keys(QUERY_VALUES)) {
      cases.push({
        label: `?${name} with a NUL`,
        method: route.method,
        path: `${valid}?${name}=a%00b`,
        headers,
        body,
      });
    }
  }
  return cases;
}

async function fuzzRoutes(server: TestServer, rng: Rng, figures: FuzzFigures): Promise<void> {
  const routes = routesOf(server.server.app);
  figures.routes = routes.length;
  const randomJson = fc.sample(fc.jsonValue({ maxDepth: 4 }), { numRuns: 300, seed: rng.seed });
  const perRoute = scaled(12);
  for (const route of routes) {
    let fx = await buildFixtures(server);
    let before = await snapshot(server, fx);
    const targeted = targetedCases(route, fx);
    const total = targeted.length + perRoute;
    for (let i = 0; i < total; i++) {
      const c = targeted[i] ?? fuzzCase(route, fx, rng, randomJson);
      if (i < targeted.length) figures.targeted++;
      let response: RawResponse;
      try {
        response = await send(server.url, c.method, c.path, c.headers, c.body);
      } catch (error) {
        // Node may drop a connection whose large body nobody reads (a GET with 1 MiB, say):
        // a clean refusal as long as the server stays up (checked at the end).
        const size = c.body === undefined ? 0 : Buffer.byteLength(c.body);
        if (error instanceof ClosedByServer && size >= 64 * 1024) {
          figures.closed++;
          continue;
        }
        figures.findings.add(
          route,
          error instanceof Hung ? "never answers (hangs)" : "no answer (connection failed)",
          `${c.method} ${c.path.slice(0, 160)} [${c.label}]: ${String(error)}`,
        );
        if (error instanceof Hung) break; // reported once per route, not waited on again
        continue;
      }
      figures.cases++;
      const key = String(response.status);
      figures.statuses[key] = (figures.statuses[key] ?? 0) + 1;
      if (response.status >= 500 && !response.text.includes('"code":"inspector_not_built"')) {
        figures.fiveHundreds++;
      }
      for (const [kind, example] of judge(c, response)) figures.findings.add(route, kind, example);
      const writes = !["GET", "HEAD", "OPTIONS"].includes(c.method);
      if (response.status >= 400 && (writes || rng.chance(0.1))) {
        const after = await snapshot(server, fx);
        figures.refusedChecked++;
        if (after !== before) {
          figures.findings.add(
            route,
            "a refused request changed the state",
            `${c.method} ${c.path.slice(0, 160)} [${c.label}] → ${response.status} ${response.text.slice(0, 200)}`,
          );
          before = after;
        }
      } else if (response.status < 400 && writes) {
        figures.acceptedWrites++;
        fx = await buildFixtures(server); // the write may have ended or parked a fixture run
        before = await snapshot(server, fx);
      }
    }
  }
}

// ── Gigantic and deeply nested bodies, against a spawned server ────────────────────────────

interface BigCase {
  label: string;
  run: (server: RunlineProcess, runPath: string) => Promise<number | undefined>;
}

const json = { "content-type": "application/json", authorization: `Bearer ${PROCESS_KEY}` };

function bigCases(): BigCase[] {
  const post = (label: string, path: (runPath: string) => string, body: () => string | Buffer) => ({
    label,
    run: async (server: RunlineProcess, runPath: string) =>
      (await send(server.url, "POST", path(runPath), json, body())).status,
  });
  const deepArray = nested(100_000, "[", "]", "");
  const deepObject = nested(100_000, '{"a":', "}");
  return [
    // The probe's cases (issue 16): 9.5 MB of metadata, 20 KiB of headers (a 5 MB tool result:
    // test/http/limits.int.test.ts).
    post(
      "9.5 MB of run metadata",
      () => "/runs",
      () =>
        JSON.stringify({
          kind: "agent",
          owner: { kind: "conversation", id: randomUUID() },
          request: { agent_id: "big", metadata: { blob: "m".repeat(9_500_000) } },
        }),
    ),
    {
      label: "20 KiB of request headers",
      run: async (server: RunlineProcess) =>
        (await send(server.url, "GET", "/healthz", { "x-big": "h".repeat(20 * 1024) }, undefined))
          .status,
    },
    post(
      "100k nested arrays as the body",
      (p) => `${p}/events`,
      () => deepArray,
    ),
    post(
      "100k nested arrays as an event",
      (p) => `${p}/events`,
      () => `{"events":[${deepArray}]}`,
    ),
    post(
      "100k nested objects in a CUSTOM value",
      (p) => `${p}/events`,
      () => `{"events":[{"type":"CUSTOM","name":"x","value":${deepObject}}]}`,
    ),
    post(
      "100k nested arrays in run metadata",
      () => "/runs",
      () =>
        `{"kind":"agent","owner":{"kind":"conversation","id":"${randomUUID()}"},"request":{"agent_id":"a","metadata":{"x":${deepArray}}}}`,
    ),
    post(
      "100k nested arrays in a tool result",
      (p) => `${p}/tool-result`,
      () => `{"toolCallId":"t","result":${deepArray}}`,
    ),
    post(
      "11 MiB JSON string (over the 10 MiB limit)",
      (p) => `${p}/events`,
      () => `{"events":[{"type":"CUSTOM","name":"x","value":"${"x".repeat(11 * 1024 * 1024)}"}]}`,
    ),
    post(
      "10 MiB of '['",
      (p) => `${p}/events`,
      () => "[".repeat(10 * 1024 * 1024 - 16),
    ),
    post(
      "9.5 MiB of events (100 of 95 KiB)",
      (p) => `${p}/events`,
      () =>
        JSON.stringify({
          events: Array.from({ length: 100 }, (_, i) => ({
            type: "CUSTOM",
            name: `n${i}`,
            value: "v".repeat(95 * 1024),
          })),
        }),
    ),
    post(
      "one 300 KiB event",
      (p) => `${p}/events`,
      () =>
        JSON.stringify({
          events: [{ type: "CUSTOM", name: "big", value: "v".repeat(300 * 1024) }],
        }),
    ),
    {
      label: "Content-Length of 100 MiB, 10 bytes sent, then closed",
      run: async (server, runPath) =>
        (
          await sendBytes(
            server.port,
            Buffer.from(
              `POST ${runPath}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PROCESS_KEY}\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{"events":`,
            ),
          )
        ).status,
    },
    {
      label: "a chunked body that goes past the limit",
      run: async (server, runPath) => {
        const chunk = "x".repeat(1024 * 1024);
        const head = `POST ${runPath}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PROCESS_KEY}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
        const body = Array.from(
          { length: 12 },
          () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
        ).join("");
        return (await sendBytes(server.port, Buffer.from(`${head}${body}0\r\n\r\n`))).status;
      },
    },
    {
      label: "a non-numeric Content-Length",
      run: async (server, runPath) =>
        (
          await sendBytes(
            server.port,
            Buffer.from(
              `POST ${runPath}/events HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\nConnection: close\r\n\r\n{}`,
            ),
          )
        ).status,
    },
    {
      label: "a broken request line",
      run: async (server) => (await sendBytes(server.port, Buffer.from("GARBAGE\r\n\r\n"))).status,
    },
  ];
}

// ── Tests ──────────────────────────────────────────────────────────────────────────────────

describe("nothing a client sends causes a 5xx, and a refused request changes nothing", () => {
  for (const [index, target] of storeTargets().entries()) {
    test(`every route, random and mutated requests [${target.kind}]`, {
      skip: target.skip,
      timeout: 900_000,
    }, async (t) => {
      const seed = SEED + 100 + index;
      const server = await startTestServer(target.kind);
      const figures: FuzzFigures = {
        routes: 0,
        cases: 0,
        statuses: {},
        fiveHundreds: 0,
        targeted: 0,
        closed: 0,
        refusedChecked: 0,
        acceptedWrites: 0,
        findings: new Findings(),
      };
      try {
        await fuzzRoutes(server, new Rng(seed), figures);
        const alive = await server.request("GET", "/healthz");
        assert.equal(alive.status, 200, "the server is still up");
      } finally {
        await server.close();
      }
      t.diagnostic(
        `seed ${seed}; ${figures.routes} routes, ${figures.cases} fuzz cases (${figures.targeted} targeted); answers ${JSON.stringify(figures.statuses)}`,
      );
      t.diagnostic(
        `refused requests whose state was compared before/after: ${figures.refusedChecked}; accepted writes: ${figures.acceptedWrites}; connections closed on a large body: ${figures.closed}; 5xx seen: ${figures.fiveHundreds}`,
      );
      const report = figures.findings.report();
      for (const line of report) t.diagnostic(`FINDING ${line.slice(0, 600)}`);
      assert.deepEqual(report, [], `${report.length} kinds of problem (listed above)`);
    });

    test(`gigantic and deeply nested bodies are refused in bounded memory [${target.kind}]`, {
      skip: target.skip,
      timeout: 600_000,
    }, async (t) => {
      const storage = await processStorage(target.kind);
      const server = await RunlineProcess.start({ env: storage.env });
      const failures: string[] = [];
      const answers: string[] = [];
      let peak: number | undefined;
      try {
        const api = (method: string, path: string, body?: unknown) =>
          send(
            server.url,
            method,
            path,
            json,
            body === undefined ? undefined : JSON.stringify(body),
          );
        const created = await api("POST", "/runs", {
          kind: "agent",
          owner: { kind: "conversation", id: randomUUID() },
          request: { agent_id: "big", initial_status: "running" },
        });
        assert.equal(created.status, 202, created.text);
        const runId = (JSON.parse(created.text) as { run: { run_id: string } }).run.run_id;
        const runPath = `/runs/${runId}`;
        for (const big of bigCases()) {
          let status: number | undefined;
          try {
            status = await big.run(server, runPath);
          } catch (error) {
            // Closing the connection on an oversized upload is a clean refusal.
            if (!(error instanceof ClosedByServer)) {
              failures.push(`${big.label}: ${String(error)}`);
              continue;
            }
          }
          const peakSoFar = await server.peakRssMiB();
          answers.push(
            `${big.label}: ${status ?? "closed"} (peak RSS so far ${peakSoFar?.toFixed(0) ?? "?"} MiB)`,
          );
          if (status !== undefined && status >= 500)
            failures.push(`${big.label}: answered ${status}`);
          if (!server.running) {
            failures.push(`${big.label}: the server died: ${server.stderr.slice(-500)}`);
            break;
          }
        }
        const alive = await send(server.url, "GET", "/healthz", {}, undefined);
        assert.equal(alive.status, 200, "still serving");
        const after = await api("POST", `${runPath}/events`, {
          events: [{ type: "CUSTOM", name: "after", value: 1 }],
        });
        assert.equal(after.status, 200, `still appending: ${after.text.slice(0, 300)}`);
        peak = await server.peakRssMiB();
      } finally {
        await server.stop();
        await storage.dispose();
      }
      for (const answer of answers) t.diagnostic(answer);
      t.diagnostic(
        `peak resident memory of the server: ${peak?.toFixed(0) ?? "unknown"} MiB; unhandled errors logged: ${server.unhandledErrors}`,
      );
      assert.deepEqual(failures, []);
      assert.equal(server.unhandledErrors, 0, server.errorLogs.join("\n").slice(0, 2000));
      if (peak !== undefined) assert.ok(peak < 1024, `peak RSS ${peak} MiB stays under 1 GiB`);
    });
  }
});
