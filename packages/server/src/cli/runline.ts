#!/usr/bin/env node
/**
 * `runline`: the shell command for operators — projects and API keys, against the store the
 * server is configured with. Run it as `node --import tsx packages/server/src/cli/runline.ts …`
 * (see `runline --help`); the logic lives in `commands.ts`.
 */
import { runCli } from "./commands.ts";

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
