/**
 * The run snapshot (docs/api.md §4.4): a compact picture of a run's log that a client can apply and
 * then resume from with `Last-Event-ID: <after_event_id>`. Pure.
 *
 * The log is folded exactly the way `@ag-ui/client`'s pipeline folds it (`transformChunks`, then
 * `defaultApplyEvents` for messages and state, and the open/close bookkeeping of `verifyEvents`),
 * so "same messages and state" holds by construction. The snapshot is:
 *
 * 1. the run's `RUN_STARTED`, with `input.messages` emptied: that history is in the
 *    `MESSAGES_SNAPSHOT`, and replaying it here too would put all of it ahead of messages the
 *    run inserted among it (a tool result lands right after the message holding its call);
 * 2. `MESSAGES_SNAPSHOT` (`event_id: null`): every message the client would hold, minus the roles
 *    the contract leaves out (`system`, `developer`, `activity`). A message or tool call that is
 *    still open appears as a shell — its content/arguments as they were when it (re)opened,
 *    normally empty — so it keeps its place in the list; its re-emitted start and coalesced
 *    delta (step 4) then fill it in. (The client's start handlers are idempotent for an id
 *    already present, which is what makes this work.) Leaving open items out instead would move
 *    them to the end of the list, and a completed tool call inside a still-open message would
 *    have nowhere to live;
 * 3. `STATE_SNAPSHOT` (`event_id: null`): the state after every `STATE_SNAPSHOT`/`STATE_DELTA`,
 *    starting from the client's `{}`; a patch that fails is skipped whole, as the client does;
 * 4. what is still open, in the order it opened (each logged event with its own `event_id`):
 *    subagents (plus any finished ancestor, started and finished, so the child's parent exists),
 *    reasoning spans, steps, and for each open message or tool call its start event and, if it
 *    has received content, one coalesced `*_CONTENT`/`TOOL_CALL_ARGS` (`event_id: null`) copying
 *    `messageId`/`toolCallId`, `contentId` and `subagentRunId` from the start. An item opened by
 *    chunk events (`*_CHUNK`) is re-emitted instead as one coalesced chunk event
 *    (`event_id: null`), after everything else, so the client's chunk lane is open again and
 *    the stream's id-less continuation chunks still land in it;
 * 5. the terminal event, when the run has ended.
 *
 * Logged events are returned as they are in the log (by reference); the log is never modified.
 *
 * The fold runs in stages, one file each: `chunk-expander.ts` (the client's `transformChunks`),
 * then `message-reducer.ts` (messages and state) and `open-items.ts` (what is open) side by side,
 * driven by `run-fold.ts`, which also writes the snapshot. Which events open, continue and close
 * a stream comes from `../stream-kinds.ts`, the table the sequence verifier reads too.
 *
 * Known gaps (each needs a producer doing something unusual):
 * - activity messages are not carried (the contract leaves them out);
 * - a message removed by a `MESSAGES_SNAPSHOT` while still streaming is recreated by its
 *   re-emitted start, and an open message restated by one gets its start's metadata once more;
 * - subagent ownership that the client's messages do not record — the verifier remembers the
 *   first `subagentRunId` that opened an id, even after the message was dropped, or when the
 *   message was created untagged by a tool call — cannot be restated: a snapshot's verifier learns
 *   owners from the messages' `subagentRunId`, so a later event relying on the forgotten owner
 *   fails `verifyEvents` after a snapshot.
 */
import type { AguiEvent, LoggedEvent } from "../types.ts";
import { logged } from "./events.ts";
import { RunFold } from "./run-fold.ts";

export interface RunSnapshot {
  after_event_id: number;
  events: Array<{ event_id: number | null; event_type: string; event: AguiEvent }>;
}

export type SnapshotEntry = RunSnapshot["events"][number];

/** Pure. `log` is the run's whole log in ascending event_id order (ids 1..n, gap-free). */
export function buildSnapshot(log: readonly LoggedEvent[]): RunSnapshot {
  const builder = new SnapshotBuilder();
  for (const entry of log) builder.add(entry);
  return builder.snapshot();
}

/**
 * The same fold, one event at a time, so that a caller can read the log page by page and
 * yield to the event loop between events (ledger/read-runs.ts): only the fold's state is held
 * (messages, state, open items), never the whole log.
 */
export class SnapshotBuilder {
  #first: LoggedEvent | undefined;
  #last: LoggedEvent | undefined;
  #fold = new RunFold();
  /** A run that failed before it started (RUN_ERROR first): nothing to compact, kept whole. */
  #uncompacted: LoggedEvent[] | undefined;

  /** Adds the next event of the log (ascending event_id, gap-free). */
  add(entry: LoggedEvent): void {
    if (this.#first === undefined) {
      this.#first = entry;
      if (entry.event.type !== "RUN_STARTED") this.#uncompacted = [];
    }
    this.#last = entry;
    if (this.#uncompacted) this.#uncompacted.push(entry);
    else this.#fold.add(entry);
  }

  snapshot(): RunSnapshot {
    const first = this.#first;
    const last = this.#last;
    if (first === undefined || last === undefined) return { after_event_id: 0, events: [] };
    if (this.#uncompacted) {
      return { after_event_id: last.event_id, events: this.#uncompacted.map(logged) };
    }
    return { after_event_id: last.event_id, events: this.#fold.snapshot(first) };
  }
}
