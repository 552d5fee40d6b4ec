/** Conversations (docs/api.md §1): owners of runs, created implicitly or explicitly. */
import type { AuthContext } from "../auth/auth-context.ts";
import { newUuid } from "../domain/ids.ts";
import { Problems } from "../errors.ts";
import type { ConversationStreamRow } from "../store/conversation-frames.ts";
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

/**
 * A conversation's stream (docs/api.md §8): its frame counter's row, for the caller's project;
 * 404 when the conversation does not exist there (also once deleted). Every conversation has one from its creation
 * (migration 007 gave one to those that existed before); should it be missing all the same, it
 * is created here rather than refusing to follow.
 */
export async function getConversationStream(
  ctx: LedgerContext,
  auth: AuthContext,
  id: string,
): Promise<ConversationStreamRow> {
  // The conversation itself decides visibility (a deleted one is 404; its counter stays, so
  // ids keep increasing should it be created again).
  await getConversation(ctx, auth, id);
  const stream = await ctx.store.conversationFrames.stream(auth.projectId, id);
  if (stream) return stream;
  await ctx.store.transaction((tx) => tx.conversationFrames.ensureStream(auth.projectId, id));
  const created = await ctx.store.conversationFrames.stream(auth.projectId, id);
  if (!created) throw Problems.notFound(`Conversation ${id} not found`);
  return created;
}
