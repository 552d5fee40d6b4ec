/**
 * What every ledger operation needs: the store, the cursor codec, a clock, and a hook that is
 * told after each commit which run advanced (the live hub listens there).
 */
import type { CursorCodec } from "../domain/cursor.ts";
import type { RunRow, RunStore } from "../store/types.ts";
import type { RunCache } from "./run-cache.ts";

export interface LedgerContext {
  store: RunStore;
  cursors: CursorCodec;
  /** The current time as an ISO-8601 UTC string with milliseconds. */
  now: () => string;
  /** Called after a transaction that changed `run` has committed. Must not throw. */
  committed: (run: RunRow) => void;
  /** Runs this instance appended to last, tried before reading (absent: always read). */
  runCache?: RunCache;
}
