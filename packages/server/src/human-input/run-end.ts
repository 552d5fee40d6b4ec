/**
 * What ending a run means for human input (docs/api.md §7, §7.5), inside the ending transaction:
 * its open input requests are cancelled, and a completed run's interrupt outcome opens its
 * interrupts. The changes travel on the ended run row to the commit hook (`changes.ts`).
 */
import type { RunOutcomeInput } from "@runline/contract";
import type { RunRow, RunStoreTx } from "../store/types.ts";
import { attachToRun, inputRequestChange } from "./changes.ts";
import { openInterrupts } from "./interrupts.ts";

export async function endHumanInput(
  tx: RunStoreTx,
  ended: RunRow,
  outcome: RunOutcomeInput | undefined,
  now: string,
): Promise<RunRow> {
  const cancelled = await tx.humanInput.cancelOpenInputRequestsOfRun(ended.pk, now);
  const opened = await openInterrupts(tx, ended, outcome, now);
  return attachToRun(ended, [
    ...cancelled.map((row) => inputRequestChange("input_request.cancelled", row)),
    ...opened,
  ]);
}
