/** `runline runs …`: the commands that work on runs over HTTP. */
import { runCommandGroup } from "../command-group.ts";
import type { Io } from "../io.ts";
import { answer } from "./answer.ts";
import { cancel } from "./cancel.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";
import { create } from "./create.ts";
import { events } from "./events.ts";
import { inputs } from "./inputs.ts";
import { ls } from "./ls.ts";
import { rm } from "./rm.ts";
import { show } from "./show.ts";
import { tail } from "./tail.ts";

const COMMANDS: readonly RunsCommand[] = [
  ls,
  show,
  create,
  events,
  tail,
  cancel,
  rm,
  inputs,
  answer,
];

export const RUNS_USAGE = `runline runs — list, inspect, create, follow, cancel and delete runs, and answer their input requests, over HTTP

Usage:
${COMMANDS.map((c) => `  runline ${c.summary}`).join("\n")}

Run "runline runs <command> --help" for one command's options.

${CONNECTION_HELP}`;

/** Runs `runline runs <argv…>`; resolves to the exit status. */
export function runRuns(argv: readonly string[], io: Io): Promise<number> {
  return runCommandGroup({ noun: "runs", commands: COMMANDS, usage: RUNS_USAGE }, argv, io);
}
