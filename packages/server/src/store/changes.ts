/**
 * The changes other systems hear about — a run created, a run's status changed, an input
 * request or interrupt opened or closed — recorded by the operation that makes them
 * (`tx.record`) inside its transaction.
 *
 * Two kinds of subscriber, registered on the store's `changes` journal:
 * - **writers** run inside the same transaction, after the operation and before COMMIT, with
 *   every change it recorded: what they write commits or rolls back with the change itself
 *   (conversation-stream frames, webhook outbox rows — never lost, never reported for a change
 *   that did not happen);
 * - **listeners** are told once the transaction committed (long-poll wake-ups, other instances).
 *
 * So an operation records what it did once and need not know who listens.
 */
import type { RunStatus } from "@runline/contract";
import type { InputRequestRow, InterruptRow } from "./human-input.ts";
import type { RunRow, RunStoreTx, RunStoreTxOps } from "./types.ts";

export type InputRequestChangeType =
  | "input_request.created"
  | "input_request.submitted"
  | "input_request.cancelled"
  | "input_request.expired";
export type InterruptChangeType = "interrupt.opened" | "interrupt.closed";

/** Input request and interrupt changes (rows as committed, secrets included). */
export type HumanInputChange =
  | { type: InputRequestChangeType; inputRequest: InputRequestRow }
  | { type: InterruptChangeType; interrupt: InterruptRow };

/** Run changes: `run` as the transaction leaves it. */
export type RunChange =
  | { type: "run.created"; run: RunRow }
  | { type: "run.status"; run: RunRow; previous: RunStatus };

export type RecordedChange = RunChange | HumanInputChange;

/** Runs inside the transaction, before COMMIT; throwing rolls the whole transaction back. */
export type ChangeWriter = (tx: RunStoreTx, changes: readonly RecordedChange[]) => Promise<void>;
/** Told after COMMIT. Must not throw (a throw is swallowed: the change stands). */
export type ChangeListener = (changes: readonly RecordedChange[]) => void;

export class ChangeJournal {
  readonly #writers = new Set<ChangeWriter>();
  readonly #listeners = new Set<ChangeListener>();

  /** Adds a writer for every later transaction; returns the function that removes it. */
  addWriter(writer: ChangeWriter): () => void {
    this.#writers.add(writer);
    return () => this.#writers.delete(writer);
  }

  /** Subscribes to committed changes; returns the unsubscribe function. */
  onCommitted(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Wraps a store's raw transaction: `fn` gets a transaction that records changes; the writers
   * see them before `rawTransaction` commits, the listeners after. A retried body (`rawTransaction`
   * may run it again) starts with an empty record.
   */
  async transaction<T>(
    rawTransaction: <R>(body: (tx: RunStoreTxOps) => Promise<R>) => Promise<R>,
    fn: (tx: RunStoreTx) => Promise<T>,
  ): Promise<T> {
    let recorded: RecordedChange[] = [];
    const value = await rawTransaction(async (raw) => {
      recorded = [];
      const tx: RunStoreTx = Object.assign(Object.create(raw) as RunStoreTx, {
        record: (change: RecordedChange) => {
          recorded.push(change);
        },
      });
      const result = await fn(tx);
      if (recorded.length > 0) {
        for (const writer of this.#writers) await writer(tx, recorded);
      }
      return result;
    });
    if (recorded.length > 0) this.#announce(recorded);
    return value;
  }

  #announce(changes: readonly RecordedChange[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(changes);
      } catch {
        // A faulty listener must not undo or hide a committed change from the others.
      }
    }
  }
}

export const inputRequestChange = (
  type: InputRequestChangeType,
  inputRequest: InputRequestRow,
): HumanInputChange => ({ type, inputRequest });

export const interruptChange = (
  type: InterruptChangeType,
  interrupt: InterruptRow,
): HumanInputChange => ({ type, interrupt });

export function isHumanInputChange(change: RecordedChange): change is HumanInputChange {
  return "inputRequest" in change || "interrupt" in change;
}
