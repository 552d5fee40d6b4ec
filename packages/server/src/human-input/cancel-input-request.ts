/**
 * Cancel an input request (docs/api.md §7): `POST …/input-requests/{id}/cancel`. Cancelling a
 * cancelled request again answers it unchanged; a submitted or expired one is 409.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { Problems } from "../errors.ts";
import type { InputRequestRow } from "../store/human-input.ts";
import { closeInputRequest } from "./close-input-request.ts";
import type { HumanInputContext } from "./context.ts";
import { findInputRequest } from "./find-input-request.ts";

export async function cancelInputRequest(
  ctx: HumanInputContext,
  auth: AuthContext,
  conversationId: string,
  id: string,
): Promise<InputRequestRow> {
  const found = await findInputRequest(ctx.store.humanInput, auth, conversationId, id);
  const { row, changed } = await closeInputRequest(ctx, found, (now) => ({
    status: "cancelled",
    at: now,
  }));
  if (!changed && row.status !== "cancelled") throw Problems.inputRequestNotOpen(row.status);
  return row;
}
