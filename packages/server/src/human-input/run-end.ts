/**
 * What ending a run means for human input (docs/api.md §7, §7.5), inside the ending transaction:
 * its open input requests are cancelled, and a completed run's interrupt outcome opens its
 * interrupts. Each change is recorded on the transaction (`store/changes.ts`).
 */
import type { RunOutcomeInput } from "@runline/contract";
import { inputRequestChange } from "../store/changes.ts";
import type { RunRow, RunStoreTx } from "../store/types.ts";
import { openInterrupts } from "./interrupts.ts";

export async function endHumanInput(
  tx: RunStoreTx,
  ended: RunRow,
  outcome: RunOutcomeInput | undefined,
  now: string,
): Promise<RunRow> {
  const cancelled = await tx.humanInput.cancelOpenInputRequestsOfRun(ended.pk, now);
  for (const row of cancelled) tx.record(inputRequestChange("input_request.cancelled", row));
  await openInterrupts(tx, ended, outcome, now);
  return ended;
}
