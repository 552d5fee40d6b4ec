/** `runline conversations rm <conversation_id>`: deletes a conversation and its runs (docs/api.md §9.2). */
import { CONNECTION_HELP, type RunsCommand } from "../runs/command.ts";

export const rm: RunsCommand = {
  name: "rm",
  summary: "conversations rm <conversation_id> [--cancel]",
  help: `runline conversations rm — delete a conversation with all its runs

Usage:
  runline conversations rm <conversation_id> [--cancel] [--json]

Options:
  --cancel   cancel the conversation's active runs first (without it, an active run makes
             the command fail and nothing is deleted)

Deletes every run of the conversation, with the runs they spawned, and the conversation
itself. The runs then answer 410 run_deleted. Needs a key with runs:write.
--json prints {"deleted": "<conversation_id>"}.

${CONNECTION_HELP}`,
  options: {
    cancel: { type: "boolean" },
  },
  positionals: ["conversation_id"],
  async run({ client, io, json, signal }, parsed, [conversationId]) {
    const cancel = parsed.values.cancel === true;
    await client.deleteConversation(conversationId!, cancel ? { cancel } : {}, { signal });
    io.out(
      json
        ? `${JSON.stringify({ deleted: conversationId })}\n`
        : `Deleted conversation ${conversationId} and its runs.\n`,
    );
    return 0;
  },
};
