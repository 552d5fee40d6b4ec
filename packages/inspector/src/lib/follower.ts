/**
 * Follows one run: reads its snapshot (`GET …/snapshot`), then streams from the snapshot's
 * `after_event_id` with `@runline/client` (which parses SSE with eventsource-parser, sends the
 * key as a header, and resumes with `Last-Event-ID` after a dropped connection, skipping ids it
 * has already yielded and refusing gaps). Every event goes to the conversation model and the
 * raw log; views subscribe and are told at most once per animation frame.
 *
 * The stream requests go through a wrapped `fetch` only to count connections (so the page can
 * say "reconnected"); nothing about resuming is done here.
 */
import type { RunlineClient } from "@runline/client";
import { EventLogStore, type LogRow } from "./event-log.ts";
import type { AguiEvent } from "./run-model.ts";
import { RunModel } from "./run-model.ts";

export type FollowStatus = "loading" | "live" | "ended" | "error" | "stopped";

export interface FollowState {
  status: FollowStatus;
  error: string | undefined;
  /** Stream connections opened so far (more than one: it resumed after a drop). */
  connections: number;
  /** Where the snapshot left off (the stream started after it). */
  snapshotEventId: number | undefined;
  /** A change counter: the model and the log changed when it moves. */
  version: number;
}

export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

/**
 * What both followers (a run, a conversation) share: a client whose stream requests are
 * counted, the abort controller that stops them, and coalesced change notification — views
 * subscribe and are told at most once per animation frame (or every 200 ms in a hidden tab).
 */
export abstract class Follower {
  protected readonly client: RunlineClient;
  protected readonly controller = new AbortController();
  private readonly listeners = new Set<() => void>();
  protected state: FollowState = {
    status: "loading",
    error: undefined,
    connections: 0,
    snapshotEventId: undefined,
    version: 0,
  };
  private scheduled = false;

  constructor(
    makeClient: (fetchFn: FetchFn) => RunlineClient,
    /** What is followed, for the message when the page stops following ("this run"). */
    private readonly subject: string,
    protected readonly describe: (error: unknown) => string,
  ) {
    this.client = makeClient(this.countingFetch);
  }

  abstract start(): Promise<void>;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): FollowState => this.state;

  stop(): void {
    this.controller.abort(
      new DOMException(`The page no longer follows ${this.subject}`, "AbortError"),
    );
    this.set({ status: "stopped" });
  }

  private countingFetch: FetchFn = (input, init) => {
    if (input.includes("/stream")) this.set({ connections: this.state.connections + 1 });
    return globalThis.fetch(input, init);
  };

  protected set(change: Partial<FollowState>): void {
    this.state = { ...this.state, ...change };
    this.changed();
  }

  protected changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      this.state = { ...this.state, version: this.state.version + 1 };
      for (const listener of this.listeners) listener();
    };
    if (document.visibilityState === "visible") requestAnimationFrame(flush);
    else setTimeout(flush, 200);
  }
}

export class RunFollower extends Follower {
  readonly model = new RunModel();
  readonly log: EventLogStore;
  private onEventListeners = new Set<(row: LogRow) => void>();

  constructor(
    makeClient: (fetchFn: FetchFn) => RunlineClient,
    private readonly conversationId: string,
    private readonly runId: string,
    describe: (error: unknown) => string,
  ) {
    super(makeClient, "this run", describe);
    this.log = new EventLogStore(
      async (after, limit) => {
        const page = await this.client.listEvents(
          conversationId,
          runId,
          { after_event_id: after, limit },
          { signal: this.controller.signal },
        );
        return page.data.map((e) => ({
          id: e.event_id,
          type: e.event_type,
          event: e.event as AguiEvent,
          createdAt: e.created_at,
        }));
      },
      () => this.changed(),
      describe,
    );
  }

  /** Called for every live event (after the snapshot), e.g. to refresh the run record. */
  onEvent(listener: (row: LogRow) => void): () => void {
    this.onEventListeners.add(listener);
    return () => this.onEventListeners.delete(listener);
  }

  async start(): Promise<void> {
    const signal = this.controller.signal;
    try {
      const snapshot = await this.client.getSnapshot(this.conversationId, this.runId, { signal });
      let ended = false;
      for (const entry of snapshot.events) {
        this.model.apply(entry.event as AguiEvent, entry.event_id);
        if (entry.event.type === "RUN_FINISHED" || entry.event.type === "RUN_ERROR") ended = true;
      }
      this.log.extendTo(snapshot.after_event_id);
      this.set({ status: ended ? "ended" : "live", snapshotEventId: snapshot.after_event_id });
      if (ended) return;
      const stream = this.client.stream(this.conversationId, this.runId, {
        afterEventId: snapshot.after_event_id,
        signal,
        reconnect: { initialDelayMs: 250, maxDelayMs: 5000 },
      });
      for await (const item of stream) {
        if (item.event_id === null) continue; // not expected after a snapshot
        const row: LogRow = { id: item.event_id, type: item.event_type, event: item.event };
        this.model.apply(item.event, item.event_id);
        this.log.add(row);
        for (const listener of this.onEventListeners) listener(row);
      }
      this.set({ status: "ended" });
    } catch (error) {
      if (signal.aborted) return;
      this.set({ status: "error", error: this.describe(error) });
    }
  }
}
