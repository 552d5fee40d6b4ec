/**
 * `runline runs …`: the commands that work on runs over HTTP. Picks the verb, parses its
 * options (strict), prints help, connects, runs it and maps failures to exit statuses.
 */
import { CONNECTION_OPTIONS, expectPositionals, parse, UsageError } from "../args.ts";
import { connect, reportFailure } from "../connection.ts";
import { EXIT, type Io, styleFor } from "../io.ts";
import { answer } from "./answer.ts";
import { cancel } from "./cancel.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";
import { events } from "./events.ts";
import { inputs } from "./inputs.ts";
import { ls } from "./ls.ts";
import { show } from "./show.ts";
import { tail } from "./tail.ts";

const COMMANDS: readonly RunsCommand[] = [ls, show, events, tail, cancel, inputs, answer];

export const RUNS_USAGE = `runline runs — list, inspect, follow and cancel runs, and answer their input requests, over HTTP

Usage:
${COMMANDS.map((c) => `  runline ${c.summary}`).join("\n")}

Run "runline runs <command> --help" for one command's options.

${CONNECTION_HELP}`;

/** Runs `runline runs <argv…>`; resolves to the exit status. */
export async function runRuns(argv: readonly string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === "--help" || verb === "-h") {
    io.out(RUNS_USAGE);
    return EXIT.ok;
  }
  if (verb === undefined) {
    io.err(RUNS_USAGE);
    return EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === verb);
  if (!command) {
    io.err(`runline: unknown command "runs ${verb}"\n\n${RUNS_USAGE}`);
    return EXIT.usage;
  }
  let url = "";
  try {
    const parsed = parse(rest, { ...CONNECTION_OPTIONS, ...command.options });
    if (parsed.values.help === true) {
      io.out(command.help);
      return EXIT.ok;
    }
    const args = expectPositionals(`runs ${verb}`, parsed.positionals, command.positionals);
    const connection = connect(parsed, io.env);
    url = connection.url;
    return await command.run(
      {
        ...connection,
        io,
        style: styleFor(io.colour),
        json: parsed.values.json === true,
        signal: io.interruption(),
      },
      parsed,
      args,
    );
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`runline: ${error.message}\nRun "runline runs ${verb} --help" for usage.\n`);
      return EXIT.usage;
    }
    return reportFailure(error, io, url);
  }
}
