/**
 * Rate limiting (docs/api.md §3): per credential, not per IP; 429 problem JSON `rate_limited`
 * with `Retry-After`; public routes exempt; off by default.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import {
  bearer,
  bootstrapProjectId,
  createKey,
  JWT_ENV,
  secretOf,
  userJwt,
} from "../auth/fixtures.ts";
import { describeEachStore } from "../helpers/server.ts";

const LIMIT = 3;

describeEachStore(
  "rate limiting per credential",
  (get) => {
    test("a credential over its limit gets 429 rate_limited with Retry-After; others go on", async () => {
      const server = get();
      const [first, second] = [await createKey(server), await createKey(server)];
      for (let i = 0; i < LIMIT; i++) {
        const ok = await server.request("GET", "/runs", undefined, bearer(first.key));
        assert.equal(ok.status, 200);
        assert.equal(ok.headers.get("x-ratelimit-limit"), String(LIMIT));
      }
      const limited = await server.request("GET", "/runs", undefined, bearer(first.key));
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("content-type"), "application/problem+json; charset=utf-8");
      assert.equal(limited.body.code, "rate_limited");
      assert.equal(limited.body.status, 429);
      const retryAfter = Number(limited.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.ok(!limited.text.includes(secretOf(first.key)));

      // Same IP, another credential: its own budget.
      const other = await server.request("GET", "/runs", undefined, bearer(second.key));
      assert.equal(other.status, 200);
    });

    test("JWTs are counted per subject", async () => {
      const server = get();
      const projectId = await bootstrapProjectId(server);
      const aliceId = `alice-${randomUUID()}`;
      const alice = await userJwt({ sub: aliceId, project_id: projectId });
      const bob = await userJwt({ sub: `bob-${randomUUID()}`, project_id: projectId });
      for (let i = 0; i < LIMIT; i++) {
        assert.equal((await server.request("GET", "/runs", undefined, bearer(alice))).status, 200);
      }
      assert.equal((await server.request("GET", "/runs", undefined, bearer(alice))).status, 429);
      // A fresh token of the same subject shares the budget; another subject does not.
      const aliceAgain = await userJwt({ sub: aliceId, project_id: projectId }, { expiresIn: 600 });
      assert.equal(
        (await server.request("GET", "/runs", undefined, bearer(aliceAgain))).status,
        429,
      );
      assert.equal((await server.request("GET", "/runs", undefined, bearer(bob))).status, 200);
    });

    test("refused credentials are not counted against anyone, and public routes are exempt", async () => {
      const server = get();
      for (let i = 0; i < LIMIT * 3; i++) {
        const bad = await server.request(
          "GET",
          "/runs",
          undefined,
          bearer(`vf_nosuch_${"z".repeat(20)}`),
        );
        assert.equal(bad.status, 401);
        const health = await server.request("GET", "/healthz", undefined, {});
        assert.equal(health.status, 200);
        assert.equal(health.headers.get("x-ratelimit-limit"), null);
      }
    });
  },
  { ...JWT_ENV, RUNLINE_RATE_LIMIT_PER_MINUTE: String(LIMIT) },
);

describeEachStore("rate limiting is off by default", (get) => {
  test("without RUNLINE_RATE_LIMIT_PER_MINUTE nothing is limited", async () => {
    const server = get();
    for (let i = 0; i < 20; i++) {
      const response = await server.request("GET", "/runs");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-ratelimit-limit"), null);
    }
  });
});
