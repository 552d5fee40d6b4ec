/**
 * The `runline` command: picks the command family and hands over. `serve` runs the server,
 * `projects`/`keys` act on its store (the server package's commands), `runs` talks to a server
 * over HTTP with `@runline/client`. Takes its arguments and `Io` as parameters; `main.ts` is the
 * process entry.
 *
 * Exit statuses everywhere: 0 done, 1 failed, 2 usage or configuration error (130 on Ctrl-C).
 */

import { runAdmin } from "./admin.ts";
import { UsageError } from "./args.ts";
import { runConversations } from "./conversations/index.ts";
import { EXIT, type Io } from "./io.ts";
import { runRuns } from "./runs/index.ts";
import { serve } from "./serve.ts";
import { runWebhooks } from "./webhooks/index.ts";

export const USAGE = `runline — run, administer and watch a Runline server

Usage:
  runline serve                          start the server (configured by the environment)
  runline projects create <name>         create a project and its admin API key
  runline projects list                  list the projects
  runline keys create|list|revoke …      manage a project's API keys
  runline runs ls                        list runs, newest first
  runline runs show <run_id>             a run's record
  runline runs create --agent <agent_id> create a run (--multitask-strategy for a busy
                                         conversation)
  runline runs events <run_id>           a page of a run's event log
  runline runs tail <run_id>             follow a run live until it ends
  runline runs cancel <run_id>           cancel a run
  runline runs rm <run_id>               delete an ended run and its descendants
  runline conversations tail <id>        follow a conversation live: all its runs
  runline conversations rm <id>          delete a conversation and all its runs
  runline runs inputs <conversation_id>  input requests waiting for an answer
  runline runs answer <conversation_id> <input_request_id>
                                         answer one, field by field
  runline webhooks add|ls|rm|deliveries  subscribe URLs to run changes, see deliveries
  runline --help

Run "runline <command> --help" for details, e.g. "runline runs tail --help".

serve, projects and keys work on the server's store: DATABASE_URL (PostgreSQL) when set,
else SQLite in RUNLINE_DATA_DIR (default ./data).
runs, conversations and webhooks commands talk to a server over HTTP: --url or RUNLINE_URL (default
http://127.0.0.1:8787), --key or RUNLINE_API_KEY.
--json makes output machine-readable.

Exit status: 0 done, 1 failed, 2 usage or configuration error.
`;

/** Runs one command line; resolves to the exit status. */
export async function runline(argv: readonly string[], io: Io): Promise<number> {
  const [noun, ...rest] = argv;
  switch (noun) {
    case "--help":
    case "-h":
    case "help":
      io.out(USAGE);
      return EXIT.ok;
    case undefined:
      io.err(USAGE);
      return EXIT.usage;
    case "serve":
      try {
        return await serve(rest, io);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        io.err(`runline: ${error.message}\nRun "runline serve --help" for usage.\n`);
        return EXIT.usage;
      }
    case "projects":
    case "keys":
      return runAdmin(argv, io);
    case "runs":
      return runRuns(rest, io);
    case "conversations":
      return runConversations(rest, io);
    case "webhooks":
      return runWebhooks(rest, io);
    default:
      io.err(`runline: unknown command "${noun}"\n\n${USAGE}`);
      return EXIT.usage;
  }
}
