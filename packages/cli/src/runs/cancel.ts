/** `runline runs cancel <run_id>`: ends an active run as cancelled (optionally its descendants). */
import { conversationOf } from "../connection.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";

export const cancel: RunsCommand = {
  name: "cancel",
  summary: "runs cancel <run_id> [--cascade]",
  help: `runline runs cancel — cancel a run

Usage:
  runline runs cancel <run_id> [--cascade] [--json]

Options:
  --cascade   cancel every active descendant of the run too

The server appends RUN_ERROR {code: "cancelled"} and the run's followers see it end. A run that
has already ended is left as it is; that is not an error (exit status 0, and the message says
so). --json prints the server's reply: {"cancelled": true|false, "run": {...}}.

${CONNECTION_HELP}`,
  options: {
    cascade: { type: "boolean" },
  },
  positionals: ["run_id"],
  async run({ client, io, json, signal }, parsed, [runId]) {
    const cascade = parsed.values.cascade === true;
    const conversationId = await conversationOf(client, runId!, { signal });
    const reply = await client.cancelRun(conversationId, runId!, { cascade }, { signal });
    if (json) {
      io.out(`${JSON.stringify(reply)}\n`);
    } else if (reply.cancelled) {
      io.out(`Cancelled run ${runId}${cascade ? " and its active descendants" : ""}.\n`);
    } else {
      io.out(`Run ${runId} had already ended (${reply.run.status}); nothing changed.\n`);
    }
    return 0;
  },
};
