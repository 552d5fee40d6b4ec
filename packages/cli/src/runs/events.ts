/** `runline runs events <run_id>`: one page of a run's stored event log, oldest first. */
import { intOption } from "../args.ts";
import { conversationOf } from "../connection.ts";
import { eventDetail } from "../format.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";

export const events: RunsCommand = {
  name: "events",
  summary: "runs events <run_id> [--after n] [--limit n]",
  help: `runline runs events — a page of a run's event log

Usage:
  runline runs events <run_id> [--after <event_id>] [--limit <1-500>] [--json]

Options:
  --after <event_id>   start after this event (default: from the first)
  --limit <n>          events per page, 1-500 (default 100)

Prints one event a line: id, time, type and the event's fields (shortened). When the log
goes on, stderr names the command for the next page.
--json prints the server's page as is: {"data": [{event_id, event_type, event, created_at}],
"page_info": {...}}, with each AG-UI event verbatim.

${CONNECTION_HELP}`,
  options: {
    after: { type: "string" },
    limit: { type: "string" },
  },
  positionals: ["run_id"],
  async run({ client, io, style, json, signal }, parsed, [runId]) {
    const after = intOption(parsed, "after", 0);
    const limit = intOption(parsed, "limit", 1);
    const conversationId = await conversationOf(client, runId!, { signal });
    const page = await client.listEvents(
      conversationId,
      runId!,
      { after_event_id: after, limit },
      { signal },
    );
    if (json) {
      io.out(`${JSON.stringify(page)}\n`);
      return 0;
    }
    if (page.data.length === 0) {
      io.out(after ? `No events after ${after}.\n` : "No events yet.\n");
      return 0;
    }
    const idWidth = String(page.data.at(-1)!.event_id).length;
    const typeWidth = Math.max(...page.data.map((e) => e.event_type.length));
    for (const { event_id, event_type, event, created_at } of page.data) {
      const detail = eventDetail(event, 100);
      io.out(
        `${String(event_id).padStart(idWidth)}  ${style.dim(created_at)}  ` +
          `${event_type.padEnd(typeWidth)}  ${detail}`.trimEnd() +
          "\n",
      );
    }
    if (page.page_info.next !== null) {
      const limitOption = limit === undefined ? "" : ` --limit ${limit}`;
      io.err(
        `More events: runline runs events ${runId} --after ${page.page_info.next}${limitOption}\n`,
      );
    }
    return 0;
  },
};
