/**
 * Follows one conversation over ONE connection (`GET /conversations/{cid}/stream`, §8): lists
 * its runs first (their `latest_event_id` tells the timeline which replayed events are history),
 * then follows the conversation stream from its first frame with `@runline/client`, which
 * resumes with `Last-Event-ID` after a dropped connection and never yields a frame twice.
 * Runs created later arrive on the same connection; nothing is opened per run.
 *
 * Views subscribe and are told at most once per animation frame (`Follower`).
 */
import type { AgentRunRecord, RunlineClient } from "@runline/client";
import { type FetchFn, Follower } from "./follower.ts";
import { ConversationTimeline } from "./timeline.ts";

/** Runs listed before following (10 pages of 100): enough for any conversation a person reads. */
const MAX_LISTED_PAGES = 10;
/** Active runs whose latest event time is read at load (the rest are placed approximately). */
const MAX_TIMED_RUNS = 50;

export class ConversationFollower extends Follower {
  readonly timeline = new ConversationTimeline(Date.now());

  constructor(
    makeClient: (fetchFn: FetchFn) => RunlineClient,
    private readonly conversationId: string,
    describe: (error: unknown) => string,
  ) {
    super(makeClient, "this conversation", describe);
  }

  async start(): Promise<void> {
    const signal = this.controller.signal;
    try {
      const records: AgentRunRecord[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_LISTED_PAGES; page++) {
        const listed = await this.client.listConversationRuns(
          this.conversationId,
          { limit: 100, cursor },
          { signal },
        );
        records.push(...listed.data);
        cursor = listed.page_info.next ?? undefined;
        if (!cursor) break;
      }
      this.timeline.seed(records, Date.now(), await this.latestEventTimes(records));
      this.set({ status: "live" });
      const frames = this.client.conversation(this.conversationId).follow({
        signal,
        reconnect: { initialDelayMs: 250, maxDelayMs: 5000 },
      });
      for await (const frame of frames) {
        this.timeline.apply(frame, Date.now());
        if (frame.type === "run.created") void this.readAgent(frame.run_id);
        this.changed();
      }
    } catch (error) {
      if (signal.aborted) return;
      this.set({ status: "error", error: this.describe(error) });
    }
  }

  /**
   * When each run still active at load stored its latest event: the end against which its
   * replayed events are placed (one small read per active run; the stream carries no times).
   */
  private async latestEventTimes(records: readonly AgentRunRecord[]): Promise<Map<string, number>> {
    const times = new Map<string, number>();
    const active = records.filter((r) => r.finished_at === null && r.latest_event_id > 0);
    await Promise.all(
      active.slice(0, MAX_TIMED_RUNS).map(async (record) => {
        try {
          const page = await this.client.listEvents(
            this.conversationId,
            record.run_id,
            { after_event_id: record.latest_event_id - 1, limit: 1 },
            { signal: this.controller.signal },
          );
          const at = Date.parse(page.data[0]?.created_at ?? "");
          if (!Number.isNaN(at)) times.set(record.run_id, at);
        } catch {
          // placed against the load time instead
        }
      }),
    );
    return times;
  }

  /** A run created since the listing: its agent id is on its record only. */
  private async readAgent(runId: string): Promise<void> {
    const run = this.timeline.runs.get(runId);
    if (!run || run.agentId !== undefined) return;
    try {
      const record = await this.client.getConversationRun(this.conversationId, runId, {
        signal: this.controller.signal,
      });
      run.agentId = record.agent_id;
      this.changed();
    } catch {
      // shown without its agent; the page works without it
    }
  }
}
