/** Scope rules: what a JWT's claims grant, what a route lets through, how callers are named. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type AuthContext,
  credentialKey,
  DEFAULT_KEY_SCOPES,
  SCOPES,
  type Scope,
} from "../../src/auth/auth-context.ts";
import { authorize } from "../../src/auth/authorize.ts";
import { scopesOf } from "../../src/auth/user-jwts.ts";
import { ProblemError } from "../../src/errors.ts";

const sorted = (scopes: Iterable<Scope>) => [...scopes].sort();

test("a JWT without scope claims gets every scope but admin", () => {
  assert.deepEqual(sorted(scopesOf({ sub: "u" })), sorted(DEFAULT_KEY_SCOPES));
  assert.ok(!scopesOf({}).has("admin"));
  assert.deepEqual(sorted(scopesOf({ scope: null })), sorted(DEFAULT_KEY_SCOPES));
});

test("a JWT's scope claim (space-separated) grants exactly the Runline scopes it names", () => {
  assert.deepEqual(sorted(scopesOf({ scope: "openid agent-runs:read  runs:write" })), [
    "agent-runs:read",
    "runs:write",
  ]);
  assert.deepEqual(sorted(scopesOf({ scope: "openid email" })), []);
  assert.deepEqual(sorted(scopesOf({ scope: "" })), []);
});

test("a JWT's scopes claim may be an array or a string; both claims add up", () => {
  assert.deepEqual(sorted(scopesOf({ scopes: ["admin", "bogus", 7] })), ["admin"]);
  assert.deepEqual(sorted(scopesOf({ scopes: "workers" })), ["workers"]);
  assert.deepEqual(sorted(scopesOf({ scope: "workers", scopes: ["admin"] })), ["admin", "workers"]);
  assert.deepEqual(sorted(scopesOf({ scopes: { admin: true } })), []);
});

const context = (principal: AuthContext["principal"], scopes: readonly Scope[]): AuthContext => ({
  projectId: "p1",
  userId: null,
  scopes: new Set(scopes),
  principal,
});

function refusal(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ProblemError);
    return error.status;
  }
}

test("authorize lets a credential through only with the route's scope", () => {
  const key = context({ kind: "api_key", keyId: "k" }, ["agent-runs:read"]);
  assert.equal(
    refusal(() => authorize(key, { scope: "agent-runs:read" }, {})),
    undefined,
  );
  assert.equal(
    refusal(() => authorize(key, { scope: "runs:write" }, {})),
    403,
  );
});

test("authorize refuses every credential on a route that declares no scope (fail closed)", () => {
  const admin = context({ kind: "api_key", keyId: "k" }, SCOPES);
  assert.equal(
    refusal(() => authorize(admin, {}, {})),
    403,
  );
});

test("authorize lets a writer token act only on the run its path names", () => {
  const writer = context({ kind: "run_writer", runId: "r1" }, ["agent-runs:events:append"]);
  const route = { scope: "agent-runs:events:append" as const };
  assert.equal(
    refusal(() => authorize(writer, route, { run_id: "r1" })),
    undefined,
  );
  assert.equal(
    refusal(() => authorize(writer, route, { run_id: "r2" })),
    403,
  );
  assert.equal(
    refusal(() => authorize(writer, route, {})),
    403,
  );
  assert.equal(
    refusal(() => authorize(writer, route, undefined)),
    403,
  );
  // An API key with the same scope is not bound to one run.
  const key = context({ kind: "api_key", keyId: "k" }, ["agent-runs:events:append"]);
  assert.equal(
    refusal(() => authorize(key, route, { run_id: "r2" })),
    undefined,
  );
});

test("credential keys name the credential, distinctly per kind, and never hold a secret", () => {
  const keys = [
    credentialKey(context({ kind: "api_key", keyId: "k1" }, [])),
    credentialKey(context({ kind: "jwt", subject: "k1" }, [])),
    credentialKey(context({ kind: "run_writer", runId: "k1" }, [])),
    credentialKey(context({ kind: "worker", workerId: "k1" }, [])),
  ];
  assert.equal(new Set(keys).size, keys.length);
  assert.equal(
    credentialKey({ ...context({ kind: "jwt", subject: "u" }, []), projectId: "a" }) ===
      credentialKey({ ...context({ kind: "jwt", subject: "u" }, []), projectId: "b" }),
    false,
    "the same sub in two projects is two callers",
  );
});
