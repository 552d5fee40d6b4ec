/** Conversations (docs/api.md §1): owners of runs, created implicitly or explicitly. */
import type { AuthContext } from "../auth/auth-context.ts";
import { newUuid } from "../domain/ids.ts";
import { Problems } from "../errors.ts";
import type { ConversationRow } from "../store/types.ts";
import type { LedgerContext } from "./context.ts";

export async function createConversation(
  ctx: LedgerContext,
  auth: AuthContext,
  input: { id?: string | undefined; metadata?: Record<string, unknown> | undefined },
): Promise<{ conversation: ConversationRow; created: boolean }> {
  return ctx.store.transaction((tx) =>
    tx.ensureConversation({
      project_id: auth.projectId,
      id: input.id ?? newUuid(),
      metadata: input.metadata ?? null,
      created_at: ctx.now(),
    }),
  );
}

export async function getConversation(
  ctx: LedgerContext,
  auth: AuthContext,
  id: string,
): Promise<ConversationRow> {
  const conversation = await ctx.store.getConversation(auth.projectId, id);
  if (!conversation) throw Problems.notFound(`Conversation ${id} not found`);
  return conversation;
}
