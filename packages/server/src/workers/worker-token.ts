/**
 * Worker tokens: what `register` and `heartbeat` hand a worker so it can work with nothing else.
 *
 * Scopes: `workers` (heartbeat, claim, lease, session), `agent-runs:read` (read the runs and
 * logs it works on), `agent-runs:events:append` and `runs:write` (append, wait, complete, cancel,
 * and create child runs). Every write to an existing run is fenced by the run's lease
 * (`ledger/access.ts`): a worker writes only to runs it holds.
 *
 * Lifetime: twice the inactivity window, at least an hour. A worker that heartbeats often
 * enough to stay `active` always holds a valid token (each heartbeat returns a fresh one).
 */
import type { Scope } from "../auth/auth-context.ts";
import type { WorkerRow } from "../store/types.ts";
import type { WorkersContext } from "./context.ts";

export const WORKER_TOKEN_SCOPES: readonly Scope[] = [
  "workers",
  "agent-runs:read",
  "agent-runs:events:append",
  "runs:write",
];

export function workerTokenTtlSeconds(inactiveAfterSeconds: number): number {
  return Math.max(3600, 2 * inactiveAfterSeconds);
}

export function issueWorkerToken(ctx: WorkersContext, worker: WorkerRow): Promise<string> {
  return ctx.tokens.sign(
    {
      tokenUse: "worker",
      projectId: worker.project_id,
      workerId: worker.id,
      scopes: [...WORKER_TOKEN_SCOPES],
    },
    workerTokenTtlSeconds(ctx.inactiveAfterSeconds),
  );
}
