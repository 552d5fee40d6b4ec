/**
 * API keys: `vf_<prefix>_<secret>`. Only a SHA-256 hash of the secret is stored (secrets are
 * high-entropy, so a fast hash is enough; comparison is constant-time); the key is found by its
 * prefix. The full key is shown once, when created.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { newUuid } from "../domain/ids.ts";
import type { ApiKeyRow } from "../store/types.ts";
import type { Scope } from "./auth-context.ts";

const KEY_PATTERN = /^vf_([A-Za-z0-9]{1,32})_(\S{16,512})$/;
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export interface ParsedKey {
  prefix: string;
  secret: string;
}

export function parseApiKey(key: string): ParsedKey | undefined {
  const match = KEY_PATTERN.exec(key);
  return match ? { prefix: match[1]!, secret: match[2]! } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return given.length === stored.length && timingSafeEqual(given, stored);
}

function randomAlphanumeric(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join("");
}

/** A new key: the row to store and the full key to show once. */
export function generateApiKey(
  projectId: string,
  name: string | null,
  scopes: readonly Scope[],
  now: string,
  fixedKey?: string,
): { row: ApiKeyRow; key: string } {
  const key = fixedKey ?? `vf_${randomAlphanumeric(12)}_${randomBytes(32).toString("base64url")}`;
  const parsed = parseApiKey(key);
  if (!parsed) throw new Error("generated API key does not parse");
  return {
    key,
    row: {
      id: newUuid(),
      project_id: projectId,
      name,
      prefix: parsed.prefix,
      secret_hash: hashSecret(parsed.secret),
      scopes: [...scopes],
      created_at: now,
      revoked_at: null,
      last_used_at: null,
    },
  };
}
