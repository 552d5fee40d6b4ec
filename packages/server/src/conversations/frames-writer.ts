/**
 * Writes conversation-stream frames (docs/api.md §8) for everything a transaction did: a change
 * journal writer (`store/changes.ts`), so the frames commit atomically with the change and are
 * numbered in the same transaction. Both stores register it when they are constructed.
 *
 * Order within a transaction: `run.created` frames first (a run's creation comes before its
 * first event, even when the create writes RUN_STARTED), then everything else in the order the
 * operation did it — event inserts, status changes, input requests, interrupts.
 *
 * The append fast path on PostgreSQL (`appendToRun`, one statement) writes its event frames in
 * that statement instead; on SQLite it is a transaction like any other and comes through here.
 */
import { setBounded } from "../bounded-map.ts";
import { toRunSummary } from "../domain/records.ts";
import { toInputRequestRecord, toInterruptItem, withoutSecrets } from "../human-input/records.ts";
import type { ChangeJournal, ChangeWriter, JournalEntry } from "../store/changes.ts";
import type { NewFrame, StreamPosition } from "../store/conversation-frames.ts";

interface Group {
  projectId: string;
  conversationId: string;
  frames: NewFrame[];
}

/** Lifecycle name and data of an entry; undefined for event inserts. */
function lifecycle(
  entry: JournalEntry,
): { runPk: number; name: string; data: unknown } | undefined {
  switch (entry.type) {
    case "run.created":
    case "run.status":
      return { runPk: entry.run.pk, name: entry.type, data: toRunSummary(entry.run) };
    case "input_request.created":
    case "input_request.submitted":
    case "input_request.cancelled":
    case "input_request.expired":
      if (!("inputRequest" in entry)) return undefined;
      return {
        runPk: entry.inputRequest.run_pk,
        name: entry.type,
        data: toInputRequestRecord(withoutSecrets(entry.inputRequest)),
      };
    case "interrupt.opened":
    case "interrupt.closed":
      if (!("interrupt" in entry)) return undefined;
      return {
        runPk: entry.interrupt.run_pk,
        name: entry.type,
        // As stored: the frame tells what happened, not what a later read would make of it.
        data: toInterruptItem(entry.interrupt, ""),
      };
    default:
      return undefined;
  }
}

/** The conversation (project, id) each entry's run belongs to, where the entry says. */
function knownConversation(entry: JournalEntry): [number, Group] | undefined {
  if ("run" in entry) {
    const run = entry.run;
    return [run.pk, { projectId: run.project_id, conversationId: run.conversation_id, frames: [] }];
  }
  if ("inputRequest" in entry) {
    const row = entry.inputRequest;
    return [
      row.run_pk,
      { projectId: row.project_id, conversationId: row.conversation_id, frames: [] },
    ];
  }
  if ("interrupt" in entry) {
    const row = entry.interrupt;
    return [
      row.run_pk,
      { projectId: row.project_id, conversationId: row.conversation_id, frames: [] },
    ];
  }
  return undefined;
}

/** Runs whose conversation the writer remembers (most recently learned; a few hundred KiB). */
const KNOWN_RUNS = 10_000;

export function conversationFramesWriter(journal: ChangeJournal): ChangeWriter {
  // Run pk → conversation, learned from committed transactions only. A run never changes
  // conversation and pks are never reused once committed (AUTOINCREMENT in SQLite, an identity
  // column in PostgreSQL), so a steady-state append needs no lookup of its run's conversation.
  // Learned after COMMIT: a rolled-back insert's pk may be handed out again (SQLite).
  const learned = new Map<number, { projectId: string; conversationId: string }>();
  const remember = (conversations: Map<number, { projectId: string; conversationId: string }>) => {
    for (const [pk, where] of conversations) setBounded(learned, pk, where, KNOWN_RUNS);
  };
  return async (tx, _changes, entries) => {
    const ordered = [
      ...entries.filter((e) => e.type === "run.created"),
      ...entries.filter((e) => e.type !== "run.created"),
    ];
    const conversations = new Map<number, { projectId: string; conversationId: string }>();
    for (const entry of ordered) {
      const known = knownConversation(entry);
      if (known) conversations.set(known[0], known[1]);
    }
    for (const entry of ordered) {
      if (entry.type !== "run.events" || conversations.has(entry.runPk)) continue;
      const where = learned.get(entry.runPk);
      if (where) conversations.set(entry.runPk, where);
    }
    const unknown = [
      ...new Set(
        ordered.flatMap((e) =>
          e.type === "run.events" && !conversations.has(e.runPk) ? [e.runPk] : [],
        ),
      ),
    ];
    if (unknown.length > 0) {
      for (const [pk, where] of await tx.conversationFrames.conversationsOfRuns(unknown)) {
        conversations.set(pk, where);
      }
    }
    const groups = new Map<string, Group>();
    const add = (runPk: number, frame: NewFrame) => {
      const where = conversations.get(runPk);
      if (!where) return;
      const key = JSON.stringify([where.projectId, where.conversationId]);
      let group = groups.get(key);
      if (!group) {
        group = { ...where, frames: [] };
        groups.set(key, group);
      }
      group.frames.push(frame);
    };
    for (const entry of ordered) {
      if (entry.type === "run.events") {
        // One row per run of consecutive event ids (a batch is one such run).
        let range: { runPk: number; lastEventId: number; count: number } | undefined;
        for (const { event_id } of entry.events) {
          if (range && event_id === range.lastEventId + 1) {
            range.lastEventId = event_id;
            range.count++;
            continue;
          }
          range = { runPk: entry.runPk, lastEventId: event_id, count: 1 };
          add(entry.runPk, range);
        }
        continue;
      }
      const frame = lifecycle(entry);
      if (frame)
        add(frame.runPk, {
          runPk: frame.runPk,
          name: frame.name,
          data: JSON.stringify(frame.data),
        });
    }
    if (groups.size === 0) return () => remember(conversations);
    // One counter bump per conversation, in a fixed order (two transactions touching the same
    // conversations lock their counters in the same order: no deadlock).
    const positions: StreamPosition[] = [];
    for (const key of [...groups.keys()].sort()) {
      const group = groups.get(key)!;
      positions.push(
        await tx.conversationFrames.appendFrames(
          group.projectId,
          group.conversationId,
          group.frames,
        ),
      );
    }
    return () => {
      remember(conversations);
      journal.announceFrames(positions);
    };
  };
}
