/** `runline runs inputs <conversation_id>`: the input requests of a conversation waiting for answers. */
import type { InputRequestStatus } from "@runline/client";
import { UsageError } from "../args.ts";
import { table, truncate } from "../format.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";

/** Every input request status, once: a record over the contract's type, so drift is a compile error. */
const STATUS_SET: Readonly<Record<InputRequestStatus, true>> = {
  open: true,
  submitted: true,
  cancelled: true,
  expired: true,
};
const STATUSES = Object.keys(STATUS_SET) as InputRequestStatus[];

export const inputs: RunsCommand = {
  name: "inputs",
  summary: "runs inputs <conversation_id> [--status open|submitted|cancelled|expired|all]",
  help: `runline runs inputs — input requests of a conversation (human in the loop)

Usage:
  runline runs inputs <conversation_id> [--status <status>] [--json]

Lists the conversation's open input requests (newest first): what an agent asked, of whom,
its fields (* = required) and when it expires. Answer one with "runline runs answer".

Options:
  --status <s>   open (default), submitted, cancelled, expired, or all

--json prints the requests as a JSON array.

${CONNECTION_HELP}`,
  options: { status: { type: "string" } },
  positionals: ["conversation_id"],
  async run({ client, io, json, signal }, parsed, [conversationId]) {
    const wanted = (parsed.values.status as string | undefined) ?? "open";
    if (wanted !== "all" && !(STATUSES as readonly string[]).includes(wanted)) {
      throw new UsageError(
        `--status must be one of ${STATUSES.join(", ")} or all, got "${wanted}"`,
      );
    }
    const status = wanted === "all" ? undefined : (wanted as InputRequestStatus);
    const requests = [];
    let cursor: string | undefined;
    do {
      const page = await client.humanInput.listInputRequests(
        conversationId!,
        { limit: 100, ...(status && { status }), ...(cursor && { cursor }) },
        { signal },
      );
      requests.push(...page.data);
      cursor = page.page_info.next ?? undefined;
    } while (cursor);
    if (json) {
      io.out(`${JSON.stringify(requests)}\n`);
      return 0;
    }
    if (requests.length === 0) {
      io.out(
        `No ${status ?? ""} input requests in conversation ${conversationId}.\n`.replace("  ", " "),
      );
      return 0;
    }
    io.out(
      table(
        ["ID", "STATUS", "RUN", "TITLE", "FIELDS", "EXPIRES"],
        requests.map((r) => [
          r.id,
          r.status,
          r.run_id,
          truncate(r.title, 40),
          truncate(
            r.fields.map((f) => `${String(f.name)}${f.required === true ? "*" : ""}`).join(", "),
            40,
          ),
          r.expires_at,
        ]),
      ),
    );
    return 0;
  },
};
