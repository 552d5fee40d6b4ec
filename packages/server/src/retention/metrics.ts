/** Prometheus metrics of the retention sweeper (`GET /metrics`), in the server's registry. */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { RetentionMetrics, SweepPhase, SweepReport } from "./sweeper.ts";

export class PrometheusRetentionMetrics implements RetentionMetrics {
  private readonly transactions: Histogram<"phase">;
  private readonly runsExpired: Counter;
  private readonly runsPurged: Counter;
  private readonly rowsPurged: Counter;
  private readonly tombstonesExpired: Counter;
  private readonly pagesReclaimed: Counter;
  private readonly sweeps: Counter<"outcome">;
  private readonly backlogRuns: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.transactions = new Histogram({
      name: "runline_retention_transaction_duration_seconds",
      help: "Time inside one sweeper transaction: on SQLite, how long appends wait for the sweeper's hold on the writer",
      labelNames: ["phase"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.runsExpired = new Counter({
      name: "runline_retention_runs_expired_total",
      help: "Runs marked deleted because their project's retention ran out",
      registers,
    });
    this.runsPurged = new Counter({
      name: "runline_retention_runs_purged_total",
      help: "Deleted runs whose rows the sweeper has removed completely",
      registers,
    });
    this.rowsPurged = new Counter({
      name: "runline_retention_rows_purged_total",
      help: "Rows (events, per-run rows, runs) the sweeper deleted",
      registers,
    });
    this.tombstonesExpired = new Counter({
      name: "runline_retention_tombstones_expired_total",
      help: "Tombstones of deleted runs forgotten after RUNLINE_TOMBSTONE_DAYS",
      registers,
    });
    this.pagesReclaimed = new Counter({
      name: "runline_retention_sqlite_pages_reclaimed_total",
      help: "SQLite pages given back to the file system by incremental_vacuum",
      registers,
    });
    this.sweeps = new Counter({
      name: "runline_retention_sweeps_total",
      help: "Sweeps by outcome: done, skipped (another instance holds the sweeper lock), failed",
      labelNames: ["outcome"] as const,
      registers,
    });
    this.backlogRuns = new Gauge({
      name: "runline_retention_backlog_runs",
      help: "Runs marked deleted whose rows are not purged yet (after the last sweep)",
      registers,
    });
  }

  transaction(phase: SweepPhase, seconds: number): void {
    this.transactions.observe({ phase }, seconds);
  }

  swept(report: SweepReport): void {
    this.sweeps.inc({ outcome: report.skipped ? "skipped" : "done" });
    this.runsExpired.inc(report.expiredRuns);
    this.runsPurged.inc(report.purgedRuns);
    this.rowsPurged.inc(report.purgedRows);
    this.tombstonesExpired.inc(report.tombstonesExpired);
    this.pagesReclaimed.inc(report.pagesReclaimed);
  }

  backlog(runs: number): void {
    this.backlogRuns.set(runs);
  }

  failed(): void {
    this.sweeps.inc({ outcome: "failed" });
  }
}
