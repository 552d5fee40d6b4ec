/**
 * Turns request headers into an `AuthContext`, or refuses. One place decides who a caller is;
 * the HTTP layer then checks the route's scope. (JWTs, worker and run-writer tokens slot in
 * here as further credential kinds.)
 */
import { Problems } from "../errors.ts";
import type { RunStore } from "../store/types.ts";
import { parseApiKey, secretMatches } from "./api-keys.ts";
import { type AuthContext, SCOPES, type Scope } from "./auth-context.ts";

export interface CredentialHeaders {
  authorization?: string | undefined;
  "x-api-key"?: string | undefined;
}

export class Authenticator {
  constructor(private readonly store: RunStore) {}

  async authenticate(headers: CredentialHeaders): Promise<AuthContext> {
    const bearer = bearerToken(headers.authorization);
    const apiKey = headers["x-api-key"]?.trim() || bearer;
    if (!apiKey) throw Problems.unauthenticated();
    return this.fromApiKey(apiKey);
  }

  private async fromApiKey(key: string): Promise<AuthContext> {
    const parsed = parseApiKey(key);
    if (!parsed) throw Problems.unauthenticated("The credential is not a valid API key or token");
    const row = await this.store.getApiKeyByPrefix(parsed.prefix);
    if (!row || row.revoked_at !== null || !secretMatches(parsed.secret, row.secret_hash)) {
      throw Problems.unauthenticated("The API key is unknown or revoked");
    }
    return {
      projectId: row.project_id,
      userId: null,
      scopes: new Set(
        row.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
      ),
      principal: { kind: "api_key", keyId: row.id },
    };
  }
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
