/** Who is calling: the project a credential acts for, and what it may do. */
import { type CredentialKind, isScope, type Scope } from "@runline/contract";

export {
  DEFAULT_KEY_SCOPES,
  isScope,
  RUN_EVENT_WRITER_SCOPES,
  SCOPES,
  type Scope,
} from "@runline/contract";

/** The known scopes among `names` (unknown ones are dropped, never an error). */
export function knownScopes(names: readonly unknown[]): Set<Scope> {
  return new Set(names.filter(isScope));
}

/** A credential of one of the contract's kinds (`CredentialKindSchema`). */
type Kind<K extends CredentialKind> = K;

export type Principal =
  | { kind: Kind<"api_key">; keyId: string }
  | { kind: Kind<"jwt">; subject: string }
  /** `leaseOwner`: minted while that worker held the run's lease; valid only while it still does. */
  | { kind: Kind<"run_writer">; runId: string; leaseOwner?: string }
  | { kind: Kind<"worker">; workerId: string };

export interface AuthContext {
  projectId: string;
  /** The end user on whose behalf the call is made (JWT `sub`), when known. */
  userId: string | null;
  scopes: ReadonlySet<Scope>;
  principal: Principal;
}

/**
 * A stable name for the credential behind a request (rate limiting, logs): never a secret.
 * JWT subjects are qualified by project, since two identity-provider tenants may reuse a `sub`.
 */
export function credentialKey(auth: AuthContext): string {
  const p = auth.principal;
  switch (p.kind) {
    case "api_key":
      return `api_key:${p.keyId}`;
    case "jwt":
      return `jwt:${auth.projectId}:${p.subject}`;
    case "run_writer":
      return `run_writer:${auth.projectId}:${p.runId}`;
    case "worker":
      return `worker:${p.workerId}`;
  }
}
