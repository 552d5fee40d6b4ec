/**
 * `runline projects …` and `runline keys …`: handed to the server package's own command module
 * (`@runline/server/admin`), which writes to the configured store directly. It is
 * loaded only for these commands, so the `runs` commands never open a database driver.
 */
import type { Io } from "./io.ts";

/** Runs a projects/keys command line (the noun included); resolves to the exit status. */
export async function runAdmin(argv: readonly string[], io: Io): Promise<number> {
  const { runCli } = await import("@runline/server/admin");
  return runCli(argv, io, io.env);
}
