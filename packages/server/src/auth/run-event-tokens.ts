/**
 * Run event-writer tokens (docs/api.md §2): least privilege for a sandboxed producer. A token is
 * a short-lived server-signed JWT `{projectId, runId, tokenUse: "run_event_writer", scopes:
 * ["agent-runs:events:append"]}`: it may append to that one run and nothing else
 * (`authorize.ts` refuses every other route and run; `assertMayWrite` re-checks the run).
 *
 * Issued for a run of the caller's project, or — by the holder of a parent run's writer token
 * (or any credential that may append to the parent) — for a child of that run, so a sandboxed
 * agent can hand its sub-agents their own narrow tokens.
 */

import { Problems } from "../errors.ts";
import { assertMayWrite, findRun, leaseHolder } from "../ledger/access.ts";
import type { LedgerContext } from "../ledger/context.ts";
import type { RunRow } from "../store/types.ts";
import type { AuthContext } from "./auth-context.ts";
import { RUN_EVENT_WRITER_SCOPES } from "./auth-context.ts";
import type { ServerTokens } from "./server-tokens.ts";

export interface RunEventTokenIssuer {
  ledger: LedgerContext;
  tokens: ServerTokens;
  ttlSeconds: number;
}

/** A writer token for a run of the caller's project (404 for anything else). */
export async function issueRunEventToken(
  issuer: RunEventTokenIssuer,
  auth: AuthContext,
  runId: string,
): Promise<string> {
  const run = await findRun(issuer.ledger.store, auth, { runId });
  return sign(issuer, auth, run);
}

/**
 * A writer token for `childRunId`, asked by a credential that may write to `parentRunId`:
 * 404 unless the child exists in the caller's project with that parent.
 */
export async function issueChildRunEventToken(
  issuer: RunEventTokenIssuer,
  auth: AuthContext,
  parentRunId: string,
  childRunId: string,
): Promise<string> {
  const parent = await findRun(issuer.ledger.store, auth, { runId: parentRunId });
  assertMayWrite(auth, parent, issuer.ledger.now());
  const child = await findRun(issuer.ledger.store, auth, { runId: childRunId });
  if (child.parent_run_id !== parent.run_id) {
    throw Problems.notFound(`Run ${childRunId} is not a child of run ${parent.run_id}`);
  }
  return sign(issuer, auth, child);
}

/**
 * The lease fence (docs/api.md §12): while a worker holds the run's lease, only that worker or an
 * `admin` credential may mint, and the token carries the lease, so it stops appending (409
 * `lease_lost`) once that worker loses it. Otherwise another credential with `runs:write` (a
 * second worker, say) could write around the lease through a token of its own.
 */
function sign(issuer: RunEventTokenIssuer, auth: AuthContext, run: RunRow): Promise<string> {
  const holder = leaseHolder(run, issuer.ledger.now());
  if (holder !== undefined) {
    const isHolder = auth.principal.kind === "worker" && auth.principal.workerId === holder;
    if (!isHolder && !auth.scopes.has("admin")) {
      throw Problems.leaseLost(
        `Run ${run.run_id} is leased to worker ${holder}: only that worker or an admin credential may mint a writer token for it`,
      );
    }
  }
  return issuer.tokens.sign(
    {
      tokenUse: "run_event_writer",
      projectId: auth.projectId,
      runId: run.run_id,
      scopes: [...RUN_EVENT_WRITER_SCOPES],
      ...(holder !== undefined && { leaseOwner: holder }),
    },
    issuer.ttlSeconds,
  );
}
