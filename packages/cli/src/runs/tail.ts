/**
 * `runline runs tail <run_id>`: follows a run live until it ends.
 *
 * The SDK's `stream()` does the following: it replays the log after `--after`, then follows
 * live, and after a dropped connection it resumes by itself with `Last-Event-ID` (no event lost
 * or repeated). This command only renders what arrives (`TailRenderer`, or one JSON object a
 * line with `--json`) and decides the exit status:
 *
 * - 0 when the run ends with `RUN_FINISHED`;
 * - 1 when it ends with `RUN_ERROR` (failed or cancelled): the event is shown like any other,
 *   then stderr gets a final line `runline: run <id> ended with RUN_ERROR: <message> (<code>)`;
 * - the same two when `--after` is already past the end of a run that has ended (nothing is
 *   printed but the final line for a failed run);
 * - 130 on Ctrl-C.
 */
import { isTerminalEvent, type RunlineClient, type StreamedEvent } from "@runline/client";
import { intOption } from "../args.ts";
import { conversationOf } from "../connection.ts";
import { EXIT, type Io } from "../io.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";
import { TailRenderer } from "./tail-renderer.ts";

export const tail: RunsCommand = {
  name: "tail",
  summary: "runs tail <run_id> [--after n]",
  help: `runline runs tail — follow a run live until it ends

Usage:
  runline runs tail <run_id> [--after <event_id>] [--json]

Options:
  --after <event_id>   start after this event (default: from the first, then live)

Message text streams as it is written; tool calls and other events are short dim lines.
A dropped connection is resumed where it left off. Colour only on a terminal (NO_COLOR
turns it off).
--json prints each event as one line of JSON: {"event_id", "event_type", "event"}.

Exit status: 0 when the run finishes (RUN_FINISHED); 1 when it ends with RUN_ERROR (failed
or cancelled; stderr says why) or cannot be followed; 130 on Ctrl-C.

${CONNECTION_HELP}`,
  options: {
    after: { type: "string" },
  },
  positionals: ["run_id"],
  async run({ client, io, style, json, signal }, parsed, [runId]) {
    const afterEventId = intOption(parsed, "after", 0);
    const conversationId = await conversationOf(client, runId!, { signal });
    const renderer = new TailRenderer(io.out, style);
    let last: StreamedEvent | undefined;
    try {
      for await (const item of client
        .run(conversationId, runId!)
        .stream({ afterEventId, signal })) {
        if (json) io.out(`${JSON.stringify(item)}\n`);
        else renderer.render(item);
        last = item;
      }
    } finally {
      if (!json) renderer.finish();
    }
    if (last && isTerminalEvent(last.event_type)) return outcome(io, runId!, last);
    return endedEarlier(client, io, conversationId, runId!, signal);
  },
};

/** The exit status for the run's terminal event. */
function outcome(io: Io, runId: string, terminal: StreamedEvent): number {
  if (terminal.event_type === "RUN_FINISHED") return EXIT.ok;
  const { message, code } = terminal.event;
  const why = typeof message === "string" && message !== "" ? message : "no message";
  const codeText = typeof code === "string" ? ` (${code})` : "";
  io.err(`runline: run ${runId} ended with RUN_ERROR: ${why}${codeText}\n`);
  return EXIT.failure;
}

/** The stream ended without a terminal event: the run had ended before `--after`. */
async function endedEarlier(
  client: RunlineClient,
  io: Io,
  conversationId: string,
  runId: string,
  signal: AbortSignal,
): Promise<number> {
  const record = await client.getConversationRun(conversationId, runId, { signal });
  if (record.status === "completed") return EXIT.ok;
  const why = record.terminal_error_message ?? `status ${record.status}`;
  const code = record.terminal_error_code ? ` (${record.terminal_error_code})` : "";
  io.err(`runline: run ${runId} ended with RUN_ERROR: ${why}${code}\n`);
  return EXIT.failure;
}
