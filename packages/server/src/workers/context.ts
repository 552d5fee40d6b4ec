/** What the worker operations need besides the ledger: token signing, claim wake-ups, liveness. */
import type { ServerTokens } from "../auth/server-tokens.ts";
import type { LedgerContext } from "../ledger/context.ts";
import type { ClaimWakeups } from "./wakeups.ts";

export interface WorkersContext {
  ledger: LedgerContext;
  tokens: ServerTokens;
  wakeups: ClaimWakeups;
  /** A worker whose last heartbeat is older than this reads as `inactive`. */
  inactiveAfterSeconds: number;
}

/** `iso` moved by `seconds` (ISO-8601 UTC with milliseconds, like `LedgerContext.now`). */
export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString();
}
