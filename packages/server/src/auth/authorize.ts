/**
 * The one authorization rule every non-public route goes through (called from the HTTP
 * layer's `onRequest` hook, before the body is read):
 *
 * 1. the route must declare a scope — a route without one is refused to everyone (fail closed);
 * 2. the credential must carry that scope (else 403 `forbidden`);
 * 3. a run event-writer token acts only on its own run: the route's `run_id` path parameter
 *    must name it (else 403, whether or not that other run exists — nothing leaks). Routes
 *    marked `runWriter` (input requests, docs/api.md §7) take the token whatever their scope and
 *    check its run themselves: the run is named in the body, or by the resource.
 *
 * Tenancy (another project's resources answer 404) is the ledger's job: every lookup is by
 * the caller's project. Write fences on the run itself (writer tokens, worker leases) are
 * re-checked inside the write transaction by `assertMayWrite` (ledger/access.ts).
 */
import { Problems } from "../errors.ts";
import type { AuthContext, Scope } from "./auth-context.ts";

export interface RoutePolicy {
  scope?: Scope | undefined;
  public?: boolean | undefined;
  /** A run event-writer token may call this route; the route checks the token's run. */
  runWriter?: boolean | undefined;
}

export function authorize(auth: AuthContext, route: RoutePolicy, params: unknown): void {
  if (!route.scope) throw Problems.forbidden("This route declares no scope; it is closed");
  if (auth.principal.kind === "run_writer" && route.runWriter) return;
  if (!auth.scopes.has(route.scope)) {
    throw Problems.forbidden(`This credential lacks the ${route.scope} scope`);
  }
  if (auth.principal.kind === "run_writer") {
    const runId = (params as Record<string, unknown> | undefined)?.run_id;
    if (runId !== auth.principal.runId) {
      throw Problems.forbidden("A run event-writer token can only append to its own run");
    }
  }
}
