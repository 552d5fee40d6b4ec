/**
 * A load campaign against a spawned server: producers append concurrently (each to its own
 * runs), the test breaks the server at random moments of that load (a kill, a SIGTERM, a
 * storage fault), and after each break checks every run against what was acknowledged.
 *
 * The rhythm of one break: arm a trigger (the n-th acknowledged operation, or the n-th request
 * sent) → its action closes the gate and breaks the server → wait until every producer is
 * parked at the gate → (restart) → verify every run → open the gate: producers resend what was
 * in doubt, by the retry rule, and go on.
 */
import { existsSync, watch } from "node:fs";
import { Api } from "./api.ts";
import { Gate, Trigger } from "./gate.ts";
import {
  type LoadStats,
  newStats,
  Producer,
  type ProducerDeps,
  type TrackedRun,
} from "./producer.ts";
import { PROCESS_KEY, RunlineProcess } from "./runline-process.ts";
import type { Rng } from "./scale.ts";
import { verifyRuns } from "./verify-log.ts";

export interface CampaignOptions {
  env: Record<string, string>;
  rng: Rng;
  producers: number;
  batchesPerRun?: [number, number];
  padding?: number;
  /** See ProducerDeps.retryServerErrors (fault tests). */
  retryServerErrors?: boolean;
  /**
   * SQLite's write-ahead log. When given, some faults land on a write to it (inotify) instead
   * of on a request or an answer: that is the moment a transaction commits, before its answer
   * is written, which is where an acknowledged-but-lost or committed-but-unacknowledged batch
   * would hide.
   */
  walFile?: string;
}

export interface CampaignFigures {
  restarts: number;
  verifications: number;
  /** Sums over every verification. */
  runsChecked: number;
  eventsChecked: number;
  ackedItemsChecked: number;
  /** In-doubt operations found committed / not committed when checked. */
  inDoubtCommitted: number;
  inDoubtNotCommitted: number;
  /** 500s logged by the servers ("unhandled error"), and their distinct causes. */
  unhandledErrors: number;
  unhandledKinds: Set<string>;
  problems: string[];
}

const CURSOR_MODES: ProducerDeps["cursors"][] = ["seq", "id", "both"];

export class Campaign {
  readonly gate = new Gate();
  readonly onAck = new Trigger();
  readonly onSend = new Trigger();
  readonly stats: LoadStats = newStats();
  readonly producers: Producer[];
  readonly api: Api;
  readonly figures: CampaignFigures = {
    restarts: 0,
    verifications: 0,
    runsChecked: 0,
    eventsChecked: 0,
    ackedItemsChecked: 0,
    inDoubtCommitted: 0,
    inDoubtNotCommitted: 0,
    unhandledErrors: 0,
    unhandledKinds: new Set(),
    problems: [],
  };
  /** Told about every 503 a producer meets (before it resends). */
  onUnavailable: (() => void) | undefined;
  private stopping = false;
  private work: Promise<void> | undefined;
  private workDone = false;

  private constructor(
    public server: RunlineProcess,
    private readonly options: CampaignOptions,
  ) {
    this.api = new Api(server.url, PROCESS_KEY);
    this.producers = Array.from(
      { length: options.producers },
      (_, i) =>
        new Producer(`p${i}`, {
          api: () => this.api,
          gate: this.gate,
          rng: options.rng.fork(),
          stats: this.stats,
          onAck: () => this.onAck.tick(),
          onSend: () => this.onSend.tick(),
          onUnavailable: () => this.onUnavailable?.(),
          cursors: CURSOR_MODES[i % CURSOR_MODES.length]!,
          batchesPerRun: options.batchesPerRun ?? [1, 6],
          ...(options.padding !== undefined && { padding: options.padding }),
          ...(options.retryServerErrors && { retryServerErrors: true }),
        }),
    );
  }

  static async start(options: CampaignOptions): Promise<Campaign> {
    return new Campaign(await RunlineProcess.start({ env: options.env }), options);
  }

  /** Starts the producers. */
  startLoad(): void {
    this.work = Promise.all(this.producers.map((p) => p.work(() => this.stopping))).then(() => {
      this.workDone = true;
    });
  }

  get loadEnded(): boolean {
    return this.workDone;
  }

  allRuns(): TrackedRun[] {
    return this.producers.flatMap((p) => p.runs);
  }

  /**
   * Runs `action` at a random moment of the load: at the `count`-th acknowledged operation, or
   * `count` requests after now plus a few event-loop turns (so the request is on the wire).
   * Resolves false when the load ended (a producer violation) before that moment.
   */
  async at(rng: Rng, count: number, action: () => void): Promise<boolean> {
    const wal = this.options.walFile;
    if (wal && existsSync(wal) && rng.chance(0.4)) return this.atWalWrite(count, action);
    const byAck = rng.chance(0.6);
    const turns = rng.int(0, 20);
    const fire = byAck
      ? action
      : () => {
          let left = turns;
          const step = () => (left-- > 0 ? setImmediate(step) : action());
          step();
        };
    const fired = (byAck ? this.onAck : this.onSend).arm(count, fire);
    const ended = this.work?.then(() => false) ?? Promise.resolve(false);
    return Promise.race([fired.then(() => true), ended]);
  }

  private atWalWrite(count: number, action: () => void): Promise<boolean> {
    const wal = this.options.walFile!;
    return new Promise((resolve) => {
      let left = Math.max(1, count);
      let done = false;
      const finish = (fired: boolean) => {
        if (done) return;
        done = true;
        watcher.close();
        resolve(fired);
      };
      const watcher = watch(wal, () => {
        if (done || --left > 0) return;
        action();
        finish(true);
      });
      watcher.on("error", () => finish(false));
      void this.work?.then(() => finish(false));
    });
  }

  /** Waits until every producer is parked at the (closed) gate. */
  quiesce(): Promise<void> {
    return this.gate.whenAllParked();
  }

  /** Starts a new server over the same storage (the old one must be gone). */
  private collectLogs(): void {
    this.figures.unhandledErrors += this.server.unhandledErrors;
    for (const kind of this.server.unhandledKinds) this.figures.unhandledKinds.add(kind);
  }

  async restart(env: Record<string, string> = this.options.env): Promise<void> {
    this.collectLogs();
    this.server = await RunlineProcess.start({ env });
    this.api.baseUrl = this.server.url;
    this.figures.restarts++;
  }

  /** Checks every run against its producer's ledger; problems are collected, labelled. */
  async verify(label: string): Promise<boolean> {
    const runs = this.allRuns();
    const result = await verifyRuns(this.api, runs);
    this.figures.verifications++;
    this.figures.runsChecked += result.runs;
    this.figures.eventsChecked += result.events;
    this.figures.ackedItemsChecked += result.items;
    this.figures.inDoubtCommitted += result.committed;
    this.figures.inDoubtNotCommitted += result.notCommitted;
    for (const problem of result.problems) this.figures.problems.push(`${label}: ${problem}`);
    return result.problems.length === 0;
  }

  resume(): void {
    this.gate.open();
  }

  /** Stops the load (producers finish their current run) and waits for it. */
  async finish(): Promise<void> {
    this.stopping = true;
    this.gate.open();
    await this.work;
  }

  async dispose(): Promise<void> {
    this.stopping = true;
    this.gate.open();
    await this.server.stop();
    this.collectLogs();
  }
}
