/**
 * The webhook deliverer (docs/api.md §10): a background loop per server instance that claims due
 * outbox rows and delivers them (`deliver.ts`), at least once each.
 *
 * - **One instance at a time per row.** A claim (`WebhookTx.claimDue`: PostgreSQL
 *   `FOR UPDATE SKIP LOCKED`, SQLite's one writer) stamps the rows with this claim's token and
 *   an expiry of twice the delivery timeout plus a second; an attempt ends within the timeout,
 *   so no other instance takes the row while this one may still be sending it. The outcome is
 *   written only while the claim is still ours (`finishAttempt`).
 * - **Crashes lose nothing.** A row claimed by an instance that died is claimed again once its
 *   claim expires, and sent again: receivers deduplicate by `webhook-id`.
 * - **Retries.** A failed attempt is retried after the next delay of the schedule (default about
 *   5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h; RUNLINE_WEBHOOK_RETRY_SCHEDULE), each ±20 %
 *   jitter; after the last the delivery is `failed`.
 * - **When.** Woken at once when this instance commits deliveries (`nudge`); otherwise it looks
 *   when the next row is due, at least every `pollMs` (rows written by other instances).
 * - **Shutdown** (`stop`): no new claims; attempts in flight are abandoned and their claims
 *   given back, so another instance (or the next start) sends them at once.
 */

import { randomUUID } from "node:crypto";
import type { RunStore } from "../store/types.ts";
import type { AttemptOutcome, ClaimedDelivery } from "../store/webhooks.ts";
import { withSpan } from "../tracing/spans.ts";
import { type AttemptResult, deliverWebhook } from "./deliver.ts";

export interface DelivererOptions {
  store: RunStore;
  /** Delays before the 2nd, 3rd, … attempt (ms); after the last retry the delivery fails. */
  retryScheduleMs: readonly number[];
  timeoutMs: number;
  /** Longest wait between two looks for due rows. */
  pollMs: number;
  allowPrivate: boolean;
  /** Attempts in flight at once. */
  concurrency?: number;
  onError: (error: unknown) => void;
  /** For tests: [0, 1). */
  random?: () => number;
}

/** Least wait before looking again when rows are due but another instance holds them. */
const MIN_WAIT_MS = 25;

export class WebhookDeliverer {
  readonly #instance = randomUUID();
  #claims = 0;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #controller = new AbortController();
  readonly #concurrency: number;
  readonly #leaseMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** When the scheduled look is due (ms since the epoch). */
  #timerAt = Number.POSITIVE_INFINITY;
  /** The last look filled every free slot: a finishing attempt looks again. */
  #saturated = false;
  #ticking: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #started = false;

  constructor(private readonly options: DelivererOptions) {
    this.#concurrency = options.concurrency ?? 16;
    this.#leaseMs = 2 * options.timeoutMs + 1_000;
  }

  start(): void {
    this.#started = true;
    this.#schedule(0);
  }

  /** Deliveries were committed: look now (or right after the look in progress). */
  nudge(): void {
    if (!this.#started || this.#stopped) return;
    if (this.#ticking) this.#again = true;
    else this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking?.catch(() => undefined);
    this.#controller.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Attempts in flight now (tests, metrics). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Looks again by `at` (ms since the epoch) unless a look is scheduled sooner. */
  #wakeBy(at: number): void {
    if (this.#stopped || at >= this.#timerAt) return;
    if (this.#ticking) this.#again = true;
    else this.#schedule(Math.max(0, at - Date.now()));
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timerAt = Date.now() + delayMs;
    this.#timer = setTimeout(() => {
      this.#timerAt = Number.POSITIVE_INFINITY;
      if (this.#ticking) {
        this.#again = true;
        return;
      }
      this.#ticking = this.#tick()
        .catch((error: unknown) => {
          this.options.onError(error);
          return this.options.pollMs;
        })
        .then((next) => {
          this.#ticking = undefined;
          if (this.#again) {
            this.#again = false;
            this.#schedule(0);
          } else if (next !== undefined) {
            this.#schedule(next);
          }
        });
    }, delayMs);
    this.#timer.unref();
  }

  /**
   * Claims what is due (as many as there are free slots) and starts sending it; resolves to
   * the wait before the next look, or undefined when every slot is busy (a finishing attempt
   * looks again).
   */
  async #tick(): Promise<number | undefined> {
    const free = this.#concurrency - this.#inFlight.size;
    if (free <= 0) return undefined;
    // A read first: an idle instance looks without taking the writer (SQLite) or a row lock.
    const due = await this.options.store.webhooks.nextDue();
    if (due === undefined) return this.options.pollMs;
    const now = Date.now();
    if (Date.parse(due) > now) return Math.min(this.options.pollMs, Date.parse(due) - now);
    const claimedBy = `${this.#instance}/${++this.#claims}`;
    const claimed = await this.options.store.transaction((tx) =>
      tx.webhooks.claimDue(
        new Date(now).toISOString(),
        claimedBy,
        new Date(now + this.#leaseMs).toISOString(),
        free,
      ),
    );
    for (const row of claimed) this.#send(row, claimedBy);
    this.#saturated = claimed.length === free;
    if (this.#saturated) return undefined;
    const next = await this.options.store.webhooks.nextDue();
    if (next === undefined) return this.options.pollMs;
    const wait = Date.parse(next) - Date.now();
    return Math.min(this.options.pollMs, Math.max(MIN_WAIT_MS, wait));
  }

  #send(claimed: ClaimedDelivery, claimedBy: string): void {
    const attempt = this.#attempt(claimed, claimedBy)
      .catch((error: unknown) => this.options.onError(error))
      .finally(() => {
        this.#inFlight.delete(attempt);
        // A slot is free and more were due.
        if (this.#saturated) this.nudge();
      });
    this.#inFlight.add(attempt);
  }

  /** One attempt of one row, its outcome written under the claim. */
  async #attempt(claimed: ClaimedDelivery, claimedBy: string): Promise<void> {
    const { store } = this.options;
    const { delivery } = claimed;
    const result = await withSpan(
      "webhook.deliver",
      {
        "runline.webhook.delivery_id": delivery.id,
        "runline.webhook.type": delivery.type,
        "runline.webhook.attempt": delivery.attempts + 1,
      },
      async (span) => {
        const attempted = await deliverWebhook(claimed, {
          timeoutMs: this.options.timeoutMs,
          allowPrivate: this.options.allowPrivate,
          signal: this.#controller.signal,
        });
        span.setAttribute("runline.webhook.outcome", attempted.kind);
        if (attempted.kind !== "aborted" && attempted.statusCode !== null) {
          span.setAttribute("http.response.status_code", attempted.statusCode);
        }
        return attempted;
      },
    );
    if (result.kind === "aborted") {
      await store.transaction((tx) => tx.webhooks.releaseClaim(claimed.delivery.pk, claimedBy));
      return;
    }
    const outcome = this.#outcome(claimed.delivery.attempts + 1, result);
    // False: the claim ran out and another instance took the row; its attempt is the one counted.
    await store.transaction((tx) =>
      tx.webhooks.finishAttempt(claimed.delivery.pk, claimedBy, outcome),
    );
    if (outcome.nextAttemptAt) this.#wakeBy(Date.parse(outcome.nextAttemptAt));
  }

  #outcome(attempts: number, result: Exclude<AttemptResult, { kind: "aborted" }>): AttemptOutcome {
    const now = Date.now();
    const at = new Date(now).toISOString();
    if (result.kind === "delivered") {
      return {
        status: "delivered",
        statusCode: result.statusCode,
        error: null,
        nextAttemptAt: null,
        at,
      };
    }
    const delay = this.options.retryScheduleMs[attempts - 1];
    if (delay === undefined) {
      return {
        status: "failed",
        statusCode: result.statusCode,
        error: result.error,
        nextAttemptAt: null,
        at,
      };
    }
    const jitter = 0.8 + 0.4 * (this.options.random ?? Math.random)();
    return {
      status: "pending",
      statusCode: result.statusCode,
      error: result.error,
      nextAttemptAt: new Date(now + Math.round(delay * jitter)).toISOString(),
      at,
    };
  }
}
