/**
 * `runline webhooks add|ls|rm|deliveries` (docs/api.md §10). `add` prints the signing secret,
 * which the server shows only once.
 */
import type { WebhookEventType } from "@runline/client";
import { WEBHOOK_EVENT_TYPES } from "@runline/contract";
import { intOption, stringOption, UsageError } from "../args.ts";
import { shortTime, table, truncate } from "../format.ts";
import { CONNECTION_HELP, type RunsCommand } from "../runs/command.ts";

/** The event types a webhook can subscribe to (docs/api.md §10). */
const EVENT_TYPES: readonly WebhookEventType[] = WEBHOOK_EVENT_TYPES;

function eventList(text: string): WebhookEventType[] {
  const types = text
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  if (types.length === 0) throw new UsageError("--events must name at least one event type");
  for (const type of types) {
    if (!(EVENT_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(
        `--events: unknown event type "${type}"; one of ${EVENT_TYPES.join(", ")}`,
      );
    }
  }
  return types as WebhookEventType[];
}

export const add: RunsCommand = {
  name: "add",
  summary: "webhooks add <url> --events <type,…> [--description text]",
  help: `runline webhooks add — subscribe a URL to changes of the project's runs

Usage:
  runline webhooks add <url> --events <type,…> [--description <text>] [--json]

Options:
  --events <type,…>       comma-separated, from: ${EVENT_TYPES.join(", ")}
  --description <text>    a note for people

Prints the webhook's id and its signing secret (whsec_…). The secret is shown only now: keep
it where the receiver can read it. Deliveries follow the Standard Webhooks specification
(webhook-id, webhook-timestamp, webhook-signature headers): see docs/operations.md. The URL must
be http(s) and not point at a loopback, private or link-local address (unless the server runs
with RUNLINE_WEBHOOKS_ALLOW_PRIVATE=true). --json prints the server's answer, secret included.

${CONNECTION_HELP}`,
  options: {
    events: { type: "string" },
    description: { type: "string" },
  },
  positionals: ["url"],
  async run({ client, io, json, signal }, parsed, [url]) {
    const events = stringOption(parsed, "events");
    if (events === undefined) throw new UsageError("--events is required");
    const created = await client.createWebhook(
      { url: url!, events: eventList(events), description: stringOption(parsed, "description") },
      { signal },
    );
    io.out(
      json
        ? `${JSON.stringify(created)}\n`
        : `Created webhook ${created.id} for ${created.url}\n` +
            `Events: ${created.events.join(", ")}\n` +
            `Signing secret (shown only now): ${created.secret}\n`,
    );
    return 0;
  },
};

export const ls: RunsCommand = {
  name: "ls",
  summary: "webhooks ls",
  help: `runline webhooks ls — the project's webhooks, oldest first

Usage:
  runline webhooks ls [--json]

Never shows a secret. --json prints the server's answer: {"data": [...]}.

${CONNECTION_HELP}`,
  options: {},
  positionals: [],
  async run({ client, io, json, signal }) {
    const { data } = await client.listWebhooks({ signal });
    if (json) {
      io.out(`${JSON.stringify({ data })}\n`);
      return 0;
    }
    if (data.length === 0) {
      io.out("No webhooks.\n");
      return 0;
    }
    io.out(
      table(
        ["ID", "URL", "EVENTS", "CREATED"],
        data.map((w) => [
          w.id,
          truncate(w.url, 40),
          truncate(w.events.join(","), 40),
          shortTime(w.created_at),
        ]),
      ),
    );
    return 0;
  },
};

export const rm: RunsCommand = {
  name: "rm",
  summary: "webhooks rm <webhook_id>",
  help: `runline webhooks rm — delete a webhook

Usage:
  runline webhooks rm <webhook_id> [--json]

Nothing more is delivered to it from now on; its deliveries are purged in the background.
--json prints {"deleted": "<webhook_id>"}.

${CONNECTION_HELP}`,
  options: {},
  positionals: ["webhook_id"],
  async run({ client, io, json, signal }, _parsed, [id]) {
    await client.deleteWebhook(id!, { signal });
    io.out(json ? `${JSON.stringify({ deleted: id })}\n` : `Deleted webhook ${id}.\n`);
    return 0;
  },
};

export const deliveries: RunsCommand = {
  name: "deliveries",
  summary: "webhooks deliveries <webhook_id> [--limit n] [--cursor c]",
  help: `runline webhooks deliveries — a webhook's deliveries, newest first

Usage:
  runline webhooks deliveries <webhook_id> [--limit <1-100>] [--cursor <cursor>] [--json]

Options:
  --limit <n>         deliveries per page, 1-100 (default 20)
  --cursor <cursor>   the page after a previous one (its "next" cursor)

Each delivery's ID is the webhook-id header the receiver got (the same on every attempt).
STATUS is pending (NEXT is when it is tried again), delivered or failed (every retry used).
When there are more, stderr names the command for the next page.
--json prints the server's page as is: {"data": [...], "page_info": {...}}.

${CONNECTION_HELP}`,
  options: {
    limit: { type: "string" },
    cursor: { type: "string" },
  },
  positionals: ["webhook_id"],
  async run({ client, io, json, signal }, parsed, [id]) {
    const params = { limit: intOption(parsed, "limit", 1), cursor: stringOption(parsed, "cursor") };
    const page = await client.listWebhookDeliveries(id!, params, { signal });
    if (json) {
      io.out(`${JSON.stringify(page)}\n`);
      return 0;
    }
    if (page.data.length === 0) {
      io.out(params.cursor ? "No more deliveries.\n" : "No deliveries.\n");
      return 0;
    }
    io.out(
      table(
        ["ID", "TYPE", "STATUS", "ATTEMPTS", "LAST", "NEXT", "CREATED"],
        page.data.map((d) => [
          d.id,
          d.type,
          d.status,
          String(d.attempts),
          truncate(
            d.last_status_code !== null ? String(d.last_status_code) : (d.last_error ?? "-"),
            24,
          ),
          d.next_attempt_at ? shortTime(d.next_attempt_at) : "-",
          shortTime(d.created_at),
        ]),
      ),
    );
    if (page.page_info.next) {
      const limit = params.limit === undefined ? "" : ` --limit ${params.limit}`;
      io.err(
        `More deliveries: runline webhooks deliveries ${id}${limit} --cursor ${page.page_info.next}\n`,
      );
    }
    return 0;
  },
};
