/**
 * Who may act for a worker: its own worker token, or a credential of its project with the
 * `workers` scope (checked by the route). A worker token used for another worker is 403; a
 * worker of another project (or none) is 404, so existence does not leak across projects.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { Problems } from "../errors.ts";
import type { RunStore, WorkerRow } from "../store/types.ts";

/** The alias that names the caller's own project in `/agent-workers/projects/{project_reference}`. */
export const CURRENT_PROJECT = "current";

/** The project a `project_reference` names: the caller's (its id, or `current`); else 404. */
export function resolveProjectReference(auth: AuthContext, reference: string): string {
  if (reference === auth.projectId || reference === CURRENT_PROJECT) return auth.projectId;
  throw Problems.notFound(`Project ${reference} not found`);
}

export async function findCallerWorker(
  store: RunStore,
  auth: AuthContext,
  workerId: string,
): Promise<WorkerRow> {
  if (auth.principal.kind === "worker" && auth.principal.workerId !== workerId) {
    throw Problems.forbidden("This worker token acts only for its own worker");
  }
  const worker = await store.getWorker(auth.projectId, workerId);
  if (!worker) throw Problems.notFound(`Worker ${workerId} not found`);
  return worker;
}
