/**
 * Checks a run's stored log, read back through the API, against what a producer was told:
 *
 * - the run exists once its creation was acknowledged;
 * - event ids are exactly 1..N and `latest_event_id` is N;
 * - `latest_external_event_sequence` is the number of caller-appended events;
 * - the tagged events and tool results are exactly the acknowledged ones, in order, each once —
 *   plus, all or nothing, those of the one operation whose answer was lost;
 * - the status is the acknowledged one (or the in-doubt operation's, when it committed);
 * - every other event is one the server writes itself, where it writes it: RUN_STARTED first,
 *   closing events and the terminal event last.
 */
import { type Api, brief } from "./api.ts";
import type { Item, RunStatus, TrackedRun } from "./producer.ts";

interface LoggedEvent {
  event_id: number;
  event_type: string;
  event: Record<string, unknown>;
}

interface RunRecord {
  status: RunStatus;
  latest_event_id: number;
  latest_external_event_sequence: number;
}

export interface RunCheck {
  problems: string[];
  /** Events read back. */
  events: number;
  /** Acknowledged items found in place. */
  items: number;
  /** Whether the in-doubt operation (if any) had committed. */
  pendingCommitted: boolean | undefined;
}

const TERMINAL: ReadonlySet<string> = new Set(["completed", "failed", "cancelled"]);
const CLOSERS: ReadonlySet<string> = new Set([
  "TEXT_MESSAGE_END",
  "TOOL_CALL_END",
  "REASONING_MESSAGE_END",
  "REASONING_END",
  "STEP_FINISHED",
]);

/** Reads the whole log of a run, page by page (`after_event_id`, 500 a page). */
export async function readLog(api: Api, runId: string): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  let after = 0;
  for (;;) {
    const response = await api.request(
      "GET",
      `/runs/${runId}/events?after_event_id=${after}&limit=500`,
    );
    if (response.status !== 200) throw new Error(`reading the log of ${runId}: ${brief(response)}`);
    const page = response.body as { data: LoggedEvent[]; page_info: { next: string | null } };
    events.push(...page.data);
    const last = page.data.at(-1);
    if (!last || page.page_info.next === null) return events;
    after = last.event_id;
  }
}

function itemKey(item: Item): string {
  return item.kind === "event"
    ? `event ${item.tag} ${JSON.stringify(item.event)}`
    : `tool-result ${item.toolCallId} ${item.content}`;
}

export async function verifyRun(api: Api, run: TrackedRun): Promise<RunCheck> {
  const problems: string[] = [];
  const where = `run ${run.runId}`;
  const result: RunCheck = { problems, events: 0, items: 0, pendingCommitted: undefined };
  const recordResponse = await api.request(
    "GET",
    `/conversations/${run.conversationId}/runs/${run.runId}`,
  );
  if (recordResponse.status === 404) {
    if (run.status !== "absent") problems.push(`${where}: acknowledged as created but not found`);
    else result.pendingCommitted = false;
    return result;
  }
  if (recordResponse.status !== 200) {
    problems.push(`${where}: reading the run answered ${brief(recordResponse)}`);
    return result;
  }
  const record = recordResponse.body as RunRecord;
  const log = await readLog(api, run.runId);
  result.events = log.length;

  // Ids 1..N, N = latest_event_id.
  for (const [index, entry] of log.entries()) {
    if (entry.event_id !== index + 1) {
      problems.push(`${where}: event ${index + 1} has id ${entry.event_id} (gap or duplicate)`);
      break;
    }
  }
  if (record.latest_event_id !== log.length) {
    problems.push(
      `${where}: latest_event_id is ${record.latest_event_id} but the log holds ${log.length} events`,
    );
  }

  // The items in the log, in order.
  const found: string[] = [];
  let tagged = 0;
  for (const entry of log) {
    const tag = entry.event.rl;
    if (typeof tag === "string") {
      tagged++;
      found.push(`event ${tag} ${JSON.stringify(entry.event)}`);
    } else if (entry.event_type === "TOOL_CALL_RESULT") {
      found.push(`tool-result ${String(entry.event.toolCallId)} ${String(entry.event.content)}`);
    }
  }
  if (record.latest_external_event_sequence !== tagged) {
    problems.push(
      `${where}: latest_external_event_sequence is ${record.latest_external_event_sequence} but the log holds ${tagged} appended events`,
    );
  }
  const acked = run.items.map(itemKey);
  const withPending = [...acked, ...(run.pending?.items ?? []).map(itemKey)];
  const equal = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((key, i) => key === b[i]);
  let committedItems: boolean | undefined;
  if (equal(found, acked)) committedItems = false;
  if (run.pending && run.pending.items.length > 0 && equal(found, withPending)) {
    committedItems = true;
  }
  if (committedItems === undefined) {
    const differs = found.findIndex((key, i) => key !== withPending[i]);
    const firstDiff = differs < 0 ? found.length : differs;
    const duplicated = found.filter((key, i) => found.indexOf(key) !== i);
    const missing = acked.filter((key) => !found.includes(key));
    problems.push(
      `${where}: log items differ from the acknowledged ones (acknowledged ${acked.length}, in doubt ${
        run.pending?.items.length ?? 0
      }, found ${found.length}; first difference at ${firstDiff}: found ${
        found[firstDiff]?.slice(0, 160) ?? "nothing"
      }, expected ${withPending[firstDiff]?.slice(0, 160) ?? "nothing"}; missing ${missing.length}, duplicated ${duplicated.length})`,
    );
  } else {
    result.items = acked.length;
  }

  // The status: the acknowledged one, or the in-doubt operation's when it committed.
  const pending = run.pending;
  if (committedItems === true) {
    result.pendingCommitted = true;
    if (record.status !== pending?.statusAfter) {
      problems.push(
        `${where}: the in-doubt ${pending?.label} committed its events but status is ${record.status}, not ${pending?.statusAfter}`,
      );
    }
  } else if (pending && pending.items.length === 0 && record.status === pending.statusAfter) {
    result.pendingCommitted = record.status !== run.status ? true : undefined;
  } else if (record.status !== run.status) {
    problems.push(
      `${where}: status is ${record.status}, acknowledged ${run.status}${
        pending ? ` (in doubt: ${pending.label} → ${pending.statusAfter})` : ""
      }`,
    );
  } else if (pending && committedItems === false) {
    result.pendingCommitted =
      pending.items.length > 0 || pending.statusAfter !== run.status ? false : undefined;
  } else if (pending && pending.statusAfter !== run.status) {
    result.pendingCommitted = false;
  }

  // Server-written events only where the server writes them.
  if (record.status === "pending" && log.length > 0) {
    problems.push(`${where}: a pending run has ${log.length} events`);
  }
  if (log.length > 0 && log[0]?.event_type !== "RUN_STARTED") {
    problems.push(`${where}: the log starts with ${log[0]?.event_type}, not RUN_STARTED`);
  }
  const terminal = TERMINAL.has(record.status);
  let closingZone = log.length;
  if (terminal) {
    const last = log.at(-1);
    const expected = record.status === "completed" ? "RUN_FINISHED" : "RUN_ERROR";
    if (last?.event_type !== expected) {
      problems.push(
        `${where}: a ${record.status} run ends with ${last?.event_type}, not ${expected}`,
      );
    }
    closingZone = log.length - 1;
    while (closingZone > 0) {
      const entry = log[closingZone - 1];
      if (!entry || typeof entry.event.rl === "string" || !CLOSERS.has(entry.event_type)) break;
      closingZone--;
    }
  }
  for (const [index, entry] of log.entries()) {
    if (typeof entry.event.rl === "string" || index >= closingZone) continue;
    if (index === 0 && entry.event_type === "RUN_STARTED") continue;
    if (entry.event_type === "TOOL_CALL_RESULT") continue;
    problems.push(`${where}: unexpected server event ${entry.event_type} at id ${entry.event_id}`);
    break;
  }
  return result;
}

export interface Verification {
  runs: number;
  events: number;
  items: number;
  /** In-doubt operations found committed / not committed. */
  committed: number;
  notCommitted: number;
  problems: string[];
}

/** Verifies many runs (sequentially: the machine is shared). */
export async function verifyRuns(api: Api, runs: readonly TrackedRun[]): Promise<Verification> {
  const total: Verification = {
    runs: 0,
    events: 0,
    items: 0,
    committed: 0,
    notCommitted: 0,
    problems: [],
  };
  for (const run of runs) {
    const check = await verifyRun(api, run);
    total.runs++;
    total.events += check.events;
    total.items += check.items;
    if (check.pendingCommitted === true) total.committed++;
    if (check.pendingCommitted === false) total.notCommitted++;
    total.problems.push(...check.problems);
  }
  return total;
}
