/**
 * Read an input request (docs/api.md §7), optionally long-polling: with `wait_seconds` the answer
 * comes as soon as the request is no longer open — submitted or cancelled here or on another
 * instance, or past its deadline — or at the end of the wait with the request still open.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import type { InputRequestRow } from "../store/human-input.ts";
import type { HumanInputContext } from "./context.ts";
import { findInputRequest } from "./find-input-request.ts";
import { isOpen } from "./records.ts";

/**
 * A waiting read re-reads at least this often, so a wake-up lost between instances (a NOTIFY
 * that never arrived) delays the answer by at most this much.
 */
export const LONG_POLL_RECHECK_MS = 5_000;

export interface GetInputRequestOptions {
  waitSeconds?: number | undefined;
  /** Ends the wait early (client gone, server shutting down): answers with the current state. */
  signal?: AbortSignal | undefined;
}

export async function getInputRequest(
  ctx: HumanInputContext,
  auth: AuthContext,
  conversationId: string,
  id: string,
  options: GetInputRequestOptions = {},
): Promise<InputRequestRow> {
  const reads = ctx.store.humanInput;
  let row = await findInputRequest(reads, auth, conversationId, id);
  if (!options.waitSeconds || !isOpen(row, ctx.now())) return row;
  const deadline = Date.now() + options.waitSeconds * 1000;
  // Watch before re-reading: a change committed after this point wakes the wait below.
  const watch = ctx.inputRequestWakeups.watch(row.id);
  try {
    for (;;) {
      row = (await reads.getInputRequest(auth.projectId, row.id)) ?? row;
      if (!isOpen(row, ctx.now()) || options.signal?.aborted) return row;
      const untilExpiry = Date.parse(row.expires_at) - Date.parse(ctx.now());
      const remaining = Math.min(deadline - Date.now(), untilExpiry);
      if (remaining <= 0) return row;
      await watch.wait(Math.min(remaining, LONG_POLL_RECHECK_MS), options.signal);
    }
  } finally {
    watch.close();
  }
}
