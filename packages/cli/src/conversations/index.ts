/** `runline conversations …`: the commands that work on conversations over HTTP. */
import { runCommandGroup } from "../command-group.ts";
import type { Io } from "../io.ts";
import { CONNECTION_HELP, type RunsCommand } from "../runs/command.ts";
import { rm } from "./rm.ts";
import { tail } from "./tail.ts";

const COMMANDS: readonly RunsCommand[] = [tail, rm];

export const CONVERSATIONS_USAGE = `runline conversations — follow and delete conversations over HTTP

Usage:
${COMMANDS.map((c) => `  runline ${c.summary}`).join("\n")}

Run "runline conversations <command> --help" for one command's options.

${CONNECTION_HELP}`;

/** Runs `runline conversations <argv…>`; resolves to the exit status. */
export function runConversations(argv: readonly string[], io: Io): Promise<number> {
  return runCommandGroup(
    { noun: "conversations", commands: COMMANDS, usage: CONVERSATIONS_USAGE },
    argv,
    io,
  );
}
