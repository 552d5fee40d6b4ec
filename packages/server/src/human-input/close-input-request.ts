/**
 * The one path by which a person or agent closes an open input request (submit, cancel):
 * inside a transaction, re-read the request, expire it if its deadline has passed, otherwise
 * apply the change only if it is still open (a conditional UPDATE: of two concurrent answers,
 * one wins). Every change made is recorded on the transaction (`store/changes.ts`).
 */
import { Problems } from "../errors.ts";
import { inputRequestChange } from "../store/changes.ts";
import type { InputRequestRow, InputResponseRecord } from "../store/human-input.ts";
import type { HumanInputContext } from "./context.ts";

export interface CloseChange {
  status: "submitted" | "cancelled";
  at: string;
  response?: InputResponseRecord;
}

/** `row` as it now is, and whether `change` was applied (false: it was no longer open). */
export async function closeInputRequest(
  ctx: HumanInputContext,
  found: InputRequestRow,
  change: (now: string) => CloseChange,
): Promise<{ row: InputRequestRow; changed: boolean }> {
  return ctx.store.transaction(async (tx) => {
    const now = ctx.now();
    const current = await tx.humanInput.getInputRequest(found.project_id, found.id);
    if (!current) throw Problems.notFound(`Input request ${found.id} not found`);
    if (current.status === "open" && current.expires_at <= now) {
      const expired = await tx.humanInput.closeInputRequest(current.pk, {
        status: "expired",
        at: current.expires_at,
      });
      if (expired) tx.record(inputRequestChange("input_request.expired", expired));
      // Not applied: the expiry sweeper (here or on another instance) expired it first.
      const now2 = expired ?? (await tx.humanInput.getInputRequest(found.project_id, found.id));
      return { row: now2 ?? current, changed: false };
    }
    if (current.status !== "open") return { row: current, changed: false };
    const wanted = change(now);
    const closed = await tx.humanInput.closeInputRequest(current.pk, wanted);
    if (!closed) {
      // Another transaction closed it between our read and our update (PostgreSQL).
      const now2 = await tx.humanInput.getInputRequest(found.project_id, found.id);
      return { row: now2 ?? current, changed: false };
    }
    tx.record(inputRequestChange(`input_request.${wanted.status}`, closed));
    return { row: closed, changed: true };
  });
}
