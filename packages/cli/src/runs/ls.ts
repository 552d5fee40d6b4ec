/** `runline runs ls`: the project's runs, newest first, one page at a time. */
import type { RunListParams } from "@runline/client";
import { intOption, stringOption, UsageError } from "../args.ts";
import { colourStatus, table } from "../format.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";

type StatusFilter = NonNullable<RunListParams["status"]>;
const STATUSES = [
  "pending",
  "running",
  "waiting",
  "waiting_for_tool",
  "completed",
  "failed",
  "cancelled",
] as const satisfies readonly StatusFilter[];

export const ls: RunsCommand = {
  name: "ls",
  summary: "runs ls [--status s] [--agent id] [--conversation id] [--limit n] [--cursor c]",
  help: `runline runs ls — the project's runs, newest first

Usage:
  runline runs ls [--status <status>] [--agent <agent_id>] [--conversation <uuid>]
                  [--limit <1-100>] [--cursor <cursor>] [--json]

Options:
  --status <status>        ${STATUSES.join(" | ")}
  --agent <agent_id>       only this agent's runs
  --conversation <uuid>    only this conversation's runs
  --limit <n>              runs per page, 1-100 (default 20)
  --cursor <cursor>        the page after a previous one (its "next" cursor)

Prints a table; when there are more runs, stderr names the command for the next page.
--json prints the server's page as is: {"data": [...], "page_info": {...}}.

${CONNECTION_HELP}`,
  options: {
    status: { type: "string" },
    agent: { type: "string" },
    conversation: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
  },
  positionals: [],
  async run({ client, io, style, json, signal }, parsed) {
    const status = stringOption(parsed, "status");
    if (status !== undefined && !isStatus(status)) {
      throw new UsageError(`--status must be one of ${STATUSES.join(", ")}; got "${status}"`);
    }
    const params = {
      status,
      agent_id: stringOption(parsed, "agent"),
      conversation_id: stringOption(parsed, "conversation"),
      limit: intOption(parsed, "limit", 1),
      cursor: stringOption(parsed, "cursor"),
    };
    const page = await client.listRuns(params, { signal });
    if (json) {
      io.out(`${JSON.stringify(page)}\n`);
      return 0;
    }
    if (page.data.length === 0) {
      io.out(params.cursor ? "No more runs.\n" : "No runs.\n");
      return 0;
    }
    const rows = page.data.map((run) => [
      run.run_id,
      run.status,
      run.owner.id,
      run.created_at,
      run.completed_at ?? "-",
      run.parent_run_id ?? "-",
    ]);
    io.out(
      table(
        ["RUN ID", "STATUS", "CONVERSATION", "CREATED", "FINISHED", "PARENT"],
        rows,
        (text, i) => (i === 1 ? colourStatus(text, style) : text),
      ),
    );
    if (page.page_info.next) {
      const filters = Object.entries({
        status: params.status,
        agent: params.agent_id,
        conversation: params.conversation_id,
        limit: params.limit,
      }).flatMap(([name, value]) => (value === undefined ? [] : [`--${name} ${value}`]));
      const command = ["runline runs ls", ...filters, `--cursor ${page.page_info.next}`];
      io.err(`More runs: ${command.join(" ")}\n`);
    }
    return 0;
  },
};

function isStatus(value: string): value is StatusFilter {
  return (STATUSES as readonly string[]).includes(value);
}
