/**
 * Live following, assembled: the hub, the registry of open streams, and — with PostgreSQL —
 * the LISTEN/NOTIFY feed between instances. `server.ts` creates it, feeds it every commit
 * (`committed`) and closes it on shutdown; the stream route opens streams through `openStream`.
 */
import type { Config } from "../config/config.ts";
import { isTerminal } from "../domain/run-status.ts";
import type { ConversationStreamRow, StreamPosition } from "../store/conversation-frames.ts";
import type { RunRow, RunStore, StoredEvent } from "../store/types.ts";
import { LiveHub, type ReadEvents } from "./hub.ts";
import { type FeedLogger, PostgresFeed } from "./postgres-feed.ts";
import { RunStream, type SseSink } from "./run-stream.ts";
import { conversationFrame } from "./sse-frames.ts";
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

export interface OpenConversationStreamRequest extends Omit<OpenStreamRequest, "findRun"> {
  /** Reads the conversation's stream (and checks the caller may see it) once a slot is reserved. */
  findStream(): Promise<ConversationStreamRow>;
}

/** What a stream follows: a run's log or a conversation's frames. */
interface StreamSource {
  pk: number;
  latest: number;
  terminal: boolean;
  hub: LiveHub;
  read: ReadEvents;
  frame?: (row: StoredEvent) => string;
  endsStream?: (row: StoredEvent) => boolean;
  gaps?: boolean;
}

export class Live {
  readonly hub: LiveHub;
  /** Fan-out of conversation streams (docs/api.md §8), keyed by stream pk. */
  readonly conversationHub: LiveHub;
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
    this.conversationHub = new LiveHub({
      readEvents: (pk, after, limit) => store.conversationFrames.readFrames(pk, after, limit),
    });
    this.streams = new StreamRegistry(config.sse);
    this.streams.onCountChange = (open) => metrics?.setOpenStreams(open);
    this.feed =
      config.databaseUrl && store.dialect === "postgres"
        ? new PostgresFeed({
            connectionString: config.databaseUrl,
            hub: this.hub,
            conversationHub: this.conversationHub,
            recheckMs: config.sse.recheckMs,
            log: () => this.#log,
          })
        : undefined;
    // Frames commit through the store (any operation, either write path): announced here and,
    // with PostgreSQL, to the other instances.
    store.changes.onFrames((positions) => this.conversationsCommitted(positions));
  }

  /** Conversation streams advanced: local followers and (with PostgreSQL) other instances. */
  conversationsCommitted(positions: readonly StreamPosition[]): void {
    for (const position of positions) {
      this.conversationHub.announce(position.streamPk, position.latestFrameId);
      this.feed?.publishConversation(position);
    }
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
  openStream(request: OpenStreamRequest): Promise<void> {
    return this.#open(request, async () => {
      const run = await request.findRun();
      return {
        pk: run.pk,
        latest: run.latest_event_id,
        terminal: isTerminal(run.status),
        hub: this.hub,
        read: (pk, after, limit) => this.#store.readEvents(pk, after, limit),
      };
    });
  }

  /**
   * Opens a conversation stream (docs/api.md §8) under the same limits: replays its frames after
   * `request.after`, then follows it live; it never ends by itself.
   */
  openConversationStream(request: OpenConversationStreamRequest): Promise<void> {
    return this.#open(request, async () => {
      const stream = await request.findStream();
      return {
        pk: stream.pk,
        latest: stream.latest_frame_id,
        terminal: false,
        hub: this.conversationHub,
        read: (pk, after, limit) => this.#store.conversationFrames.readFrames(pk, after, limit),
        frame: conversationFrame,
        endsStream: () => false,
        gaps: true,
      };
    });
  }

  async #open(
    request: Omit<OpenStreamRequest, "findRun">,
    find: () => Promise<StreamSource>,
  ): Promise<void> {
    const slot = this.streams.admit(request.credential, request.project);
    let source: StreamSource;
    try {
      source = await find();
    } catch (error) {
      slot.release();
      throw error;
    }
    const metrics = this.#metrics;
    const stream = new RunStream({
      runPk: source.pk,
      after: request.after,
      latestEventId: source.latest,
      terminal: source.terminal,
      hub: source.hub,
      readEvents: source.read,
      sink: request.begin(),
      maxBufferedEvents: this.#config.sse.maxBufferedEvents,
      maxBufferedBytes: this.#config.sse.maxBufferedBytes,
      ...(source.frame && { frame: source.frame }),
      ...(source.endsStream && { endsStream: source.endsStream }),
      ...(source.gaps && { gaps: true }),
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
