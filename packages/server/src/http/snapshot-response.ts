/**
 * Serving snapshots (docs/api.md §12): a bounded number are built at once (the rest wait their
 * turn; each holds a run's folded messages in memory), and the answer is serialised piece by
 * piece with a yield between pieces, never as one `JSON.stringify` of the whole snapshot —
 * that alone would stall the event loop for a large run, and fail past V8's string limit.
 */
import { Readable } from "node:stream";
import type { RunSnapshot } from "../domain/agui/snapshot/builder.ts";
import { yieldToEventLoop } from "../ledger/read-runs.ts";

/** Lets `limit` tasks run at once; the others wait in arrival order. */
export class Gate {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Tasks running now (tests, metrics). */
  get running(): number {
    return this.#running;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so `running` never exceeds the limit.
      if (next) next();
      else this.#running--;
    }
  }
}

/** The snapshot's JSON, in pieces: one per event, one per message of the MESSAGES_SNAPSHOT. */
async function* snapshotPieces(snapshot: RunSnapshot): AsyncGenerator<string> {
  yield `{"after_event_id":${snapshot.after_event_id},"events":[`;
  for (const [index, entry] of snapshot.events.entries()) {
    const comma = index === 0 ? "" : ",";
    const event = entry.event as { type: string; messages?: unknown };
    if (event.type === "MESSAGES_SNAPSHOT" && Array.isArray(event.messages)) {
      const { messages, ...rest } = event;
      const head = JSON.stringify({ ...entry, event: rest }).slice(0, -2); // drop the closing `}}`
      yield `${comma}${head},"messages":[`;
      for (const [i, message] of messages.entries()) {
        yield `${i === 0 ? "" : ","}${JSON.stringify(message)}`;
        await yieldToEventLoop();
      }
      yield "]}}";
    } else {
      yield `${comma}${JSON.stringify(entry)}`;
    }
    await yieldToEventLoop();
  }
  yield "]}";
}

export function snapshotBody(snapshot: RunSnapshot): Readable {
  return Readable.from(snapshotPieces(snapshot), { objectMode: false });
}
