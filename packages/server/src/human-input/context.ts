/** What the human-input operations need besides the ledger's context. */
import type { LedgerContext } from "../ledger/context.ts";
import type { InputRequestWakeups } from "./wakeups.ts";

/**
 * Changes (created, submitted, cancelled, expired; interrupts opened and closed) are recorded on
 * the transaction that makes them (`store/changes.ts`); the store's journal tells listeners.
 */
export interface HumanInputContext extends LedgerContext {
  /** Long-polling reads of input requests wait here. */
  inputRequestWakeups: InputRequestWakeups;
}
