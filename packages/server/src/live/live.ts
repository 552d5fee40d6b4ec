/**
 * Live following, assembled: the hub, the registry of open streams, and — with PostgreSQL —
 * the LISTEN/NOTIFY feed between instances. `server.ts` creates it, feeds it every commit
 * (`committed`) and closes it on shutdown; the stream route opens streams through `openStream`.
 */
import type { Config } from "../config/config.ts";
import { isTerminal } from "../domain/run-status.ts";
import type { RunRow, RunStore } from "../store/types.ts";
import { LiveHub } from "./hub.ts";
import { type FeedLogger, PostgresFeed } from "./postgres-feed.ts";
import { RunStream, type SseSink } from "./run-stream.ts";
import { StreamRegistry } from "./stream-registry.ts";

/** What live following reports to `/metrics`. */
export interface LiveMetrics {
  setOpenStreams(count: number): void;
  eventDelivered(): void;
  lagDisconnect(): void;
}

export interface OpenStreamRequest {
  /** Identifies the caller's credential for the per-credential limit. */
  credential: string;
  /** The caller's project, for the per-project limit. */
  project: string;
  /** Reads the run (and checks the caller may see it) once a slot is reserved. */
  findRun(): Promise<RunRow>;
  /** Send events with ids above this. */
  after: number;
  /** Writes the response head; the stream writes the body to the returned sink. */
  begin(): SseSink;
}

export class Live {
  readonly hub: LiveHub;
  readonly streams: StreamRegistry;
  readonly feed: PostgresFeed | undefined;
  readonly #store: RunStore;
  readonly #config: Config;
  readonly #metrics: LiveMetrics | undefined;
  #log: FeedLogger = { warn: () => {}, info: () => {} };

  private constructor(config: Config, store: RunStore, metrics: LiveMetrics | undefined) {
    this.#config = config;
    this.#store = store;
    this.#metrics = metrics;
    this.hub = new LiveHub({
      readEvents: (pk, after, limit) => store.readEvents(pk, after, limit),
    });
    this.streams = new StreamRegistry(config.sse);
    this.streams.onCountChange = (open) => metrics?.setOpenStreams(open);
    this.feed =
      config.databaseUrl && store.dialect === "postgres"
        ? new PostgresFeed({
            connectionString: config.databaseUrl,
            hub: this.hub,
            recheckMs: config.sse.recheckMs,
            log: () => this.#log,
          })
        : undefined;
  }

  static async start(config: Config, store: RunStore, metrics?: LiveMetrics): Promise<Live> {
    const live = new Live(config, store, metrics);
    await live.feed?.start();
    return live;
  }

  /** Where the feed reports connection trouble (the app's logger, once it exists). */
  useLogger(log: FeedLogger): void {
    this.#log = log;
  }

  /** The ledger's commit hook: local subscribers and (with PostgreSQL) other instances. */
  committed(run: RunRow): void {
    this.hub.announce(run.pk, run.latest_event_id);
    this.feed?.publish(run);
  }

  /**
   * Opens a stream: reserves a slot (throws 429/503 problems), reads the run (its errors
   * propagate, slot freed), then writes the head and follows the run until the stream ends.
   */
  async openStream(request: OpenStreamRequest): Promise<void> {
    const slot = this.streams.admit(request.credential, request.project);
    let run: RunRow;
    try {
      run = await request.findRun();
    } catch (error) {
      slot.release();
      throw error;
    }
    const metrics = this.#metrics;
    const stream = new RunStream({
      runPk: run.pk,
      after: request.after,
      latestEventId: run.latest_event_id,
      terminal: isTerminal(run.status),
      hub: this.hub,
      readEvents: (pk, after, limit) => this.#store.readEvents(pk, after, limit),
      sink: request.begin(),
      maxBufferedEvents: this.#config.sse.maxBufferedEvents,
      maxBufferedBytes: this.#config.sse.maxBufferedBytes,
      ...(metrics && { onDelivered: () => metrics.eventDelivered() }),
      onEnd: (reason) => {
        if (reason === "lagging") metrics?.lagDisconnect();
        slot.release();
      },
    });
    stream.start();
    if (!stream.ended) slot.attach(stream);
  }

  /** Ends every open stream and refuses new ones (clients resume elsewhere). */
  endStreams(): Promise<void> {
    return this.streams.closeAll();
  }

  async close(): Promise<void> {
    await this.streams.closeAll();
    await this.feed?.close();
  }
}
