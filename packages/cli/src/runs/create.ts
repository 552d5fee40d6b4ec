/**
 * `runline runs create --agent <agent_id>`: creates a run (`POST /runs`), in a new conversation
 * or an existing one, optionally as a child of another run, with a multitask strategy for a
 * conversation that already has an active run (docs/api.md §8).
 */
import { randomUUID } from "node:crypto";
import type { MultitaskStrategy } from "@runline/client";
import { type Parsed, stringOption, UsageError } from "../args.ts";
import { colourStatus } from "../format.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";

const STRATEGIES = [
  "allow",
  "reject",
  "enqueue",
  "interrupt",
] as const satisfies readonly MultitaskStrategy[];
const STATUSES = ["pending", "running"] as const;

export const create: RunsCommand = {
  name: "create",
  summary: "runs create --agent <agent_id> [--conversation id] [--multitask-strategy s]",
  help: `runline runs create — create a run

Usage:
  runline runs create --agent <agent_id> [--conversation <id>] [--parent <run_id>]
                      [--public-id <id>] [--status pending|running]
                      [--multitask-strategy allow|reject|enqueue|interrupt]
                      [--metadata <json object>] [--json]

Options:
  --agent <agent_id>        the agent to run (required)
  --conversation <id>       the conversation (a UUID) to create it in (default: a new one)
  --parent <run_id>         create it as a child of this run
  --public-id <id>          idempotency key: creating again returns the same run
  --status <status>         the initial status: pending (default: a worker claims it) or
                            running (an external producer writes its events)
  --multitask-strategy <s>  when the conversation already has an active root run:
                              allow      create it anyway (the default)
                              reject     fail with conversation_busy, naming the active runs
                              enqueue    create it pending, queued behind them; it becomes
                                         claimable once every earlier root run has ended
                              interrupt  cancel the active root runs (with their children)
  --metadata <json>         a JSON object stored with the run

Prints the new run's id, conversation and status. --json prints the server's reply:
{"run": <run summary>, …}. Needs a key with runs:write.

${CONNECTION_HELP}`,
  options: {
    agent: { type: "string" },
    conversation: { type: "string" },
    parent: { type: "string" },
    "public-id": { type: "string" },
    status: { type: "string" },
    "multitask-strategy": { type: "string" },
    metadata: { type: "string" },
  },
  positionals: [],
  async run({ client, io, style, json, signal }, parsed) {
    const agentId = stringOption(parsed, "agent");
    if (agentId === undefined) throw new UsageError("--agent <agent_id> is required");
    const conversationId = stringOption(parsed, "conversation") ?? randomUUID();
    const strategy = oneOf(parsed, "multitask-strategy", STRATEGIES);
    // A busy conversation (reject) fails with the server's detail, which names the active runs.
    const reply = await client.createRun(
      {
        kind: "agent",
        owner: { kind: "conversation", id: conversationId },
        request: {
          agent_id: agentId,
          initial_status: oneOf(parsed, "status", STATUSES),
          metadata: metadataOption(parsed),
        },
        parent_run_id: stringOption(parsed, "parent"),
        public_id: stringOption(parsed, "public-id"),
        multitask_strategy: strategy,
      },
      { signal },
    );
    if (json) {
      io.out(`${JSON.stringify(reply)}\n`);
      return 0;
    }
    const { run } = reply;
    const queued = run.queued_behind;
    io.out(
      `Created run ${run.run_id} in conversation ${run.owner.id}: ${colourStatus(run.status, style)}` +
        `${queued ? style.dim(` (queued behind ${queued})`) : ""}\n`,
    );
    return 0;
  },
};

/** A string option restricted to `allowed` (undefined when absent). */
function oneOf<T extends string>(
  parsed: Parsed,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = stringOption(parsed, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

function metadataOption(parsed: Parsed): Record<string, unknown> | undefined {
  const text = stringOption(parsed, "metadata");
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--metadata must be a JSON object, got "${text}"`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`--metadata must be a JSON object, got "${text}"`);
  }
  return value as Record<string, unknown>;
}
