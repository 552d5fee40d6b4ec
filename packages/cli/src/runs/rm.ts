/** `runline runs rm <run_id>`: deletes an ended run and its descendants (docs/api.md §9). */
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";

export const rm: RunsCommand = {
  name: "rm",
  summary: "runs rm <run_id>",
  help: `runline runs rm — delete a run and its descendants

Usage:
  runline runs rm <run_id> [--json]

Deletes an ended run together with every run it spawned: their event logs and records are
erased (the server purges the rows in the background within moments). The run then answers
410 run_deleted, and its id cannot be used again for at least 30 days. A run that is still
active (or has an active descendant) is refused: cancel it first (runline runs cancel
--cascade). Needs a key with runs:write. --json prints {"deleted": "<run_id>"}.

${CONNECTION_HELP}`,
  options: {},
  positionals: ["run_id"],
  async run({ client, io, json, signal }, _parsed, [runId]) {
    await client.deleteRun(runId!, { signal });
    io.out(json ? `${JSON.stringify({ deleted: runId })}\n` : `Deleted run ${runId}.\n`);
    return 0;
  },
};
