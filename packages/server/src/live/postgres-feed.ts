/**
 * Cross-instance fan-out over PostgreSQL LISTEN/NOTIFY (several Runline instances, one database).
 *
 * - Publish: after each local commit, `pg_notify('runline_runs', '<project_id>:<run_pk>:<latest_event_id>')`
 *   through this feed's own small pool (never the store's). Commits that arrive while a NOTIFY
 *   is being sent coalesce: the next statement carries the newest position of every run.
 * - Listen: one dedicated connection per instance runs `LISTEN runline_runs` and turns every
 *   notification into `hub.announce(run_pk, latest_event_id)`; the hub reads the new rows once
 *   for all local subscribers. Our own notifications are skipped (the commit hook announced them).
 * - Nothing is lost, only delayed: a dropped LISTEN connection reconnects with exponential
 *   backoff and then catches up — one query for the latest event id of every run with local
 *   subscribers, announced to the hub — and the same catch-up runs every `recheckMs` as a safety
 *   net for notifications that were never sent (a process that died between commit and NOTIFY).
 *
 * API keys: the store's revoke statement NOTIFYs `runline_api_keys` with the key id; the listener
 * turns it into an `apiKeyRevoked` event (the authenticator's key cache forgets the key; while
 * the connection is lost, `lost` … `restored`, that cache is suspended).
 *
 * Claims: a commit that makes a run claimable is also announced on `runline_claims`, and the
 * listener turns it into a `claim` event, so long-polling claims on every instance wake at once.
 * Input requests likewise: a change to one is announced on `runline_input_requests` (its id),
 * and becomes an `inputRequest` event that wakes long-polling reads of it (docs/api.md §7).
 *
 * Conversation streams (docs/api.md §8) travel the same way on `runline_conversations`
 * (`<project_id>:<stream_pk>:<latest_frame_id>`) into the conversation hub, and the catch-up
 * re-reads `conversation_streams (pk, latest_frame_id)` of the streams followed here.
 *
 * The catch-up reads `runs (pk, latest_event_id)` directly: one statement for all subscribed
 * runs instead of one log read per run.
 */
import { EventEmitter } from "node:events";
import pg from "pg";
import type { StreamPosition } from "../store/conversation-frames.ts";
import { API_KEY_REVOCATIONS_CHANNEL } from "../store/postgres/postgres-store.ts";
import type { RunRow } from "../store/types.ts";
import type { ClaimSignal } from "../workers/wakeups.ts";
import type { LiveHub } from "./hub.ts";

export const NOTIFY_CHANNEL = "runline_runs";
/** Runs that became claimable by workers: wakes long-polling claims on other instances. */
export const CLAIMS_CHANNEL = "runline_claims";
/** Input requests that changed (payload: the request id): wakes long-polling reads elsewhere. */
export const INPUT_REQUESTS_CHANNEL = "runline_input_requests";
/** Conversation streams that advanced (docs/api.md §8): `<project_id>:<stream_pk>:<latest_frame_id>`. */
export const CONVERSATIONS_CHANNEL = "runline_conversations";

export interface FeedLogger {
  warn(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
}

export interface PostgresFeedOptions {
  connectionString: string;
  hub: LiveHub;
  /** The conversation streams' hub (keyed by stream pk). */
  conversationHub?: LiveHub;
  /** Safety-net interval: how often subscribed runs are re-checked without notifications. */
  recheckMs: number;
  log: () => FeedLogger;
  /** First reconnect delay after the LISTEN connection drops (doubles up to `maxBackoffMs`). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Runs per catch-up statement. */
const CATCH_UP_CHUNK = 1000;

/** pg sets `processID` (the backend pid) on a connected client; its typings leave it out. */
function processIdOf(client: pg.ClientBase): number | undefined {
  const pid = (client as pg.ClientBase & { processID?: unknown }).processID;
  return typeof pid === "number" ? pid : undefined;
}

/** Parses `<project_id>:<run_pk>:<latest_event_id>` (a project id may itself contain `:`). */
export function parseNotification(
  payload: string | undefined,
): { runPk: number; latestEventId: number } | undefined {
  const match = /:(\d{1,15}):(\d{1,15})$/.exec(payload ?? "");
  if (!match) return undefined;
  return { runPk: Number(match[1]), latestEventId: Number(match[2]) };
}

/** `{"p","k","w"}` ↔ a claim signal; undefined for anything malformed. */
export function encodeClaimSignal(signal: ClaimSignal): string {
  return JSON.stringify({ p: signal.projectId, k: signal.implementationKind, w: signal.workerKey });
}

export function parseClaimSignal(payload: string | undefined): ClaimSignal | undefined {
  try {
    const { p, k, w } = JSON.parse(payload ?? "") as Record<string, unknown>;
    if (typeof p !== "string" || typeof k !== "string") return undefined;
    if (w !== null && typeof w !== "string") return undefined;
    return { projectId: p, implementationKind: k, workerKey: w };
  } catch {
    return undefined;
  }
}

/** A position waiting for the next NOTIFY, and its payload. */
interface Unpublished {
  latest: number;
  payload: string;
}

/**
 * Emits `lost` when the LISTEN connection drops, `restored` once it is back and caught up,
 * `claim` when another instance committed a run that workers can claim, and `apiKeyRevoked`
 * (key id) when any process revoked an API key.
 */
export class PostgresFeed extends EventEmitter<{
  lost: [];
  restored: [];
  claim: [ClaimSignal];
  apiKeyRevoked: [string];
  inputRequest: [string];
}> {
  readonly #o: PostgresFeedOptions;
  readonly #pool: pg.Pool;
  /** Backend pids of our own publishing connections: their notifications are ours. */
  readonly #ownPids = new Set<number>();
  #listener: pg.Client | undefined;
  #closed = false;
  #backoffMs: number;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #recheckTimer: NodeJS.Timeout | undefined;
  /** Newest unpublished position per run pk, and its NOTIFY payload. */
  #unpublished = new Map<number, Unpublished>();
  /** Claim signals not yet announced (deduplicated by payload). */
  #unpublishedClaims = new Set<string>();
  /** Input request ids not yet announced. */
  #unpublishedInputRequests = new Set<string>();
  /** Newest unpublished position per conversation stream pk, and its NOTIFY payload. */
  #unpublishedConversations = new Map<number, Unpublished>();
  #publishing: Promise<void> | undefined;
  #catchingUp: Promise<void> | undefined;
  /** Counters for tests and diagnostics. */
  readonly stats = { notificationsReceived: 0, reconnects: 0, catchUps: 0 };

  constructor(options: PostgresFeedOptions) {
    super();
    this.#o = options;
    this.#backoffMs = options.initialBackoffMs ?? 100;
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: 1,
      connectionTimeoutMillis: 5_000,
      query_timeout: 10_000,
    });
    // A pid is unique among live backends, so it identifies our connection only while it lives.
    this.#pool.on("connect", (client) => {
      const pid = processIdOf(client);
      if (pid !== undefined) this.#ownPids.add(pid);
    });
    this.#pool.on("remove", (client) => {
      const pid = processIdOf(client);
      if (pid !== undefined) this.#ownPids.delete(pid);
    });
    this.#pool.on("error", (error) =>
      this.#o.log().warn({ err: error }, "live feed: idle connection failed"),
    );
  }

  /** The backend pid of the LISTEN connection (undefined while reconnecting). */
  get listenerPid(): number | undefined {
    return this.#listener && processIdOf(this.#listener);
  }

  /** Opens the LISTEN connection (throws if it cannot) and starts the safety net. */
  async start(): Promise<void> {
    this.#listener = await this.#listen();
    this.#recheckTimer = setInterval(() => void this.catchUp(), this.#o.recheckMs);
    this.#recheckTimer.unref();
  }

  /** Announces a local commit to the other instances. Never throws. */
  publish(run: RunRow): void {
    this.#publishPosition(this.#unpublished, run.project_id, run.pk, run.latest_event_id);
  }

  /** Announces to the other instances that a run became claimable. Never throws. */
  publishClaim(signal: ClaimSignal): void {
    if (this.#closed) return;
    this.#unpublishedClaims.add(encodeClaimSignal(signal));
    this.#publishing ??= this.#flush();
  }

  /** Announces to the other instances that a conversation stream advanced. Never throws. */
  publishConversation(position: StreamPosition): void {
    const { projectId, streamPk, latestFrameId } = position;
    this.#publishPosition(this.#unpublishedConversations, projectId, streamPk, latestFrameId);
  }

  /** Queues `<project>:<pk>:<latest>` unless a newer position of that pk is queued already. */
  #publishPosition(
    queue: Map<number, Unpublished>,
    projectId: string,
    pk: number,
    latest: number,
  ): void {
    if (this.#closed) return;
    const known = queue.get(pk);
    if (!known || known.latest < latest) {
      queue.set(pk, { latest, payload: `${projectId}:${pk}:${latest}` });
    }
    this.#publishing ??= this.#flush();
  }

  /** Announces to the other instances that an input request changed. Never throws. */
  publishInputRequest(id: string): void {
    if (this.#closed) return;
    this.#unpublishedInputRequests.add(id);
    this.#publishing ??= this.#flush();
  }

  /** Re-reads the latest event id of every run with local subscribers and tells the hub. */
  catchUp(): Promise<void> {
    this.#catchingUp ??= this.#catchUpOnce().finally(() => {
      this.#catchingUp = undefined;
    });
    return this.#catchingUp;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#recheckTimer);
    clearTimeout(this.#reconnectTimer);
    await this.#publishing;
    await this.#catchingUp?.catch(() => {});
    const listener = this.#listener;
    this.#listener = undefined;
    await Promise.allSettled([listener?.end(), this.#pool.end()]);
  }

  async #flush(): Promise<void> {
    // Let commits of the same tick join the statement.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (
        this.#unpublished.size > 0 ||
        this.#unpublishedClaims.size > 0 ||
        this.#unpublishedInputRequests.size > 0 ||
        this.#unpublishedConversations.size > 0
      ) {
        const payloads = [...this.#unpublished.values()].map((entry) => entry.payload);
        const conversations = [...this.#unpublishedConversations.values()].map((e) => e.payload);
        this.#unpublishedConversations.clear();
        const claims = [...this.#unpublishedClaims];
        const inputRequests = [...this.#unpublishedInputRequests];
        this.#unpublished.clear();
        this.#unpublishedClaims.clear();
        this.#unpublishedInputRequests.clear();
        try {
          await this.#pool.query(
            `SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload
             UNION ALL SELECT pg_notify($3, payload) FROM unnest($4::text[]) AS payload
             UNION ALL SELECT pg_notify($5, payload) FROM unnest($6::text[]) AS payload
             UNION ALL SELECT pg_notify($7, payload) FROM unnest($8::text[]) AS payload`,
            [
              NOTIFY_CHANNEL,
              payloads,
              CLAIMS_CHANNEL,
              claims,
              INPUT_REQUESTS_CHANNEL,
              inputRequests,
              CONVERSATIONS_CHANNEL,
              conversations,
            ],
          );
        } catch (error) {
          // Other instances learn of these commits from their safety-net re-check; waiting
          // claims there re-check at their own deadline or the next lease expiry.
          this.#o.log().warn({ err: error, runs: payloads.length }, "live feed: NOTIFY failed");
        }
      }
    } finally {
      this.#publishing = undefined;
    }
  }

  async #listen(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#o.connectionString, keepAlive: true });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      client.removeAllListeners("notification");
      if (this.#listener === client) this.#listener = undefined;
      if (this.#closed) return;
      this.#o.log().warn({ err: error }, "live feed: LISTEN connection lost; reconnecting");
      this.emit("lost");
      this.#scheduleReconnect();
    };
    client.on("error", onLost);
    client.on("end", () => onLost());
    client.on("notification", (message) => {
      // Revocations come from the store's connections (any process): never skipped as ours.
      if (message.channel === API_KEY_REVOCATIONS_CHANNEL) {
        if (message.payload) this.emit("apiKeyRevoked", message.payload);
        return;
      }
      if (this.#ownPids.has(message.processId)) return;
      if (message.channel === CLAIMS_CHANNEL) {
        const signal = parseClaimSignal(message.payload);
        if (signal) this.emit("claim", signal);
        return;
      }
      if (message.channel === INPUT_REQUESTS_CHANNEL) {
        if (message.payload) this.emit("inputRequest", message.payload);
        return;
      }
      const news = parseNotification(message.payload);
      if (!news) return;
      this.stats.notificationsReceived++;
      if (message.channel === CONVERSATIONS_CHANNEL) {
        this.#o.conversationHub?.announce(news.runPk, news.latestEventId);
        return;
      }
      this.#o.hub.announce(news.runPk, news.latestEventId);
    });
    try {
      await client.connect();
      await client.query(
        `LISTEN ${NOTIFY_CHANNEL}; LISTEN ${CLAIMS_CHANNEL}; LISTEN ${API_KEY_REVOCATIONS_CHANNEL}; LISTEN ${INPUT_REQUESTS_CHANNEL}; LISTEN ${CONVERSATIONS_CHANNEL}`,
      );
    } catch (error) {
      lost = true;
      client.removeAllListeners();
      client.on("error", () => {});
      await client.end().catch(() => {});
      throw error;
    }
    return client;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#o.maxBackoffMs ?? 5_000);
    this.#reconnectTimer = setTimeout(async () => {
      this.#reconnectTimer = undefined;
      if (this.#closed) return;
      try {
        const client = await this.#listen();
        if (this.#closed) {
          await client.end().catch(() => {});
          return;
        }
        this.#listener = client;
        this.#backoffMs = this.#o.initialBackoffMs ?? 100;
        this.stats.reconnects++;
        this.#o.log().info({}, "live feed: LISTEN connection restored; catching up");
        // A catch-up already running may have read before the commits we missed: run a new one,
        // which starts after LISTEN is back (anything later arrives as a notification).
        await this.#catchingUp;
        await this.catchUp();
        this.emit("restored");
      } catch (error) {
        this.#o.log().warn({ err: error }, "live feed: reconnect failed");
        this.#scheduleReconnect();
      }
    }, delay);
    this.#reconnectTimer.unref();
  }

  async #catchUpOnce(): Promise<void> {
    const runs = [...this.#o.hub.subscribedRuns().keys()];
    const streams = [...(this.#o.conversationHub?.subscribedRuns().keys() ?? [])];
    if ((runs.length === 0 && streams.length === 0) || this.#closed) return;
    this.stats.catchUps++;
    try {
      for (let i = 0; i < streams.length; i += CATCH_UP_CHUNK) {
        const result = await this.#pool.query<{ pk: string; latest_frame_id: string }>(
          "SELECT pk, latest_frame_id FROM conversation_streams WHERE pk = ANY($1::bigint[])",
          [streams.slice(i, i + CATCH_UP_CHUNK)],
        );
        for (const row of result.rows) {
          this.#o.conversationHub?.announce(Number(row.pk), Number(row.latest_frame_id));
        }
      }
      for (let i = 0; i < runs.length; i += CATCH_UP_CHUNK) {
        const chunk = runs.slice(i, i + CATCH_UP_CHUNK);
        const result = await this.#pool.query<{ pk: string; latest_event_id: string }>(
          "SELECT pk, latest_event_id FROM runs WHERE pk = ANY($1::bigint[])",
          [chunk],
        );
        for (const row of result.rows) {
          this.#o.hub.announce(Number(row.pk), Number(row.latest_event_id));
        }
      }
    } catch (error) {
      this.#o
        .log()
        .warn({ err: error }, "live feed: catch-up failed; retrying at the next re-check");
    }
  }
}
