/**
 * `runline serve`: starts the server exactly as `npm start` does, by running the server
 * package.s `main` entry (configuration from the environment; SIGTERM/SIGINT shut it down
 * gracefully; a configuration error exits with status 2).
 */
import { CONNECTION_OPTIONS, expectPositionals, parse } from "./args.ts";
import { EXIT, type Io } from "./io.ts";

export const SERVE_USAGE = `runline serve — start the Runline server

Usage:
  runline serve

Configured by the environment, as \`npm start\` is, for example:
  PORT                   port to listen on (default 8787)
  HOST                   address to listen on (default 0.0.0.0)
  DATABASE_URL           PostgreSQL (postgres://…); else SQLite in RUNLINE_DATA_DIR
  RUNLINE_DATA_DIR       where the SQLite database lives (default ./data, relative to the
                         current directory)
  RUNLINE_BOOTSTRAP_KEY  the admin key to create on an empty database (vf_<prefix>_<secret>)
  RUNLINE_LOG_LEVEL      fatal | error | warn | info | debug | trace | silent
The README's "Configuration" section lists every variable. SIGTERM or Ctrl-C shuts down
gracefully. Exit status: 2 for a configuration error, 1 when the server fails to start.
`;

/** Starts the server; resolves once it is starting (the process then keeps serving). */
export async function serve(argv: readonly string[], io: Io): Promise<number> {
  const parsed = parse(argv, { help: CONNECTION_OPTIONS.help });
  if (parsed.values.help === true) {
    io.out(SERVE_USAGE);
    return EXIT.ok;
  }
  expectPositionals("serve", parsed.positionals, []);
  await import("@runline/server/main");
  return EXIT.ok;
}
