/**
 * Reconnect and retry delays: capped exponential backoff with full jitter
 * (a uniformly random delay between 0 and min(max, initial · 2^attempt)), so many clients
 * cut at the same instant do not come back at the same instant.
 */

export interface BackoffOptions {
  /** Upper bound of the first delay, in ms (default 250). */
  initialDelayMs?: number;
  /** Cap of every delay, in ms (default 10 000). */
  maxDelayMs?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initial: number;
  private readonly max: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.initial = Math.max(0, options.initialDelayMs ?? 250);
    this.max = Math.max(this.initial, options.maxDelayMs ?? 10_000);
    this.random = random;
  }

  /** The delay before the next attempt; each call widens the window (up to the cap). */
  next(): number {
    const ceiling = Math.min(this.max, this.initial * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.floor(this.random() * ceiling);
  }

  /** After progress: the next failure starts again from the smallest window. */
  reset(): void {
    this.attempt = 0;
  }

  /** How many delays were handed out since the last reset. */
  get failures(): number {
    return this.attempt;
  }
}
