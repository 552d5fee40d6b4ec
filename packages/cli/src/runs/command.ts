/** The shape of one `runline runs <verb>` command and what it gets to work with. */

import type { ParseArgsConfig } from "node:util";
import type { RunlineClient } from "@runline/client";
import type { Parsed } from "../args.ts";
import type { Io, Style } from "../io.ts";

export interface RunsContext {
  client: RunlineClient;
  url: string;
  io: Io;
  style: Style;
  /** `--json`: machine-readable output on stdout. */
  json: boolean;
  /** Aborted on Ctrl-C; pass it to every request. */
  signal: AbortSignal;
}

export interface RunsCommand {
  /** The verb, e.g. `ls`. */
  name: string;
  /** One line for `runline runs --help`. */
  summary: string;
  /** The command's own `--help` text. */
  help: string;
  /** Options besides `--url`, `--key`, `--json`, `--help`. */
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Names of the positional arguments it requires, in order. */
  positionals: string[];
  /** Does the work; resolves to the exit status. Throws client errors and `UsageError`s. */
  run(context: RunsContext, parsed: Parsed, args: string[]): Promise<number>;
}

/** The connection options, for the end of each command's help. */
export const CONNECTION_HELP = `Connection:
  --url <url>     the server (default: RUNLINE_URL, else http://127.0.0.1:8787)
  --key <key>     an API key or bearer token (default: RUNLINE_API_KEY)
  --json          machine-readable output
  -h, --help      this help
`;
