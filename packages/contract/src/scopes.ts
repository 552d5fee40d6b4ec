/** Credential scopes (docs/api.md §2): what a key, token or JWT may do. */

export const SCOPES = [
  "agent-runs:read",
  "runs:write",
  "agent-runs:events:append",
  "workers",
  "admin",
] as const;
export type Scope = (typeof SCOPES)[number];

/** What a new API key gets when the request names no scopes: everything but admin. */
export const DEFAULT_KEY_SCOPES: readonly Scope[] = SCOPES.filter((s) => s !== "admin");

/** The scopes of a run event-writer token: appending to its one run, nothing else. */
export const RUN_EVENT_WRITER_SCOPES: readonly Scope[] = ["agent-runs:events:append"];

export function isScope(name: unknown): name is Scope {
  return typeof name === "string" && (SCOPES as readonly string[]).includes(name);
}
