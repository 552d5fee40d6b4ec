/**
 * The internal hook for human-input state changes: every time an input request is created,
 * submitted, cancelled or expired, or an interrupt opens or closes, a `HumanInputChange` is
 * announced here after its transaction committed. Today it wakes long-polls (here and, over
 * PostgreSQL NOTIFY, on other instances); conversation streams (`input_request.*` /
 * `interrupt.*` frames, docs/api.md §8) and webhooks (§10) subscribe with `on`.
 *
 * Changes that ride along a run's own transaction (ending a run cancels its open requests and
 * opens the interrupts of its outcome) are attached to the run row that transaction returns
 * (`attachToRun`), and announced from the ledger's commit hook (`takeFromRun`), so the run
 * operations need not know who listens.
 */
import type { InputRequestRow, InterruptRow } from "../store/human-input.ts";
import type { RunRow } from "../store/types.ts";

export type InputRequestChangeType =
  | "input_request.created"
  | "input_request.submitted"
  | "input_request.cancelled"
  | "input_request.expired";
export type InterruptChangeType = "interrupt.opened" | "interrupt.closed";

/** Rows as committed, secrets included: listeners that publish must strip them (`withoutSecrets`). */
export type HumanInputChange =
  | { type: InputRequestChangeType; inputRequest: InputRequestRow }
  | { type: InterruptChangeType; interrupt: InterruptRow };

export type HumanInputListener = (change: HumanInputChange) => void;

export class HumanInputHub {
  readonly #listeners = new Set<HumanInputListener>();

  /** Subscribes; returns the unsubscribe function. Listeners must not throw. */
  on(listener: HumanInputListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called after the change committed. */
  announce(change: HumanInputChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A faulty listener must not undo or hide a committed change from the others.
      }
    }
  }
}

const carried = new WeakMap<RunRow, HumanInputChange[]>();

/** Records changes made in the transaction that produced `run` (announced once it commits). */
export function attachToRun(run: RunRow, changes: readonly HumanInputChange[]): RunRow {
  if (changes.length > 0) carried.set(run, [...(carried.get(run) ?? []), ...changes]);
  return run;
}

/** The changes carried by a committed run row (each returned once). */
export function takeFromRun(run: RunRow): HumanInputChange[] {
  const changes = carried.get(run) ?? [];
  carried.delete(run);
  return changes;
}

export const inputRequestChange = (
  type: InputRequestChangeType,
  inputRequest: InputRequestRow,
): HumanInputChange => ({ type, inputRequest });

export const interruptChange = (
  type: InterruptChangeType,
  interrupt: InterruptRow,
): HumanInputChange => ({ type, interrupt });
