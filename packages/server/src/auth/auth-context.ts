/** Who is calling: the project a credential acts for, and what it may do. */

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

export type Principal =
  | { kind: "api_key"; keyId: string }
  | { kind: "jwt"; subject: string }
  | { kind: "run_writer"; runId: string }
  | { kind: "worker"; workerId: string };

export interface AuthContext {
  projectId: string;
  /** The end user on whose behalf the call is made (JWT `sub`), when known. */
  userId: string | null;
  scopes: ReadonlySet<Scope>;
  principal: Principal;
}
