/**
 * Managing a project's API keys (the `/api-keys` routes and the `runline keys` command):
 * create (the full key is returned once, only the hash is kept), list (never a secret nor its
 * hash), revoke (effective on the next request: keys are looked up on every request).
 */
import { Problems } from "../errors.ts";
import type { ApiKeyRow, RunStore } from "../store/types.ts";
import { generateApiKey } from "./api-keys.ts";
import { DEFAULT_KEY_SCOPES, knownScopes, type Scope } from "./auth-context.ts";

/** What may be shown of a key: everything but the secret and its hash. */
export interface ApiKeyRecord {
  id: string;
  name: string | null;
  prefix: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface NewApiKeyInput {
  name?: string | undefined;
  scopes?: readonly Scope[] | undefined;
}

/** What to do when the project has no row yet (a tenant known only from user JWTs). */
export type MissingProject = "create" | "fail";

/** SQLite and PostgreSQL spell "the referenced project does not exist" differently. */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "23503";
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

export function toApiKeyRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: [...knownScopes(row.scopes)],
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}

/**
 * Creates a key for `projectId`; default scopes: all but admin. Returns the key once.
 * A project known only from user JWTs (the identity provider is the authority on tenants) has
 * no row to anchor keys yet: with `missingProject: "create"` one is made (named by its id);
 * with `"fail"` the error propagates (`isForeignKeyViolation` tells it apart).
 */
export async function createApiKey(
  store: RunStore,
  projectId: string,
  input: NewApiKeyInput,
  now: string,
  missingProject: MissingProject = "create",
): Promise<{ record: ApiKeyRecord; key: string }> {
  const scopes = [...new Set(input.scopes ?? DEFAULT_KEY_SCOPES)];
  const { row, key } = generateApiKey(projectId, input.name ?? null, scopes, now);
  try {
    await store.transaction((tx) => tx.insertApiKey(row));
  } catch (error) {
    if (missingProject === "fail" || !isForeignKeyViolation(error)) throw error;
    try {
      await store.transaction(async (tx) => {
        await tx.insertProject({ id: projectId, name: projectId, created_at: now });
        await tx.insertApiKey(row);
      });
    } catch (raced) {
      // Another request created the project meanwhile: it exists now.
      if (!isUniqueViolation(raced)) throw raced;
      await store.transaction((tx) => tx.insertApiKey(row));
    }
  }
  return { record: toApiKeyRecord(row), key };
}

export async function listApiKeys(store: RunStore, projectId: string): Promise<ApiKeyRecord[]> {
  return (await store.listApiKeys(projectId)).map(toApiKeyRecord);
}

/** Revokes a key of `projectId` (again: no-op); 404 for an unknown key or another project's. */
export async function revokeApiKey(
  store: RunStore,
  projectId: string,
  keyId: string,
  now: string,
): Promise<void> {
  if (!(await store.revokeApiKey(projectId, keyId, now))) {
    throw Problems.notFound(`API key ${keyId} not found`);
  }
}
