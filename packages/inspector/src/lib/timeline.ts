/**
 * The conversation timeline as data: every run of a conversation with its span (created →
 * started → ended, open while active), its status, its parent, and marks for tool calls,
 * waits, input requests and interrupts — folded from the conversation stream's frames (§8),
 * seeded by the conversation's run listing.
 *
 * When things happened. Run and input-request records carry their own timestamps; an AG-UI
 * event carries one only when its producer set `timestamp`. For the others:
 * - a frame that arrives live (a run's event beyond what its log held when the page loaded,
 *   or a status change of a run created since) happened when it arrived;
 * - a replayed event (at or below the run's `latest_event_id` at load) is placed by its
 *   position in the run's log, between the run's start and its end (for a run still active:
 *   the time of its latest event at load, which the follower reads once per such run);
 * - a replayed status change without a time of its own is placed at the run's latest event.
 *   A run's status frames are replayed until its events have reached the log's end at load
 *   and its status is the one the listing gave; the frames after that are live.
 * So history is approximate between the exact points, and live marks are exact to the
 * browser's clock.
 */
import type { AgentRunRecord, ConversationFrame, RunSummary } from "@runline/client";

export type MarkKind = "tool" | "wait" | "input" | "interrupt";

/** A moment: known outright, or the position of an event in its run's log (resolved later). */
type Instant = { at: number } | { eventId: number };

export interface TimelineMark {
  key: string;
  kind: MarkKind;
  label: string;
  from: Instant;
  /** Unset while open (and for interrupts, which are moments). */
  to?: Instant;
  open: boolean;
}

export interface TimelineRun {
  runId: string;
  /** From the run's record (the stream's summaries do not carry it); unset until read. */
  agentId: string | undefined;
  parentRunId: string | null;
  status: string;
  waitingReason: string | null;
  queuedBehind: string | null;
  createdAt: number;
  startedAt: number | undefined;
  endedAt: number | undefined;
  /** The run's highest event id seen so far. */
  lastEventId: number;
  events: number;
  marks: TimelineMark[];
}

/** A resolved mark, in ms since the epoch. */
export interface PlacedMark {
  key: string;
  kind: MarkKind;
  label: string;
  from: number;
  to: number;
  point: boolean;
  open: boolean;
}

export interface TimelineRow {
  run: TimelineRun;
  depth: number;
  marks: PlacedMark[];
}

const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const time = (iso: string | null | undefined): number | undefined => {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
};

export class ConversationTimeline {
  readonly runs = new Map<string, TimelineRun>();
  /** Each run's `latest_event_id` when the page loaded: events up to it are history. */
  private readonly history = new Map<string, number>();
  /** When the latest of those events was stored, for runs still active at load. */
  private readonly historyEndedAt = new Map<string, number>();
  /** Each listed run's status at load, until its replayed frames have caught up with it. */
  private readonly replaying = new Map<string, string>();
  private loadedAt: number;
  /** The last conversation frame id applied. */
  lastFrameId = 0;

  constructor(loadedAt: number) {
    this.loadedAt = loadedAt;
  }

  /**
   * Seeds the runs from the conversation's listing (before following its stream), with the
   * time of each active run's latest event when known (ms, by run id).
   */
  seed(
    records: readonly AgentRunRecord[],
    loadedAt: number,
    latestEventAt: ReadonlyMap<string, number> = new Map(),
  ): void {
    this.loadedAt = loadedAt;
    for (const [runId, at] of latestEventAt) this.historyEndedAt.set(runId, at);
    for (const record of records) {
      const status = record.status === "waiting_for_tool" ? "waiting" : record.status;
      this.history.set(record.run_id, record.latest_event_id);
      this.replaying.set(record.run_id, status);
      this.upsert({
        run_id: record.run_id,
        parent_run_id: record.parent_run_id,
        status,
        waiting_reason: record.waiting_reason,
        queued_behind: record.queued_behind,
        created_at: record.created_at,
        started_at: record.started_at,
        completed_at: record.finished_at,
      }).agentId = record.agent_id;
    }
  }

  /** Folds one frame of the conversation stream, received at `receivedAt`. */
  apply(frame: ConversationFrame, receivedAt: number): void {
    this.lastFrameId = Math.max(this.lastFrameId, frame.id);
    switch (frame.type) {
      case "run.created":
      case "run.status":
        this.runFrame(frame.run, receivedAt);
        return;
      case "event":
        this.eventFrame(frame.run_id, frame.event_id, frame.event, receivedAt);
        return;
      case "interrupt.opened":
      case "interrupt.closed": {
        const run = this.runs.get(frame.run_id);
        if (!run) return;
        const { interrupt, status, created_at } = frame.interrupt;
        const id = typeof interrupt.id === "string" ? interrupt.id : created_at;
        const reason = typeof interrupt.reason === "string" ? interrupt.reason : "interrupt";
        const key = `interrupt:${id}`;
        const existing = run.marks.find((m) => m.key === key);
        const at = time(created_at) ?? receivedAt;
        if (existing) existing.open = status === "open";
        else
          run.marks.push({
            key,
            kind: "interrupt",
            label: `Interrupt: ${reason}`,
            from: { at },
            open: status === "open",
          });
        return;
      }
      default: {
        const request = frame.input_request;
        const run = this.runs.get(frame.run_id);
        if (!run) return;
        const key = `input:${request.id}`;
        const closedAt =
          time(request.submitted_at) ?? time(request.cancelled_at) ?? time(request.expired_at);
        const mark = run.marks.find((m) => m.key === key);
        const label = `Input request: ${request.title} (${request.status})`;
        const from = { at: time(request.created_at) ?? receivedAt };
        const to = request.status === "open" ? undefined : { at: closedAt ?? receivedAt };
        if (mark) Object.assign(mark, { label, to, open: request.status === "open" });
        else
          run.marks.push({ key, kind: "input", label, from, to, open: request.status === "open" });
      }
    }
  }

  /** The runs in tree order (each parent followed by its children, oldest first), placed. */
  rows(now: number): TimelineRow[] {
    const children = new Map<string | null, TimelineRun[]>();
    for (const run of this.runs.values()) {
      const parent = run.parentRunId && this.runs.has(run.parentRunId) ? run.parentRunId : null;
      children.set(parent, [...(children.get(parent) ?? []), run]);
    }
    for (const list of children.values()) list.sort((a, b) => a.createdAt - b.createdAt);
    const rows: TimelineRow[] = [];
    const visit = (parent: string | null, depth: number) => {
      for (const run of children.get(parent) ?? []) {
        rows.push({ run, depth, marks: this.place(run, now) });
        visit(run.runId, depth + 1);
      }
    };
    visit(null, 0);
    return rows;
  }

  /** The time range every run and mark fits in (the end is `now` while a run is active). */
  span(rows: readonly TimelineRow[], now: number): { from: number; to: number } {
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (const { run, marks } of rows) {
      from = Math.min(from, run.createdAt);
      to = Math.max(to, run.endedAt ?? now, ...marks.map((m) => m.to));
    }
    if (!Number.isFinite(from)) return { from: now, to: now };
    return { from, to: Math.max(to, from + 1) };
  }

  // ── folding ─────────────────────────────────────────────────────────────────────────────

  private runFrame(summary: RunSummary, receivedAt: number): void {
    const run = this.upsert(summary);
    const instant = this.lifecycleInstant(run, receivedAt);
    const wait = run.marks.findLast((m) => m.kind === "wait" && m.open);
    if (run.status === "waiting" && !wait) {
      run.marks.push({
        key: `wait:${run.marks.length}`,
        kind: "wait",
        label: `Waiting${run.waitingReason ? ` for ${run.waitingReason}` : ""}`,
        from: instant,
        open: true,
      });
    } else if (run.status !== "waiting" && wait) {
      wait.to = run.endedAt !== undefined ? { at: run.endedAt } : instant;
      wait.open = false;
    }
    if (TERMINAL.has(run.status)) {
      for (const mark of run.marks) {
        if (!mark.open || mark.kind === "interrupt") continue;
        mark.open = false;
        mark.to ??= { at: run.endedAt ?? receivedAt };
      }
    }
  }

  private eventFrame(
    runId: string,
    eventId: number,
    event: { type: string } & Record<string, unknown>,
    receivedAt: number,
  ): void {
    const run = this.runs.get(runId);
    if (!run) return; // its run.created frame (or listing entry) comes first
    run.lastEventId = Math.max(run.lastEventId, eventId);
    run.events += 1;
    const own = typeof event.timestamp === "number" ? event.timestamp : undefined;
    const instant: Instant =
      own !== undefined
        ? { at: own }
        : eventId <= (this.history.get(runId) ?? 0)
          ? { eventId }
          : { at: receivedAt };
    const callId = typeof event.toolCallId === "string" ? event.toolCallId : undefined;
    if (!callId) return;
    const key = `tool:${callId}`;
    const mark = run.marks.find((m) => m.key === key);
    if (event.type === "TOOL_CALL_START" || (event.type === "TOOL_CALL_CHUNK" && !mark)) {
      if (mark) return;
      const name = typeof event.toolCallName === "string" ? event.toolCallName : callId;
      run.marks.push({ key, kind: "tool", label: `Tool call: ${name}`, from: instant, open: true });
    } else if (mark && (event.type === "TOOL_CALL_END" || event.type === "TOOL_CALL_RESULT")) {
      // The call spans from its start to its result (or its end, when no result comes).
      mark.to = instant;
      mark.open = false;
    }
  }

  /** When a lifecycle frame without a time of its own happened (see the header comment). */
  private lifecycleInstant(run: TimelineRun, receivedAt: number): Instant {
    const statusAtLoad = this.replaying.get(run.runId);
    if (statusAtLoad === undefined) return { at: receivedAt };
    // This frame is still history; once the run's replay has reached where the listing left
    // it (its log's end and its status then), the next ones are live.
    if (run.lastEventId >= this.historyOf(run) && run.status === statusAtLoad) {
      this.replaying.delete(run.runId);
    }
    return run.lastEventId > 0
      ? { eventId: run.lastEventId }
      : { at: run.startedAt ?? run.createdAt };
  }

  private historyOf(run: TimelineRun): number {
    return this.history.get(run.runId) ?? 0;
  }

  private upsert(summary: {
    run_id: string;
    parent_run_id: string | null;
    status: string;
    waiting_reason: string | null;
    queued_behind: string | null;
    created_at: string;
    started_at: string | null;
    completed_at: string | null;
  }): TimelineRun {
    const createdAt = time(summary.created_at) ?? this.loadedAt;
    const existing = this.runs.get(summary.run_id);
    const fields = {
      parentRunId: summary.parent_run_id,
      status: summary.status,
      waitingReason: summary.waiting_reason,
      queuedBehind: summary.queued_behind,
      createdAt,
      startedAt: time(summary.started_at),
      endedAt: time(summary.completed_at),
    };
    if (existing) return Object.assign(existing, fields);
    const run: TimelineRun = {
      runId: summary.run_id,
      agentId: undefined,
      ...fields,
      lastEventId: 0,
      events: 0,
      marks: [],
    };
    this.runs.set(run.runId, run);
    return run;
  }

  // ── placing ─────────────────────────────────────────────────────────────────────────────

  private place(run: TimelineRun, now: number): PlacedMark[] {
    const resolve = (instant: Instant): number => {
      if ("at" in instant) return instant.at;
      // Replayed: its position in the log between the run's start and its end (for a run
      // active at load, its latest event then; the load itself when that is unknown).
      const start = run.startedAt ?? run.createdAt;
      const last = this.historyEndedAt.get(run.runId) ?? run.endedAt ?? this.loadedAt;
      const end = Math.max(start, Math.min(last, this.loadedAt));
      const of = Math.max(1, this.historyOf(run));
      return start + (Math.min(instant.eventId, of) / of) * (end - start);
    };
    return run.marks.map((mark) => {
      const from = resolve(mark.from);
      // Interrupts are moments (a diamond), open or not; the rest span until they close.
      const point = mark.kind === "interrupt";
      const to = point
        ? from
        : mark.to
          ? resolve(mark.to)
          : mark.open
            ? (run.endedAt ?? now)
            : from;
      return {
        key: mark.key,
        kind: mark.kind,
        label: mark.label,
        from,
        to: Math.max(from, to),
        point,
        open: mark.open,
      };
    });
  }
}
