/**
 * Server tokens and user JWTs never stand in for each other — not even when both are signed
 * with the same secret, which the deployment never does, but which makes the rule visible.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SignJWT } from "jose";
import { ServerTokens } from "../../src/auth/server-tokens.ts";
import { UserJwts } from "../../src/auth/user-jwts.ts";
import { ProblemError } from "../../src/errors.ts";

const SECRET = "one-secret-for-both-0123456789abcdef";
const userJwts = new UserJwts({
  secret: SECRET,
  jwksUrl: undefined,
  issuer: undefined,
  audience: undefined,
  clockToleranceSeconds: 0,
  jwksCooldownSeconds: 30,
});
const serverTokens = new ServerTokens(SECRET);

async function userStatus(token: string): Promise<number> {
  try {
    await userJwts.verify(token);
    return 200;
  } catch (error) {
    assert.ok(error instanceof ProblemError);
    return error.status;
  }
}

test("a server-issued writer token is not a user JWT", async () => {
  const token = await serverTokens.sign(
    {
      tokenUse: "run_event_writer",
      projectId: "p1",
      runId: "r1",
      scopes: ["agent-runs:events:append"],
    },
    60,
  );
  assert.ok(await serverTokens.verify(token));
  assert.equal(await userStatus(token), 401);
});

test("a user JWT is not a server token, even one shaped like it without tokenUse", async () => {
  const token = await new SignJWT({
    sub: "u",
    project_id: "p1",
    projectId: "p1",
    runId: "r1",
    scopes: [],
  })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("runline")
    .setExpirationTime("1m")
    .sign(new TextEncoder().encode(SECRET));
  assert.equal(await serverTokens.verify(token), undefined);
  assert.equal(await userStatus(token), 401, "issuer runline is reserved");
});

test("a plain user JWT verifies as a user and not as a server token", async () => {
  const token = await new SignJWT({ sub: "u", project_id: "p1" })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("1m")
    .sign(new TextEncoder().encode(SECRET));
  assert.equal(await userStatus(token), 200);
  assert.equal(await serverTokens.verify(token), undefined);
});
