/** `runline webhooks …`: manage a project's webhooks and look at their deliveries, over HTTP. */
import { runCommandGroup } from "../command-group.ts";
import type { Io } from "../io.ts";
import { CONNECTION_HELP, type RunsCommand } from "../runs/command.ts";
import { add, deliveries, ls, rm } from "./commands.ts";

const COMMANDS: readonly RunsCommand[] = [add, ls, rm, deliveries];

export const WEBHOOKS_USAGE = `runline webhooks — subscribe URLs to run and input-request changes, over HTTP

Usage:
${COMMANDS.map((c) => `  runline ${c.summary}`).join("\n")}

Run "runline webhooks <command> --help" for one command's options. Needs a key with admin.

${CONNECTION_HELP}`;

/** Runs `runline webhooks <argv…>`; resolves to the exit status. */
export function runWebhooks(argv: readonly string[], io: Io): Promise<number> {
  return runCommandGroup({ noun: "webhooks", commands: COMMANDS, usage: WEBHOOKS_USAGE }, argv, io);
}
