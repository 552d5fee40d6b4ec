/** `runline runs show <run_id>`: a run's full record (status, cursors, timings, lineage, error). */
import { conversationOf } from "../connection.ts";
import { colourStatus } from "../format.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";

export const show: RunsCommand = {
  name: "show",
  summary: "runs show <run_id>",
  help: `runline runs show — a run's record

Usage:
  runline runs show <run_id> [--json]

Prints the run's agent run record, one field a line (fields that are null are left out).
--json prints the whole record, nulls included.

${CONNECTION_HELP}`,
  options: {},
  positionals: ["run_id"],
  async run({ client, io, style, json, signal }, _parsed, [runId]) {
    const conversationId = await conversationOf(client, runId!, { signal });
    const record = await client.getConversationRun(conversationId, runId!, { signal });
    if (json) {
      io.out(`${JSON.stringify(record)}\n`);
      return 0;
    }
    const fields = Object.entries(record).filter(([, value]) => value !== null);
    const width = Math.max(...fields.map(([name]) => name.length));
    for (const [name, value] of fields) {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      const shown = name === "status" ? colourStatus(text, style) : text;
      io.out(`${style.dim(name.padEnd(width))}  ${shown}\n`);
    }
    return 0;
  },
};
