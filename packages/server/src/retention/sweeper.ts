/**
 * The retention sweeper (docs/api.md §9): a background loop that
 *
 * 1. marks expired run trees deleted — trees in which every run ended more than the project's
 *    retention (`projects.retention_days`, else RUNLINE_RETENTION_DAYS; 0 = forever) ago;
 * 2. purges the rows of marked runs (retention's and `DELETE` requests') in batches of at most
 *    `batchRows` rows, each batch its own short transaction, yielding to the event loop between
 *    them — so on SQLite, where appends share the one writer, an append waits for at most one
 *    batch (measured in docs/operations.md), and on PostgreSQL autovacuum can follow;
 * 3. forgets tombstones older than `tombstoneDays` (at least 30) whose runs are purged;
 * 4. purges webhook data (docs/api.md §10): deliveries of deleted webhooks, then those webhooks,
 *    and deliveries finished more than `webhookDeliveryDays` ago (pending ones are kept);
 * 5. on SQLite, gives up to `vacuumPages` free pages back to the file system.
 *
 * Every transaction first takes the sweeper lock (PostgreSQL: an advisory lock, so one
 * instance sweeps at a time; the others skip their turn). Progress lives in the database (the
 * marks), so a restarted server resumes where the last one stopped; the loop runs once at
 * start, then every `intervalMs`, and again at once while work is left or after a `wake()`.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { RunStore, RunStoreTx } from "../store/types.ts";
import { effectiveRetentionDays } from "./project-settings.ts";

export interface RetentionMetrics {
  /** The body of one sweeper transaction took `seconds` (the writer is held that long). */
  transaction(phase: SweepPhase, seconds: number): void;
  swept(report: SweepReport): void;
  backlog(runs: number): void;
  failed(): void;
}

export type SweepPhase = "expire" | "purge" | "tombstones" | "webhooks" | "vacuum";

export interface SweeperOptions {
  store: RunStore;
  now: () => string;
  /** RUNLINE_RETENTION_DAYS: the default for projects without their own setting; 0 = forever. */
  retentionDays: number;
  tombstoneDays: number;
  /** Finished webhook deliveries are forgotten after this many days (default 30). */
  webhookDeliveryDays?: number;
  /** Between sweeps; 0 = no background loop (`runOnce` only: tests, one-off jobs). */
  intervalMs: number;
  /** Most rows one purge transaction deletes. */
  batchRows: number;
  /** Most run trees one marking transaction takes. */
  treesPerBatch?: number;
  /** Most purge transactions per sweep before the loop yields to its timer. */
  maxBatchesPerSweep?: number;
  vacuumPages?: number;
  metrics?: RetentionMetrics;
}

export interface SweepReport {
  /** Another instance held the sweeper lock: nothing was done. */
  skipped: boolean;
  /** Runs marked deleted because their retention ran out. */
  expiredRuns: number;
  purgedRuns: number;
  purgedRows: number;
  /** Rows deleted by each purge transaction, in order. */
  batches: number[];
  tombstonesExpired: number;
  /** Webhook deliveries and deleted webhooks removed. */
  webhookRowsPurged: number;
  pagesReclaimed: number;
  /** Work was left when the sweep stopped (the next one starts at once). */
  more: boolean;
}

const DAY_MS = 86_400_000;

class SweeperLocked extends Error {}

export class Sweeper {
  private running: Promise<SweepReport> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The last sweep gave back a full step of pages: keep going even with nothing purged. */
  private reclaiming = false;
  /** A `wake()` came during a sweep: the next one starts as soon as it ends. */
  private woken = false;
  private errorListener: (error: unknown) => void = () => undefined;
  private readonly sweptListeners: ((report: SweepReport) => void)[] = [];
  private readonly treesPerBatch: number;
  private readonly maxBatches: number;
  private readonly vacuumPages: number;

  constructor(private readonly options: SweeperOptions) {
    this.treesPerBatch = options.treesPerBatch ?? 20;
    this.maxBatches = options.maxBatchesPerSweep ?? 200;
    this.vacuumPages = options.vacuumPages ?? 256;
  }

  /** Told after every sweep, background or not (tests and logs watch the loop through it). */
  onSwept(listener: (report: SweepReport) => void): void {
    this.sweptListeners.push(listener);
  }

  /** Told when a background sweep fails (the next one is scheduled as usual). */
  onError(listener: (error: unknown) => void): void {
    this.errorListener = listener;
  }

  /** Starts the background loop (when `intervalMs` > 0): a first sweep right away. */
  start(): void {
    if (this.options.intervalMs > 0) this.schedule(0);
  }

  /** Asks for a sweep soon (after a `DELETE`): now, or right after the one running. */
  wake(): void {
    if (this.options.intervalMs <= 0) return;
    if (this.running) this.woken = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One sweep; concurrent callers share the sweep in progress and then run their own. */
  async runOnce(): Promise<SweepReport> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.sweep().finally(() => {
      this.running = undefined;
    });
    const report = await this.running;
    for (const listener of this.sweptListeners) listener(report);
    return report;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.runOnce().then(
        (report) => {
          const again = report.more || this.woken;
          this.woken = false;
          this.schedule(again ? 0 : this.options.intervalMs);
        },
        (error: unknown) => {
          this.options.metrics?.failed();
          this.errorListener(error);
          this.schedule(this.options.intervalMs);
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  private async sweep(): Promise<SweepReport> {
    const report: SweepReport = {
      skipped: false,
      expiredRuns: 0,
      purgedRuns: 0,
      purgedRows: 0,
      batches: [],
      tombstonesExpired: 0,
      webhookRowsPurged: 0,
      pagesReclaimed: 0,
      more: false,
    };
    try {
      await this.expire(report);
      await this.purge(report);
      await this.expireTombstones(report);
      await this.purgeWebhooks(report);
    } catch (error) {
      if (!(error instanceof SweeperLocked)) throw error;
      report.skipped = true;
      this.options.metrics?.swept(report);
      return report;
    }
    const removed = report.purgedRows + report.tombstonesExpired + report.webhookRowsPurged;
    if (removed > 0 || this.reclaiming) {
      const started = performance.now();
      report.pagesReclaimed = await this.options.store.retention.reclaimSpace(this.vacuumPages);
      this.options.metrics?.transaction("vacuum", (performance.now() - started) / 1000);
      // A full step: more free pages may be waiting; the next sweep goes on at once.
      this.reclaiming = report.pagesReclaimed >= this.vacuumPages;
      if (this.reclaiming) report.more = true;
    }
    this.options.metrics?.swept(report);
    this.options.metrics?.backlog(await this.options.store.retention.backlog());
    return report;
  }

  /** One sweeper transaction: refused (SweeperLocked) when another instance holds the lock. */
  private async step<T>(phase: SweepPhase, fn: (tx: RunStoreTx) => Promise<T>): Promise<T> {
    const result = await this.options.store.transaction(async (tx) => {
      if (!(await tx.retention.tryLockSweeper())) throw new SweeperLocked();
      // Timed inside the transaction: on SQLite this is how long the writer (and so every
      // append) waits for the sweeper; queueing behind appends is not counted.
      const started = performance.now();
      try {
        return await fn(tx);
      } finally {
        this.options.metrics?.transaction(phase, (performance.now() - started) / 1000);
      }
    });
    // Appends and other writers get their turn between two sweeper transactions.
    await yieldToEventLoop();
    return result;
  }

  private async expire(report: SweepReport): Promise<void> {
    const { store, now, retentionDays } = this.options;
    for (const project of await store.retention.allProjectRetention()) {
      const days = effectiveRetentionDays(project, retentionDays);
      if (days <= 0) continue;
      const cutoff = new Date(Date.parse(now()) - days * DAY_MS).toISOString();
      for (;;) {
        const { roots, marked } = await this.step("expire", async (tx) => {
          const roots = await tx.retention.expiredTrees(
            project.project_id,
            cutoff,
            this.treesPerBatch,
          );
          let marked = 0;
          for (const root of roots) {
            const tree = await tx.retention.tree(project.project_id, root);
            await tx.retention.markDeleted(tree, now());
            marked += tree.length;
          }
          return { roots, marked };
        });
        report.expiredRuns += marked;
        if (roots.length < this.treesPerBatch) break;
      }
    }
  }

  private async purge(report: SweepReport): Promise<void> {
    for (let batch = 0; batch < this.maxBatches; batch++) {
      const result = await this.step("purge", (tx) => tx.retention.purge(this.options.batchRows));
      report.batches.push(result.rows);
      report.purgedRows += result.rows;
      report.purgedRuns += result.runs;
      if (!result.more) return;
    }
    report.more = true;
  }

  private async purgeWebhooks(report: SweepReport): Promise<void> {
    const days = this.options.webhookDeliveryDays ?? 30;
    const before = new Date(Date.parse(this.options.now()) - days * DAY_MS).toISOString();
    for (let batch = 0; batch < this.maxBatches; batch++) {
      const limit = this.options.batchRows;
      const removed = await this.step("webhooks", (tx) => tx.webhooks.purge(before, limit));
      report.webhookRowsPurged += removed;
      if (removed < limit) return;
    }
    report.more = true;
  }

  private async expireTombstones(report: SweepReport): Promise<void> {
    const before = new Date(
      Date.parse(this.options.now()) - this.options.tombstoneDays * DAY_MS,
    ).toISOString();
    for (;;) {
      const limit = this.options.batchRows;
      const expired = await this.step("tombstones", (tx) =>
        tx.retention.expireTombstones(before, limit),
      );
      report.tombstonesExpired += expired;
      if (expired < limit) return;
    }
  }
}
