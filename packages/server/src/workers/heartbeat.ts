/**
 * A worker's heartbeat (docs/api.md §5): records that it is alive (and, optionally, a new status —
 * `inactive` for a worker that is draining — and metadata). The route answers with the worker
 * and a fresh worker token.
 */
import type { HeartbeatRequest } from "@runline/contract";
import { Problems } from "../errors.ts";
import type { WorkerRow } from "../store/types.ts";
import type { WorkersContext } from "./context.ts";

export async function heartbeat(
  ctx: WorkersContext,
  worker: WorkerRow,
  input: HeartbeatRequest,
): Promise<WorkerRow> {
  const updated = await ctx.ledger.store.transaction((tx) =>
    tx.updateWorker(worker.project_id, worker.id, {
      last_heartbeat_at: ctx.ledger.now(),
      status: input.status ?? "active",
      metadata: input.metadata,
    }),
  );
  if (!updated) throw Problems.notFound(`Worker ${worker.id} not found`);
  return updated;
}
