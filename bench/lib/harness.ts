/**
 * What every scenario shares: settings (quick or full), starting the processes (server under
 * test, peer, load generators, SSE subscribers, driver baseline), temporary data directories
 * and PostgreSQL schemas (removed at the end), and the list of figures being reported.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { ClosedLoopResult, ClosedLoopSpec } from "../procs/http-load.ts";
import type { PeerInfo } from "../procs/peer-server.ts";
import type { LoopDelay, ServerInfo } from "../procs/runline-server.ts";
import type { CollectResult, OpenResult, OpenSpec } from "../procs/sse-clients.ts";
import { Child } from "./child.ts";
import { BENCH_KEY } from "./payloads.ts";
import { type LatencySummary, summarize } from "./stats.ts";

export interface Settings {
  quick: boolean;
  warmupMs: number;
  durationMs: number;
  /**
   * Scenarios 1–2 alternate figure and baseline this many times (each round gets
   * durationMs / rounds) and report the median round: disk stalls on this shared machine come
   * in bursts of tens of seconds, and a single window can fall into one.
   */
  rounds: number;
  /** Scenario 3. */
  manyRuns: number;
  manyRunsBatch: number;
  /** Scenario 4: subscriber counts, producer rate and duration. */
  fanoutSubscribers: number[];
  fanoutRate: number;
  fanoutEvents: number;
  /** Scenario 5. */
  replayEvents: number;
  /** Scenario 6. */
  idleStreams: number;
  /** Scenario 8: completed messages in the "long" run. */
  historyMessages: number;
  historyRequests: number;
  /** Processes holding SSE streams (each holds at most ~2,500: fd limits). */
  sseProcesses: number;
}

export const QUICK: Settings = {
  quick: true,
  warmupMs: 500,
  durationMs: 1_500,
  rounds: 1,
  manyRuns: 1_000,
  manyRunsBatch: 10,
  fanoutSubscribers: [1, 100],
  fanoutRate: 20,
  fanoutEvents: 30,
  replayEvents: 20_000,
  idleStreams: 1_000,
  historyMessages: 1_000,
  historyRequests: 200,
  sseProcesses: 2,
};

export const FULL: Settings = {
  quick: false,
  warmupMs: 2_000,
  durationMs: 10_000,
  rounds: 3,
  manyRuns: 1_000,
  manyRunsBatch: 10,
  fanoutSubscribers: [1, 1_000, 10_000],
  fanoutRate: 20,
  fanoutEvents: 200,
  replayEvents: 100_000,
  idleStreams: 10_000,
  historyMessages: 10_000,
  historyRequests: 500,
  sseProcesses: 4,
};

export type Store = "sqlite" | "postgres" | "peer" | "none";

export interface Figure {
  scenario: string;
  name: string;
  store: Store;
  synchronous: "NORMAL" | "FULL" | null;
  unit: string;
  value: number;
  baseline: { name: string; value: number };
  /** value ÷ baseline. */
  ratio: number;
  better: "higher" | "lower";
  goal?: { text: string; met: boolean };
  note?: string;
}

export interface Skip {
  scenario: string;
  reason: string;
}

export interface RunlineServerOptions {
  store: "sqlite" | "postgres";
  synchronous?: "NORMAL" | "FULL";
  env?: Record<string, string>;
  execArgv?: string[];
  /** A compiled (JavaScript) build of procs/runline-server.ts to run instead, without tsx. */
  compiled?: string;
}

export interface RunlineHandle {
  child: Child<ServerInfo>;
  port: number;
  store: "sqlite" | "postgres";
  synchronous: "NORMAL" | "FULL" | null;
  /** SQLite: the database file. */
  dbFile?: string;
  /** PostgreSQL: the connection string of its isolated schema. */
  databaseUrl?: string;
}

export class Bench {
  readonly figures: Figure[] = [];
  readonly skips: Skip[] = [];
  readonly notes: string[] = [];
  private readonly dirs: string[] = [];
  private readonly schemas: string[] = [];
  private loads: Child[] = [];
  private sse: Child[] = [];
  private driver: Child | undefined;

  constructor(
    readonly settings: Settings,
    /** PostgreSQL base URL (BENCH_DATABASE_URL / DATABASE_URL), if any. */
    readonly pgUrl: string | undefined,
    readonly logLevel: string,
    readonly deadline: number,
  ) {}

  /** Milliseconds until the benchmark must stop. */
  remainingMs(): number {
    return this.deadline - Date.now();
  }

  lifetime(): number {
    return Math.max(5_000, this.remainingMs() + 5_000);
  }

  tempDir(label: string): string {
    const dir = mkdtempSync(join(tmpdir(), `runline-bench-${label}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** A fresh schema in the PostgreSQL database; returns a URL whose search_path is it. */
  async pgSchema(label: string): Promise<string> {
    if (!this.pgUrl) throw new Error("no PostgreSQL URL");
    const schema = `runline_bench_${label}_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: this.pgUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
    } finally {
      await admin.end();
    }
    this.schemas.push(schema);
    const url = new URL(this.pgUrl);
    url.searchParams.set("options", `-c search_path=${schema}`);
    return url.toString();
  }

  async startRunline(options: RunlineServerOptions): Promise<RunlineHandle> {
    const synchronous = options.store === "sqlite" ? (options.synchronous ?? "FULL") : null;
    let dbFile: string | undefined;
    let databaseUrl: string | undefined;
    const env: Record<string, string | undefined> = {
      RUNLINE_BOOTSTRAP_KEY: BENCH_KEY,
      RUNLINE_LOG_LEVEL: this.logLevel,
      RUNLINE_RATE_LIMIT_PER_MINUTE: "0",
      RUNLINE_SSE_MAX_STREAMS: "100000",
      RUNLINE_SSE_MAX_STREAMS_PER_CREDENTIAL: "100000",
      DATABASE_URL: undefined,
      ...options.env,
    };
    if (options.store === "sqlite") {
      const dir = this.tempDir("sqlite");
      dbFile = join(dir, "runline.db");
      env.RUNLINE_DATA_DIR = dir;
      env.RUNLINE_SQLITE_SYNCHRONOUS = synchronous ?? "FULL";
    } else {
      databaseUrl = await this.pgSchema("server");
      env.DATABASE_URL = databaseUrl;
    }
    const child = await Child.start<ServerInfo>(options.compiled ?? "procs/runline-server.ts", [], {
      name: `runline-${options.store}${synchronous ? `-${synchronous}` : ""}${options.compiled ? "-compiled" : ""}`,
      tsx: options.compiled === undefined,
      env,
      execArgv: ["--expose-gc", ...(options.execArgv ?? [])],
      lifetimeMs: this.lifetime(),
      startTimeoutMs: 60_000,
    });
    return {
      child,
      port: child.info.port,
      store: options.store,
      synchronous,
      ...(dbFile && { dbFile }),
      ...(databaseUrl && { databaseUrl }),
    };
  }

  async startPeer(): Promise<Child<PeerInfo>> {
    return Child.start<PeerInfo>("procs/peer-server.ts", [], {
      name: "peer",
      env: { BENCH_PEER_DATA_DIR: this.tempDir("peer") },
      lifetimeMs: this.lifetime(),
    });
  }

  private async loadProcesses(count: number): Promise<Child[]> {
    while (this.loads.length < count) {
      this.loads.push(
        await Child.start("procs/http-load.ts", [], {
          name: `load-${this.loads.length + 1}`,
          lifetimeMs: this.lifetime(),
        }),
      );
    }
    return this.loads.slice(0, count);
  }

  /** Starts every helper process at once (each takes a second or so to boot tsx). */
  async prestart(): Promise<void> {
    const start = (script: string, name: string) =>
      Child.start(script, [], { name, lifetimeMs: this.lifetime() });
    const [loads, sse, driver] = await Promise.all([
      Promise.all([1, 2].map((i) => start("procs/http-load.ts", `load-${i}`))),
      Promise.all(
        Array.from({ length: this.settings.sseProcesses }, (_, i) =>
          start("procs/sse-clients.ts", `sse-${i + 1}`),
        ),
      ),
      start("procs/driver-baseline.ts", "driver"),
    ]);
    this.loads.push(...loads);
    this.sse.push(...sse);
    this.driver = driver;
  }

  async load(): Promise<Child> {
    return (await this.loadProcesses(1))[0] as Child;
  }

  async driverBaseline(): Promise<Child> {
    this.driver ??= await Child.start("procs/driver-baseline.ts", [], {
      name: "driver",
      lifetimeMs: this.lifetime(),
    });
    return this.driver;
  }

  async sseProcesses(): Promise<Child[]> {
    while (this.sse.length < this.settings.sseProcesses) {
      this.sse.push(
        await Child.start("procs/sse-clients.ts", [], {
          name: `sse-${this.sse.length + 1}`,
          lifetimeMs: this.lifetime(),
        }),
      );
    }
    return this.sse;
  }

  /**
   * A closed-loop load split over `processes` load generators (connections and targets dealt
   * round-robin), merged: completions per second over the window, latency percentiles.
   */
  async closedLoop(
    spec: Omit<ClosedLoopSpec, "warmupMs" | "durationMs"> & {
      warmupMs?: number;
      durationMs?: number;
    },
    processes = 1,
    /** When given, its event-loop delay is measured during the load. */
    server?: RunlineHandle,
  ): Promise<LoadOutcome> {
    const children = await this.loadProcesses(processes);
    const warmupMs = spec.warmupMs ?? this.settings.warmupMs;
    const durationMs = spec.durationMs ?? this.settings.durationMs;
    const parts = children.map((_, p): ClosedLoopSpec => {
      const connections =
        Math.floor(spec.connections / processes) + (p < spec.connections % processes ? 1 : 0);
      const targets = spec.targets.filter((_, i) => i % processes === p);
      return {
        ...spec,
        targets: targets.length > 0 ? targets : spec.targets,
        connections,
        warmupMs,
        durationMs,
        ...(spec.maxRequests !== undefined && {
          maxRequests: Math.ceil(spec.maxRequests / processes),
        }),
      };
    });
    // Every process connects first; then all start together (see http-load.ts `prepare`).
    await Promise.all(children.map((child, p) => child.call("prepare", parts[p], 120_000)));
    if (server) await server.child.call("loopDelayStart", null, 10_000);
    const results = await Promise.all(
      children.map((child) =>
        child.call<ClosedLoopResult>("closedLoop", null, warmupMs + durationMs + 60_000),
      ),
    );
    const loopDelay = server
      ? await server.child.call<LoopDelay>("loopDelayStop", null, 10_000)
      : undefined;
    const completed = results.reduce((n, r) => n + r.completed, 0);
    const errors = results.reduce((n, r) => n + r.errors, 0);
    const windowMs = Math.max(...results.map((r) => r.windowMs));
    const firstError = results.find((r) => r.firstError)?.firstError;
    return {
      completed,
      errors,
      perSecond: completed / (windowMs / 1000),
      latency: summarize(...results.map((r) => r.latencies)),
      ...(firstError !== undefined && { firstError }),
      ...(loopDelay && { loopDelay }),
    };
  }

  /** Opens `count` SSE streams spread over the subscriber processes. */
  async openStreams(spec: Omit<OpenSpec, "count">, count: number): Promise<OpenResult> {
    const children = await this.sseProcesses();
    const used = children.slice(0, Math.max(1, Math.min(children.length, Math.ceil(count / 250))));
    const results = await Promise.all(
      used.map((child, p) => {
        const n = Math.floor(count / used.length) + (p < count % used.length ? 1 : 0);
        return child.call<OpenResult>("open", { ...spec, count: n }, 120_000);
      }),
    );
    const firstError = results.find((r) => r.firstError)?.firstError;
    return {
      opened: results.reduce((n, r) => n + r.opened, 0),
      failed: results.reduce((n, r) => n + r.failed, 0),
      ...(firstError !== undefined && { firstError }),
    };
  }

  async collectStreams(): Promise<{
    latency: LatencySummary;
    minEvents: number;
    maxEvents: number;
    endedEarly: number;
  }> {
    const results = await Promise.all(
      this.sse.map((child) => child.call<CollectResult>("collect", null, 60_000)),
    );
    return {
      latency: summarize(...results.map((r) => r.latencies)),
      minEvents: Math.min(
        ...results.filter((r) => r.maxEvents > 0).map((r) => r.minEvents),
        Number.POSITIVE_INFINITY,
      ),
      maxEvents: Math.max(...results.map((r) => r.maxEvents), 0),
      endedEarly: results.reduce((n, r) => n + r.endedEarly, 0),
    };
  }

  add(figure: Omit<Figure, "ratio">): Figure {
    const full: Figure = { ...figure, ratio: figure.value / figure.baseline.value };
    this.figures.push(full);
    return full;
  }

  skip(scenario: string, reason: string): void {
    this.skips.push({ scenario, reason });
  }

  /** Stops every helper process, removes temporary directories, drops PostgreSQL schemas. */
  async cleanup(): Promise<void> {
    await Promise.allSettled(
      [...this.loads, ...this.sse, ...(this.driver ? [this.driver] : [])].map((c) => c.stop(5_000)),
    );
    this.loads = [];
    this.sse = [];
    this.driver = undefined;
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    if (this.pgUrl && this.schemas.length > 0) {
      const admin = new pg.Client({ connectionString: this.pgUrl });
      await admin.connect();
      try {
        for (const schema of this.schemas.splice(0)) {
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        }
      } finally {
        await admin.end();
      }
    }
  }
}

export interface LoadOutcome {
  completed: number;
  errors: number;
  perSecond: number;
  latency: LatencySummary;
  firstError?: string;
  /** The server's event-loop delay during the load (ms), when measured. */
  loopDelay?: LoopDelay;
}

export function loopDelayNote(label: string, outcome: LoadOutcome): string {
  const d = outcome.loopDelay;
  return d
    ? `${label} server event-loop delay p50 ${d.p50.toFixed(1)} / p99 ${d.p99.toFixed(1)} / max ${d.max.toFixed(0)} ms`
    : "";
}

/** The round with the median throughput (its latencies come with it). */
export function medianRound(rounds: LoadOutcome[]): LoadOutcome {
  const sorted = [...rounds].sort((a, b) => a.perSecond - b.perSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!median) throw new Error("no rounds");
  return median;
}

export function roundsNote(unit: string, rounds: LoadOutcome[], scale = 1): string {
  if (rounds.length < 2) return "";
  const values = rounds.map((r) => Math.round(r.perSecond * scale).toLocaleString("en-US"));
  return `median of ${rounds.length} alternating rounds (${values.join(", ")} ${unit})`;
}

/** Throws when a measured load had failures: a figure built on errors would be meaningless. */
export function assertClean(label: string, outcome: LoadOutcome): void {
  if (outcome.errors > 0) {
    throw new Error(`${label}: ${outcome.errors} failed requests (first: ${outcome.firstError})`);
  }
  if (outcome.completed === 0) throw new Error(`${label}: no request completed in the window`);
}
