/** `runline runs ls`: the project's runs, newest first, one page at a time. */
import type { RunListParams, RunlineClient, RunSummary } from "@runline/client";
import { intOption, stringOption, UsageError } from "../args.ts";
import { colourStatus, shortDuration, shortId, shortTime, table, truncate } from "../format.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";

type StatusFilter = NonNullable<RunListParams["status"]>;
/**
 * Every status filter, once (help order). A record over the contract's type (its one enum,
 * `RunStatusFilterSchema`): a status the contract adds or drops fails to compile here. (The
 * client's JavaScript carries no zod, so the enum's runtime list is not importable.)
 */
const STATUS_FILTERS: Readonly<Record<StatusFilter, true>> = {
  pending: true,
  running: true,
  waiting: true,
  waiting_for_tool: true,
  completed: true,
  failed: true,
  cancelled: true,
};
const STATUSES = Object.keys(STATUS_FILTERS) as StatusFilter[];

export const ls: RunsCommand = {
  name: "ls",
  summary:
    "runs ls [--status s] [--agent id] [--conversation id] [--limit n] [--cursor c] [--full-ids]",
  help: `runline runs ls — the project's runs, newest first

Usage:
  runline runs ls [--status <status>] [--agent <agent_id>] [--conversation <uuid>]
                  [--limit <1-100>] [--cursor <cursor>] [--full-ids] [--json]

Options:
  --status <status>        ${STATUSES.join(" | ")}
  --agent <agent_id>       only this agent's runs
  --conversation <uuid>    only this conversation's runs
  --limit <n>              runs per page, 1-100 (default 20)
  --cursor <cursor>        the page after a previous one (its "next" cursor)
  --full-ids               print run and conversation ids whole (to copy into other commands)

Prints a table that fits 100 columns: long ids are shortened to what tells them apart (the
random tail of server-made ids: run_…3f9a2c1b), times are UTC to the minute, DURATION is from
start to finish (or to now while active). When there are more runs, stderr names the command
for the next page.
--json prints the server's page as is: {"data": [...], "page_info": {...}}.

${CONNECTION_HELP}`,
  options: {
    status: { type: "string" },
    agent: { type: "string" },
    conversation: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    "full-ids": { type: "boolean" },
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
    const agents = await agentsOf(client, page.data, params.agent_id, signal);
    const id = parsed.values["full-ids"] === true ? (text: string) => text : shortId;
    const now = Date.now();
    const rows = page.data.map((run) => [
      id(run.run_id),
      run.status,
      truncate(agents.get(run.run_id) ?? "?", 16),
      id(run.owner.id),
      shortTime(run.created_at),
      run.started_at
        ? shortDuration(
            (run.completed_at ? Date.parse(run.completed_at) : now) - Date.parse(run.started_at),
          )
        : "-",
      run.parent_run_id ? id(run.parent_run_id) : "-",
    ]);
    io.out(
      table(
        ["RUN ID", "STATUS", "AGENT", "CONVERSATION", "CREATED", "DURATION", "PARENT"],
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
        "full-ids": parsed.values["full-ids"] === true ? "" : undefined,
      }).flatMap(([name, value]) => (value === undefined ? [] : [`--${name} ${value}`.trimEnd()]));
      const command = ["runline runs ls", ...filters, `--cursor ${page.page_info.next}`];
      io.err(`More runs: ${command.join(" ")}\n`);
    }
    return 0;
  },
};

/**
 * Each run's agent. The canonical summary a listing returns has none, so it comes from the runs'
 * records (one request each, in parallel; a page holds at most 100) — unless the listing was
 * filtered by agent, which names it already.
 */
async function agentsOf(
  client: RunlineClient,
  runs: RunSummary[],
  agentFilter: string | undefined,
  signal: AbortSignal,
): Promise<Map<string, string>> {
  if (agentFilter !== undefined) return new Map(runs.map((run) => [run.run_id, agentFilter]));
  const records = await Promise.all(
    runs.map((run) => client.getConversationRun(run.owner.id, run.run_id, { signal })),
  );
  return new Map(records.map((record) => [record.run_id, record.agent_id]));
}

function isStatus(value: string): value is StatusFilter {
  return (STATUSES as readonly string[]).includes(value);
}
