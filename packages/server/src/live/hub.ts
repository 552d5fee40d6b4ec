/**
 * The live hub: in-process fan-out of new log rows to everyone following a run.
 *
 * Feeds tell the hub "run X (pk) is now at event N" (`announce`): the in-process commit hook
 * after every local commit, and with PostgreSQL the LISTEN/NOTIFY feed for commits made by
 * other instances. For each run that has subscribers the hub keeps a cursor (the highest id it
 * has read) and reads the rows past it *once*, handing the same row objects to every
 * subscriber. Announcements that arrive while a read is running coalesce into one more read;
 * announcements at or below the cursor cost nothing.
 *
 * The hub promises: every row committed after a subscriber joined reaches it, in id order (a
 * batch may also hold rows it already has; subscribers skip ids they have). Rows committed
 * before it joined are the subscriber's own replay (see `run-stream.ts` for the hand-over).
 * If a read fails, the run's subscribers are told (`onError`) and dropped; their clients resume
 * from the log with `Last-Event-ID`.
 */
import type { StoredEvent } from "../store/types.ts";

/** Reads a run's log: ids above `afterEventId`, ascending, at most `limit` (RunStore.readEvents). */
export type ReadEvents = (
  runPk: number,
  afterEventId: number,
  limit: number,
) => Promise<StoredEvent[]>;

export interface HubSubscriber {
  /** New rows of the run, ascending by id. Must not block; may receive ids it already has. */
  onEvents(events: readonly StoredEvent[]): void;
  /** The hub could not read the run's log; the subscriber is no longer subscribed. */
  onError(error: unknown): void;
}

export interface LiveHubOptions {
  readEvents: ReadEvents;
  /** Rows per read (default 500). */
  batchSize?: number;
}

interface Channel {
  readonly runPk: number;
  readonly subscribers: Set<HubSubscriber>;
  /** The highest event id the hub has read (and handed out) for this run. */
  cursor: number;
  /** An announcement above the cursor (or a re-check) is waiting for a read. */
  dirty: boolean;
  reading: boolean;
}

export class LiveHub {
  readonly #readEvents: ReadEvents;
  readonly #batchSize: number;
  readonly #channels = new Map<number, Channel>();
  /** Counters for tests and diagnostics: log reads made by the hub, rows handed out. */
  readonly stats = { reads: 0, rowsRead: 0 };

  constructor(options: LiveHubOptions) {
    this.#readEvents = options.readEvents;
    this.#batchSize = options.batchSize ?? 500;
  }

  /**
   * Follows a run. `knownLatestEventId` is a position the caller has read from the log (or
   * will replay past): the hub starts reading after it when it opens the run's channel.
   * Returns the unsubscribe function (idempotent).
   */
  subscribe(runPk: number, knownLatestEventId: number, subscriber: HubSubscriber): () => void {
    let channel = this.#channels.get(runPk);
    if (!channel) {
      channel = {
        runPk,
        subscribers: new Set(),
        cursor: knownLatestEventId,
        dirty: false,
        reading: false,
      };
      this.#channels.set(runPk, channel);
    }
    channel.subscribers.add(subscriber);
    const joined = channel;
    return () => {
      joined.subscribers.delete(subscriber);
      if (joined.subscribers.size === 0 && this.#channels.get(runPk) === joined) {
        this.#channels.delete(runPk);
      }
    };
  }

  /** A feed's news: run `runPk` has committed events up to `latestEventId`. Never throws. */
  announce(runPk: number, latestEventId: number): void {
    const channel = this.#channels.get(runPk);
    if (!channel || latestEventId <= channel.cursor) return;
    channel.dirty = true;
    this.#pump(channel);
  }

  /** Reads past the cursor of `runPk` (every subscribed run when omitted) without news. */
  recheck(runPk?: number): void {
    const channels =
      runPk === undefined ? [...this.#channels.values()] : [this.#channels.get(runPk)];
    for (const channel of channels) {
      if (!channel) continue;
      channel.dirty = true;
      this.#pump(channel);
    }
  }

  /** The runs that have at least one subscriber here, with the hub's cursor for each. */
  subscribedRuns(): Map<number, number> {
    return new Map([...this.#channels.values()].map((c) => [c.runPk, c.cursor]));
  }

  get subscriberCount(): number {
    let count = 0;
    for (const channel of this.#channels.values()) count += channel.subscribers.size;
    return count;
  }

  get runCount(): number {
    return this.#channels.size;
  }

  #pump(channel: Channel): void {
    if (channel.reading) return;
    channel.reading = true;
    void this.#drain(channel);
  }

  async #drain(channel: Channel): Promise<void> {
    try {
      while (channel.dirty && this.#channels.get(channel.runPk) === channel) {
        channel.dirty = false;
        const rows = await this.#readEvents(channel.runPk, channel.cursor, this.#batchSize);
        this.stats.reads++;
        this.stats.rowsRead += rows.length;
        const last = rows[rows.length - 1];
        if (!last) continue;
        channel.cursor = last.event_id;
        if (rows.length === this.#batchSize) channel.dirty = true;
        for (const subscriber of [...channel.subscribers]) {
          try {
            subscriber.onEvents(rows);
          } catch (error) {
            channel.subscribers.delete(subscriber);
            subscriber.onError(error);
          }
        }
      }
    } catch (error) {
      if (this.#channels.get(channel.runPk) === channel) this.#channels.delete(channel.runPk);
      for (const subscriber of channel.subscribers) subscriber.onError(error);
      channel.subscribers.clear();
    } finally {
      channel.reading = false;
    }
  }
}
