/**
 * Turns request headers into an `AuthContext`, or refuses. One place decides who a caller is;
 * the HTTP layer then checks the route's scope (`authorize.ts`). Credential kinds:
 *
 * - API keys `vf_<prefix>_<secret>` (Bearer or `X-API-Key`): found by prefix, secret compared
 *   by hash in constant time on every request; the key's row is cached briefly, with
 *   revocation still immediate (`api-key-cache.ts`);
 * - tokens the server issued itself (run event-writer and worker tokens): JWTs with a
 *   `tokenUse` claim, verified only by `ServerTokens`;
 * - user JWTs from the identity provider: every other JWT, verified only by `UserJwts`.
 *
 * Which verifier sees a JWT is decided by the presence of `tokenUse` in its (unverified)
 * payload; each verifier then checks signature and claims itself, so neither kind is ever
 * accepted as the other.
 *
 * Stream routes also take a JWT as `?access_token=` when no credential header is sent: the
 * browser's `EventSource` cannot send headers (docs/security.md). API keys are long-lived
 * secrets and are refused there — URLs end up in proxy logs and browser history.
 */
import { decodeJwt } from "jose";
import { Problems } from "../errors.ts";
import type { ApiKeyRow, RunStore } from "../store/types.ts";
import { ApiKeyCache } from "./api-key-cache.ts";
import { parseApiKey, secretMatches } from "./api-keys.ts";
import { type AuthContext, knownScopes } from "./auth-context.ts";
import type { ServerTokens } from "./server-tokens.ts";
import type { UserJwts } from "./user-jwts.ts";

export interface CredentialHeaders {
  authorization?: string | undefined;
  "x-api-key"?: string | undefined;
}

/** The query parameter that carries a JWT on stream routes (for `EventSource`). */
export const URL_TOKEN_PARAM = "access_token";

/**
 * The credential of a request: its headers, or — on a route that allows it and only when no
 * credential header is present — a JWT from `?access_token=`.
 */
export function requestCredentials(
  headers: CredentialHeaders,
  query: unknown,
  urlTokenAllowed: boolean,
): CredentialHeaders & { urlToken?: string } {
  if (!urlTokenAllowed || headers.authorization !== undefined || headers["x-api-key"]) {
    return headers;
  }
  const token = (query as Record<string, unknown> | undefined)?.[URL_TOKEN_PARAM];
  return typeof token === "string" ? { urlToken: token } : headers;
}

/** `last_used_at` of a key is written at most once per this interval. */
export const TOUCH_INTERVAL_MS = 60_000;

export class Authenticator {
  /** When this process last recorded a use, per key id (so a burst writes once). */
  private readonly touchedAt = new Map<string, number>();
  private readonly pendingTouches = new Set<Promise<void>>();
  /** Verified keys; told of revocations by the store and (PostgreSQL) the live feed. */
  readonly apiKeys: ApiKeyCache;

  constructor(
    private readonly store: RunStore,
    private readonly tokens: ServerTokens,
    private readonly userJwts?: UserJwts,
  ) {
    this.apiKeys = new ApiKeyCache(Date.now, () => store.externalCommits());
    store.onApiKeyRevoked((keyId) => this.apiKeys.forget(keyId));
  }

  async authenticate(headers: CredentialHeaders & { urlToken?: string }): Promise<AuthContext> {
    if (headers.urlToken !== undefined) return this.fromUrlToken(headers.urlToken);
    const apiKeyHeader = headers["x-api-key"]?.trim();
    if (apiKeyHeader) {
      if (!apiKeyHeader.startsWith("vf_")) {
        throw Problems.unauthenticated("X-API-Key must hold an API key (vf_…)");
      }
      return this.fromApiKey(apiKeyHeader);
    }
    if (headers.authorization === undefined) throw Problems.unauthenticated();
    const bearer = bearerToken(headers.authorization);
    if (!bearer) throw Problems.unauthenticated("Send the credential as Authorization: Bearer …");
    if (bearer.startsWith("vf_")) return this.fromApiKey(bearer);
    return isServerToken(bearer) ? this.fromServerToken(bearer) : this.fromUserJwt(bearer);
  }

  private fromUrlToken(token: string): Promise<AuthContext> {
    if (token.startsWith("vf_")) {
      throw Problems.unauthenticated(
        `API keys are not accepted in the URL (${URL_TOKEN_PARAM}): send them in a header; a browser's EventSource can pass a JWT there`,
      );
    }
    return isServerToken(token) ? this.fromServerToken(token) : this.fromUserJwt(token);
  }

  /** Resolves once every pending last-used write has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.pendingTouches]);
  }

  private async fromServerToken(token: string): Promise<AuthContext> {
    const claims = await this.tokens.verify(token);
    if (!claims) throw Problems.unauthenticated("The token is invalid or expired");
    return {
      projectId: claims.projectId,
      userId: null,
      scopes: knownScopes(claims.scopes),
      principal:
        claims.tokenUse === "run_event_writer"
          ? {
              kind: "run_writer",
              runId: claims.runId,
              ...(claims.leaseOwner !== undefined && { leaseOwner: claims.leaseOwner }),
            }
          : { kind: "worker", workerId: claims.workerId },
    };
  }

  private async fromUserJwt(token: string): Promise<AuthContext> {
    if (!this.userJwts) throw Problems.unauthenticated("JWT authentication is not configured");
    const claims = await this.userJwts.verify(token);
    return {
      projectId: claims.projectId,
      userId: claims.userId,
      scopes: claims.scopes,
      principal: { kind: "jwt", subject: claims.userId },
    };
  }

  private async fromApiKey(key: string): Promise<AuthContext> {
    const parsed = parseApiKey(key);
    if (!parsed) throw Problems.unauthenticated("The credential is not a valid API key or token");
    const row = this.apiKeys.get(parsed.prefix) ?? (await this.lookUpApiKey(parsed.prefix));
    if (!row || row.revoked_at !== null || !secretMatches(parsed.secret, row.secret_hash)) {
      throw Problems.unauthenticated("The API key is unknown or revoked");
    }
    this.recordUse(row);
    return {
      projectId: row.project_id,
      userId: null,
      scopes: knownScopes(row.scopes),
      principal: { kind: "api_key", keyId: row.id },
    };
  }

  private async lookUpApiKey(prefix: string): Promise<ApiKeyRow | undefined> {
    const ticket = this.apiKeys.ticket();
    const row = await this.store.getApiKeyByPrefix(prefix);
    if (row) this.apiKeys.set(row, ticket);
    return row;
  }

  /**
   * Records `last_used_at`, throttled (the stored value and this process's memory both count),
   * off the request's path: the request neither waits for it nor fails with it — last-used is
   * advisory, and a failed write is simply retried on a later use.
   */
  private recordUse(row: ApiKeyRow): void {
    const now = Date.now();
    const stored = row.last_used_at === null ? 0 : Date.parse(row.last_used_at);
    const last = Math.max(stored, this.touchedAt.get(row.id) ?? 0);
    if (now - last < TOUCH_INTERVAL_MS) return;
    this.touchedAt.set(row.id, now);
    const touch = this.store
      .touchApiKey(row.id, new Date(now).toISOString())
      .catch(() => {
        this.touchedAt.delete(row.id);
      })
      .finally(() => {
        this.pendingTouches.delete(touch);
      });
    this.pendingTouches.add(touch);
  }
}

function bearerToken(header: string): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Routing only (nothing is trusted before verification): does the JWT claim a `tokenUse`? */
function isServerToken(token: string): boolean {
  try {
    return "tokenUse" in decodeJwt(token);
  } catch {
    throw Problems.unauthenticated("The credential is not a valid API key or token");
  }
}
