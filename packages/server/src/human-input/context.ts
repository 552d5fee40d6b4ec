/** What the human-input operations need besides the ledger's context. */
import type { LedgerContext } from "../ledger/context.ts";
import type { HumanInputHub } from "./changes.ts";
import type { InputRequestWakeups } from "./wakeups.ts";

export interface HumanInputContext extends LedgerContext {
  /** Told every committed change (long-poll wake-ups, other instances, streams, webhooks). */
  humanInput: HumanInputHub;
  /** Long-polling reads of input requests wait here. */
  inputRequestWakeups: InputRequestWakeups;
}
