/** Credentials for authentication tests: user JWTs, API keys and writer tokens made via the API. */
import { SignJWT } from "jose";
import type { Scope } from "../../src/auth/auth-context.ts";
import type { TestServer } from "../helpers/server.ts";

export const JWT_SECRET = "test-jwt-secret-0123456789abcdef-0123456789";
export const JWT_ISSUER = "https://idp.test";
export const JWT_AUDIENCE = "runline-test";

/** Server settings that turn on HS256 user JWTs with issuer and audience checks. */
export const JWT_ENV = {
  RUNLINE_JWT_SECRET: JWT_SECRET,
  RUNLINE_JWT_ISSUER: JWT_ISSUER,
  RUNLINE_JWT_AUDIENCE: JWT_AUDIENCE,
};

export interface JwtOptions {
  secret?: string;
  issuer?: string | null;
  audience?: string | null;
  /** Seconds from now; null: no `exp` claim at all. */
  expiresIn?: number | null;
}

/** An HS256 user JWT (issuer/audience of JWT_ENV unless overridden; null leaves one out). */
export function userJwt(
  claims: Record<string, unknown>,
  options: JwtOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt();
  const issuer = options.issuer === undefined ? JWT_ISSUER : options.issuer;
  const audience = options.audience === undefined ? JWT_AUDIENCE : options.audience;
  const expiresIn = options.expiresIn === undefined ? 300 : options.expiresIn;
  if (issuer !== null) jwt.setIssuer(issuer);
  if (audience !== null) jwt.setAudience(audience);
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  return jwt.sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

/** The `<secret>` of `vf_<prefix>_<secret>` (the secret itself may contain `_`). */
export function secretOf(key: string): string {
  const match = /^vf_[A-Za-z0-9]+_(\S+)$/.exec(key);
  if (!match) throw new Error(`not an API key: ${key}`);
  return match[1]!;
}

export const bearer = (credential: string): Record<string, string> => ({
  authorization: `Bearer ${credential}`,
});

/** The project the test server's bootstrap key belongs to. */
export async function bootstrapProjectId(server: TestServer): Promise<string> {
  const prefix = server.key.split("_")[1]!;
  const row = await server.server.store.getApiKeyByPrefix(prefix);
  if (!row) throw new Error("bootstrap key not found");
  return row.project_id;
}

/** A new API key of the bootstrap project, made through `POST /api-keys`. */
export async function createKey(
  server: TestServer,
  scopes?: readonly Scope[],
  name?: string,
): Promise<{ id: string; key: string; prefix: string; scopes: Scope[] }> {
  const response = await server.request("POST", "/api-keys", { name, scopes });
  if (response.status !== 201) {
    throw new Error(`key creation failed: ${response.status} ${response.text}`);
  }
  return response.body;
}

/** A run event-writer token for a run of the bootstrap project. */
export async function writerToken(server: TestServer, runId: string): Promise<string> {
  const response = await server.request("POST", `/runs/${runId}/event-writer-token`);
  if (response.status !== 200) {
    throw new Error(`token exchange failed: ${response.status} ${response.text}`);
  }
  return response.body.run_event_token;
}

/** A few valid events: one complete assistant message. */
export const textEvents = (messageId: string) => [
  { type: "TEXT_MESSAGE_START", messageId, role: "assistant" },
  { type: "TEXT_MESSAGE_CONTENT", messageId, delta: "hi" },
  { type: "TEXT_MESSAGE_END", messageId },
];
