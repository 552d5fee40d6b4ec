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
import type { StreamPosition } from "./conversation-frames.ts";
import type { InputRequestRow, InterruptRow } from "./human-input.ts";
import type { NewEvent, RunRow, RunStoreTx, RunStoreTxOps } from "./types.ts";

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

/** Events a transaction inserted into a run's log (`tx.insertEvents`), noted by the journal. */
export interface EventsInserted {
  type: "run.events";
  runPk: number;
  events: readonly NewEvent[];
}

/**
 * Everything a transaction did that writers may follow, in the order it did it: the recorded
 * changes, and the event inserts between them (conversation-stream frames need both, in order).
 */
export type JournalEntry = RecordedChange | EventsInserted;

/**
 * Runs inside the transaction, before COMMIT; throwing rolls the whole transaction back.
 * `entries` is `changes` interleaved with the transaction's event inserts. Called when the
 * transaction recorded a change or inserted events (`changes` may then be empty). May return a
 * function to call once the transaction committed.
 */
export type ChangeWriter = (
  tx: RunStoreTx,
  changes: readonly RecordedChange[],
  entries: readonly JournalEntry[],
  // biome-ignore lint/suspicious/noConfusingVoidType: writers that return nothing stay valid
) => Promise<void | (() => void)>;
/** Told after COMMIT. Must not throw (a throw is swallowed: the change stands). */
export type ChangeListener = (changes: readonly RecordedChange[]) => void;

export class ChangeJournal {
  readonly #writers = new Set<ChangeWriter>();
  readonly #listeners = new Set<ChangeListener>();
  readonly #frameListeners = new Set<(positions: readonly StreamPosition[]) => void>();

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
   * Subscribes to conversation streams that advanced (frames committed, docs/api.md §8): told by
   * the frames writer after COMMIT, and by a store's own fast path. Returns the unsubscribe.
   */
  onFrames(listener: (positions: readonly StreamPosition[]) => void): () => void {
    this.#frameListeners.add(listener);
    return () => this.#frameListeners.delete(listener);
  }

  /** Tells frame listeners that these streams advanced (after COMMIT only). Never throws. */
  announceFrames(positions: readonly StreamPosition[]): void {
    if (positions.length === 0) return;
    for (const listener of this.#frameListeners) {
      try {
        listener(positions);
      } catch {
        // A faulty listener must not hide the news from the others.
      }
    }
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
    let afterCommit: (() => void)[] = [];
    const value = await rawTransaction(async (raw) => {
      recorded = [];
      afterCommit = [];
      const entries: JournalEntry[] = [];
      const tx: RunStoreTx = Object.assign(Object.create(raw) as RunStoreTx, {
        record: (change: RecordedChange) => {
          recorded.push(change);
          entries.push(change);
        },
        insertEvents: async (runPk: number, events: readonly NewEvent[]) => {
          await raw.insertEvents(runPk, events);
          if (events.length > 0) entries.push({ type: "run.events", runPk, events });
        },
      });
      const result = await fn(tx);
      if (entries.length > 0) {
        for (const writer of this.#writers) {
          const then = await writer(tx, recorded, entries);
          if (then) afterCommit.push(then);
        }
      }
      return result;
    });
    for (const then of afterCommit) {
      try {
        then();
      } catch {
        // As for listeners: the change stands.
      }
    }
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
