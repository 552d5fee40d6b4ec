/**
 * User JWTs (docs/api.md §2): HS256 with a configured secret, or keys from a JWKS URL (served
 * here by a local HTTP server, rotated mid-test); `exp` required, `iss`/`aud` checked, claims
 * `sub` → requested_by_user_id and `project_id` → tenant, scopes from `scope`/`scopes`.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import {
  bearer,
  bootstrapProjectId,
  JWT_ENV,
  JWT_SECRET,
  userJwt,
  writerToken,
} from "../auth/fixtures.ts";
import { createRun, describeEachStore, type TestServer } from "../helpers/server.ts";

const createBody = (conversationId = randomUUID()) => ({
  kind: "agent",
  owner: { kind: "conversation", id: conversationId },
  request: { agent_id: "agent-1" },
});

async function expectUnauthenticated(
  server: TestServer,
  token: string,
  path = "/runs",
): Promise<void> {
  const response = await server.request("GET", path, undefined, bearer(token));
  assert.equal(response.status, 401, response.text);
  assert.equal(response.body.code, "unauthenticated");
  assert.equal(response.headers.get("www-authenticate"), "Bearer");
}

describeEachStore(
  "HS256 user JWTs",
  (get) => {
    let projectId: string;
    before(async () => {
      projectId = await bootstrapProjectId(get());
    });

    test("a valid JWT acts for its project and its sub becomes requested_by_user_id", async () => {
      const server = get();
      const token = await userJwt({ sub: "user-42", project_id: projectId });
      const conversationId = randomUUID();
      const created = await server.request(
        "POST",
        "/runs",
        createBody(conversationId),
        bearer(token),
      );
      assert.equal(created.status, 202, created.text);
      const runId = created.body.run.run_id;
      const record = await server.request("GET", `/conversations/${conversationId}/runs/${runId}`);
      assert.equal(record.body.requested_by_user_id, "user-42");
      assert.equal(record.body.project_id, projectId);

      const startedId = `started-${randomUUID()}`;
      const started = await server.request(
        "POST",
        `/conversations/${conversationId}/agent-runs/${startedId}/start`,
        {},
        bearer(token),
      );
      assert.equal(started.status, 202, started.text);
      assert.equal(started.body.run.requested_by_user_id, "user-42");
    });

    test("a JWT of another project sees nothing of this one", async () => {
      const server = get();
      const run = await createRun(server);
      const token = await userJwt({ sub: "intruder", project_id: "another-project" });
      const read = await server.request("GET", `/runs/${run.run_id}`, undefined, bearer(token));
      assert.equal(read.status, 404);
      const list = await server.request("GET", "/runs", undefined, bearer(token));
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.data, []);
    });

    test("a JWT without exp is refused", async () => {
      await expectUnauthenticated(
        get(),
        await userJwt({ sub: "u", project_id: projectId }, { expiresIn: null }),
      );
    });

    test("an expired JWT is refused, one within the clock tolerance is not", async () => {
      const server = get();
      await expectUnauthenticated(
        server,
        await userJwt({ sub: "u", project_id: projectId }, { expiresIn: -60 }),
      );
      const justExpired = await userJwt({ sub: "u", project_id: projectId }, { expiresIn: -2 });
      const response = await server.request("GET", "/runs", undefined, bearer(justExpired));
      assert.equal(response.status, 200, "the default tolerance is 5 s");
    });

    test("a JWT with the wrong or no issuer or audience is refused", async () => {
      const claims = { sub: "u", project_id: projectId };
      await expectUnauthenticated(get(), await userJwt(claims, { issuer: "https://evil.test" }));
      await expectUnauthenticated(get(), await userJwt(claims, { issuer: null }));
      await expectUnauthenticated(get(), await userJwt(claims, { audience: "other-service" }));
      await expectUnauthenticated(get(), await userJwt(claims, { audience: null }));
    });

    test("a JWT signed with another secret, or unsigned, is refused", async () => {
      const claims = { sub: "u", project_id: projectId };
      await expectUnauthenticated(get(), await userJwt(claims, { secret: `${JWT_SECRET}-not` }));
      const valid = await userJwt(claims);
      const [, payload] = valid.split(".");
      const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${payload}.`;
      await expectUnauthenticated(get(), unsigned);
    });

    test("a JWT without sub or a valid project_id is refused", async () => {
      await expectUnauthenticated(get(), await userJwt({ project_id: projectId }));
      await expectUnauthenticated(get(), await userJwt({ sub: "u" }));
      await expectUnauthenticated(
        get(),
        await userJwt({ sub: "u", project_id: "bad id/with slash" }),
      );
      await expectUnauthenticated(get(), await userJwt({ sub: "u", project_id: 7 }));
    });

    test("a JWT's scope claim limits it to the Runline scopes it names", async () => {
      const server = get();
      const readOnly = await userJwt({
        sub: "u",
        project_id: projectId,
        scope: "openid agent-runs:read",
      });
      assert.equal((await server.request("GET", "/runs", undefined, bearer(readOnly))).status, 200);
      const refused = await server.request("POST", "/runs", createBody(), bearer(readOnly));
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, "forbidden");

      const writeArray = await userJwt({ sub: "u", project_id: projectId, scopes: ["runs:write"] });
      const created = await server.request("POST", "/runs", createBody(), bearer(writeArray));
      assert.equal(created.status, 202);

      const noneKnown = await userJwt({ sub: "u", project_id: projectId, scope: "openid email" });
      assert.equal(
        (await server.request("GET", "/runs", undefined, bearer(noneKnown))).status,
        403,
      );
    });

    test("a JWT without a scope claim has every scope but admin", async () => {
      const server = get();
      const token = await userJwt({ sub: "u", project_id: projectId });
      assert.equal(
        (await server.request("POST", "/runs", createBody(), bearer(token))).status,
        202,
      );
      const admin = await server.request("GET", "/api-keys", undefined, bearer(token));
      assert.equal(admin.status, 403);
      const granted = await userJwt({ sub: "u", project_id: projectId, scope: "admin" });
      assert.equal(
        (await server.request("GET", "/api-keys", undefined, bearer(granted))).status,
        200,
      );
    });

    test("an admin JWT of a tenant Runline has not seen can create API keys for it", async () => {
      const server = get();
      const tenant = `tenant-${randomUUID()}`;
      const admin = await userJwt({
        sub: "boss",
        project_id: tenant,
        scope: "admin agent-runs:read",
      });
      const twice = await Promise.all(
        [1, 2].map(() => server.request("POST", "/api-keys", { name: "ci" }, bearer(admin))),
      );
      for (const created of twice) assert.equal(created.status, 201, created.text);
      const listed = await server.request("GET", "/api-keys", undefined, bearer(admin));
      assert.equal(listed.body.data.length, 2);
      const key = twice[0]!.body.key as string;
      const created = await server.request("POST", "/runs", createBody(), bearer(key));
      assert.equal(created.status, 202);
      const run = await server.request(
        "GET",
        `/runs/${created.body.run.run_id}`,
        undefined,
        bearer(admin),
      );
      assert.equal(run.status, 200, "the key acts for the JWT's tenant");
    });

    test("a user JWT is never taken for a server token, nor a server token for a user JWT", async () => {
      const server = get();
      const run = await createRun(server);
      // Signed with the user-JWT secret but shaped like a writer token: not a writer token.
      const forged = await userJwt({
        sub: "u",
        project_id: projectId,
        tokenUse: "run_event_writer",
        projectId,
        runId: run.run_id,
        scopes: ["agent-runs:events:append"],
      });
      const append = await server.request(
        "POST",
        `/runs/${run.run_id}/events`,
        { events: [{ type: "STEP_STARTED", stepName: "s" }] },
        bearer(forged),
      );
      assert.equal(append.status, 401);
      // A genuine writer token keeps its narrow scope: it does not become a user with many.
      const writer = await writerToken(server, run.run_id);
      const read = await server.request("GET", "/runs", undefined, bearer(writer));
      assert.equal(read.status, 403);
    });

    test("X-API-Key carries only API keys", async () => {
      const token = await userJwt({ sub: "u", project_id: projectId });
      const response = await get().request("GET", "/runs", undefined, {
        authorization: "",
        "x-api-key": token,
      });
      assert.equal(response.status, 401);
    });
  },
  JWT_ENV,
);

describeEachStore("user JWTs are refused when none are configured", (get) => {
  test("a well-formed JWT gets 401 without RUNLINE_JWT_SECRET or RUNLINE_JWKS_URL", async () => {
    const token = await userJwt({ sub: "u", project_id: await bootstrapProjectId(get()) });
    await expectUnauthenticated(get(), token);
  });
});

// ── JWKS ────────────────────────────────────────────────────────────────────────────────────

interface SigningKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" },
  };
}

/** A JWKS endpoint on 127.0.0.1 whose key set the test changes, counting fetches. */
const jwks = { keys: [] as JWK[], fetches: 0 };
const jwksServer: Server = createServer((_request, response) => {
  jwks.fetches += 1;
  response.writeHead(200, { "content-type": "application/json" });
  response.end(JSON.stringify({ keys: jwks.keys }));
});
await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
after(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

function signWith(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: key.kid })
    .setIssuer("https://idp.test")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key.privateKey);
}

describeEachStore(
  "user JWTs verified against a JWKS URL",
  (get) => {
    test("keys come from the JWKS, are cached, and an unknown kid triggers a refetch (rotation)", async () => {
      const server = get();
      const projectId = await bootstrapProjectId(server);
      const claims = { sub: "jwks-user", project_id: projectId };
      const [first, second, never] = await Promise.all(
        ["first", "second", "never"].map((kid) => signingKey(`${kid}-${randomUUID()}`)),
      );
      jwks.keys = [first!.jwk];
      jwks.fetches = 0;

      const ok = async (token: string) =>
        (await server.request("GET", "/runs", undefined, bearer(token))).status;
      assert.equal(await ok(await signWith(first!, claims)), 200);
      assert.equal(await ok(await signWith(first!, claims)), 200);
      assert.equal(jwks.fetches, 1, "the key set is fetched once, then cached");

      jwks.keys = [second!.jwk];
      assert.equal(await ok(await signWith(second!, claims)), 200, "rotated key accepted");
      assert.equal(jwks.fetches, 2, "an unknown kid made the server refetch the key set");

      assert.equal(await ok(await signWith(first!, claims)), 401, "retired key refused");
      assert.equal(await ok(await signWith(never!, claims)), 401, "unpublished key refused");
    });

    test("an HS256 JWT is refused when only a JWKS is configured", async () => {
      const token = await userJwt({ sub: "u", project_id: await bootstrapProjectId(get()) });
      await expectUnauthenticated(get(), token);
    });
  },
  {
    RUNLINE_JWKS_URL: jwksUrl,
    RUNLINE_JWKS_COOLDOWN_S: "0",
    RUNLINE_JWT_ISSUER: "https://idp.test",
  },
);

/** A port nothing listens on: the identity provider is down. */
const deadPort = await new Promise<number>((resolve) => {
  const probe = createServer();
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as AddressInfo;
    probe.close(() => resolve(port));
  });
});

describeEachStore(
  "an unreachable JWKS",
  (get) => {
    test("answers 503 unavailable (the identity provider is down, not the caller wrong)", async () => {
      const key = await signingKey("k1");
      const token = await signWith(key, { sub: "u", project_id: await bootstrapProjectId(get()) });
      const response = await get().request("GET", "/runs", undefined, bearer(token));
      assert.equal(response.status, 503, response.text);
      assert.equal(response.body.code, "unavailable");
      assert.ok(response.headers.get("retry-after"));
    });
  },
  { RUNLINE_JWKS_URL: `http://127.0.0.1:${deadPort}/jwks.json` },
);
