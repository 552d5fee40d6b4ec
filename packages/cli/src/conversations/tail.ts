/**
 * `runline conversations tail <conversation_id>`: follows a whole conversation live — every
 * event of every run in it, and the runs, input requests and interrupts as they open, change
 * and close — over one connection (docs/api.md §8).
 *
 * The SDK's `conversation(cid).follow()` replays the frames after `--after`, then follows
 * live, and resumes by itself with `Last-Event-ID` after a dropped connection (nothing lost or
 * repeated). A conversation never ends, so neither does this command: Ctrl-C (or SIGTERM)
 * stops it, closing the connection, with exit status 130.
 */
import { intOption } from "../args.ts";
import { CONNECTION_HELP, type RunsCommand } from "../runs/command.ts";
import { frameLine } from "./frame-line.ts";

export const tail: RunsCommand = {
  name: "tail",
  summary: "conversations tail <conversation_id> [--after n]",
  help: `runline conversations tail — follow a conversation live: all its runs, one stream

Usage:
  runline conversations tail <conversation_id> [--after <id>] [--json]

Options:
  --after <id>   start after this conversation event id (default: from the first frame)

Prints every frame of the conversation as it arrives, one line each: the frame's id, the
run, what happened (an AG-UI event type, run.created, run.status, input_request.*,
interrupt.*) and a short preview. Runs created later in the conversation are followed too.
A dropped connection is resumed where it left off. Colour only on a terminal (NO_COLOR turns
it off).
--json prints each frame as one line of JSON: {"id", "type", "run_id", …} where type is
"event" (with event_id, event_type, event) or the lifecycle name (with run, input_request or
interrupt).

Runs until stopped: Ctrl-C exits with status 130. Exit status 1 when the conversation cannot
be followed (e.g. not found, no access).

${CONNECTION_HELP}`,
  options: {
    after: { type: "string" },
  },
  positionals: ["conversation_id"],
  async run({ client, io, style, json, signal }, parsed, [conversationId]) {
    const after = intOption(parsed, "after", 0);
    for await (const frame of client.conversation(conversationId!).follow({ after, signal })) {
      io.out(json ? `${JSON.stringify(frame)}\n` : frameLine(frame, style));
    }
    return 0; // not reached: the stream only ends through the signal (or an error)
  },
};
