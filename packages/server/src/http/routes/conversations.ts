/** Conversations (docs/api.md §1): explicit create and read. */
import { ConversationParams, ConversationSchema, CreateConversationBody } from "@runline/contract";
import type { LedgerContext } from "../../ledger/context.ts";
import { createConversation, getConversation } from "../../ledger/conversations.ts";
import type { TypedApp } from "../app.ts";

export function conversationRoutes(app: TypedApp, ledger: LedgerContext): void {
  app.post(
    "/conversations",
    {
      config: { scope: "runs:write" },
      schema: {
        tags: ["conversations"],
        operationId: "createConversation",
        summary: "Create a conversation (200 when that id exists already)",
        "x-problems": ["metadata_too_large"],
        body: CreateConversationBody,
        response: { 200: ConversationSchema, 201: ConversationSchema },
      },
    },
    async (request, reply) => {
      const { conversation, created } = await createConversation(
        ledger,
        request.auth,
        request.body,
      );
      return reply.code(created ? 201 : 200).send(conversation);
    },
  );

  app.get(
    "/conversations/:conversation_id",
    {
      config: { scope: "agent-runs:read" },
      schema: {
        tags: ["conversations"],
        operationId: "getConversation",
        summary: "Read a conversation",
        params: ConversationParams,
        response: { 200: ConversationSchema },
      },
    },
    async (request) => getConversation(ledger, request.auth, request.params.conversation_id),
  );
}
