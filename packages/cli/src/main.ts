/**
 * Process entry of `runline` (loaded by `bin/runline.mjs` once tsx is registered): runs the
 * command line and sets the exit status. A closed stdout (e.g. `runline runs tail … | head`)
 * ends the process quietly.
 */
import { runline } from "./cli.ts";
import { processIo } from "./io.ts";

process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

process.exitCode = await runline(process.argv.slice(2), processIo());
