/** `GET /conversations/{cid}/input-requests` (docs/api.md §7): newest first, expiry applied. */
import type { AuthContext } from "../auth/auth-context.ts";
import { keysetPage, type Page } from "../ledger/keyset-page.ts";
import type { InputRequestRow, InputRequestStatus } from "../store/human-input.ts";
import type { HumanInputContext } from "./context.ts";

export interface InputRequestListing {
  status?: InputRequestStatus | undefined;
  runId?: string | undefined;
  cursor: string | undefined;
  limit: number;
}

export function listInputRequests(
  ctx: HumanInputContext,
  auth: AuthContext,
  conversationId: string,
  listing: InputRequestListing,
): Promise<Page<InputRequestRow>> {
  const now = ctx.now();
  return keysetPage(
    ctx,
    auth,
    {
      listing: {
        l: "input-requests",
        c: conversationId,
        s: listing.status,
        r: listing.runId,
      },
      order: "desc",
      cursor: listing.cursor,
      limit: listing.limit,
    },
    (page) =>
      ctx.store.humanInput.listInputRequests(
        {
          project_id: auth.projectId,
          conversation_id: conversationId,
          status: listing.status,
          run_id: listing.runId,
          now,
        },
        page,
      ),
  );
}
