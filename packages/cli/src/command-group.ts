/**
 * Runs one command of an HTTP command family (`runline runs …`, `runline conversations …`):
 * picks the verb, parses its options (strict), prints help, connects, runs it and maps
 * failures to exit statuses.
 */
import { CONNECTION_OPTIONS, expectPositionals, parse, UsageError } from "./args.ts";
import { connect, reportFailure } from "./connection.ts";
import { EXIT, type Io, styleFor } from "./io.ts";
import type { RunsCommand } from "./runs/command.ts";

export interface CommandGroup {
  /** The noun, e.g. `runs`. */
  noun: string;
  commands: readonly RunsCommand[];
  usage: string;
}

/** Runs `runline <noun> <argv…>`; resolves to the exit status. */
export async function runCommandGroup(
  group: CommandGroup,
  argv: readonly string[],
  io: Io,
): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === "--help" || verb === "-h") {
    io.out(group.usage);
    return EXIT.ok;
  }
  if (verb === undefined) {
    io.err(group.usage);
    return EXIT.usage;
  }
  const command = group.commands.find((c) => c.name === verb);
  if (!command) {
    io.err(`runline: unknown command "${group.noun} ${verb}"\n\n${group.usage}`);
    return EXIT.usage;
  }
  let url = "";
  try {
    const parsed = parse(rest, { ...CONNECTION_OPTIONS, ...command.options });
    if (parsed.values.help === true) {
      io.out(command.help);
      return EXIT.ok;
    }
    const args = expectPositionals(
      `${group.noun} ${verb}`,
      parsed.positionals,
      command.positionals,
    );
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
      io.err(`runline: ${error.message}\nRun "runline ${group.noun} ${verb} --help" for usage.\n`);
      return EXIT.usage;
    }
    return reportFailure(error, io, url);
  }
}
