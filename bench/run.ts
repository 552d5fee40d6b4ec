/**
 * `npm run bench` — Runline's benchmark. Every figure is measured next to a baseline taken in
 * the same run on the same machine and reported as a ratio (this machine is shared and noisy:
 * absolute numbers are not comparable between runs, ratios are).
 *
 *   node --import tsx bench/run.ts            full run (several minutes)
 *   node --import tsx bench/run.ts --quick    smoke run, under 2 minutes (CI; no thresholds)
 *   options: --only=1,2,4   scenarios to run (1–10)
 *            --stores=sqlite,postgres   which stores (PostgreSQL also needs a URL, below)
 *            --out=FILE     results file (default bench/results/<date>[-quick].json)
 *            --markdown     also print the table as Markdown
 *            --report=FILE  print the tables of an existing results file and exit
 *   env:     BENCH_DATABASE_URL (else DATABASE_URL): also run against PostgreSQL, in a schema
 *            created for the run and dropped after it
 *            BENCH_LOG_LEVEL (default warn): the server's RUNLINE_LOG_LEVEL
 *            BENCH_VERBOSE=1: show the child processes' stderr
 *
 * Processes: this one only orchestrates. The server under test, the peer, the load
 * generators, the SSE subscribers and the driver baseline each run in their own process.
 * Everything is bounded: each load by its duration, each call by a timeout, each child by a
 * lifetime, the whole run by a deadline after which every child is killed (by pid).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { killAllChildren } from "./lib/child.ts";
import { Bench, FULL, QUICK } from "./lib/harness.ts";
import { markdownTable, type Results, textTable, writeJson } from "./lib/report.ts";
import type { FsyncProbe } from "./procs/driver-baseline.ts";
import {
  type AppendFigures,
  appendScenarios,
  historyScenario,
  manyRunsScenario,
} from "./scenarios/append.ts";
import { conversationScenario } from "./scenarios/conversations.ts";
import {
  type FanoutOutcome,
  fanoutScenario,
  idleStreamsScenario,
  type ReplayFigures,
  replayScenario,
} from "./scenarios/live.ts";
import { peerScenario } from "./scenarios/peer.ts";
import { runtimeScenario } from "./scenarios/runtime.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string" },
    markdown: { type: "boolean", default: false },
    report: { type: "string" },
    stores: { type: "string", default: "sqlite,postgres" },
  },
});

if (values.report) {
  const results = JSON.parse(readFileSync(values.report, "utf8")) as Results;
  process.stdout.write(`${textTable(results)}\n\n${markdownTable(results)}\n`);
  process.exit(0);
}

const quick = values.quick === true;
const settings = quick ? QUICK : FULL;
const only = values.only ? new Set(values.only.split(",").map((s) => s.trim())) : undefined;
const stores = new Set((values.stores ?? "").split(",").map((s) => s.trim()));
const wanted = (n: number) => stores.has("sqlite") && (only === undefined || only.has(String(n)));
const wantedPg = (n: number) =>
  stores.has("postgres") && (only === undefined || only.has(String(n)));
const pgUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || undefined;
const logLevel = process.env.BENCH_LOG_LEVEL || "warn";
/** The whole run stops here, finished or not (quick: inside CI's two minutes). */
const budgetMs = quick ? 95_000 : 40 * 60_000;
const startedAt = new Date();
const b = new Bench(settings, pgUrl, logLevel, Date.now() + budgetMs);

/** Set once the results are written (`finish` may be called from the deadline timer). */
let finished = false;
const hardStop = setTimeout(() => {
  process.stderr.write("bench: deadline passed; killing child processes\n");
  killAllChildren();
  b.notes.push("the run hit its deadline: figures after the last one listed are missing");
  finish();
  process.exit(2);
}, budgetMs + 10_000);
hardStop.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

function log(message: string): void {
  const elapsed = ((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[${elapsed}s] ${message}\n`);
}

/** Runs one step; a failure (or too little time left) is recorded as a skip, and the run goes on. */
async function step(name: string, minimumMs: number, body: () => Promise<void>): Promise<void> {
  if (b.remainingMs() < minimumMs) {
    b.skip(
      name,
      `not enough time left in this run's budget (${Math.round(b.remainingMs() / 1000)} s)`,
    );
    log(`skip ${name}: out of time`);
    return;
  }
  log(name);
  try {
    await body();
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    b.skip(name, `failed: ${message}`);
    log(`FAILED ${name}: ${message}`);
  }
}

const loadMs = settings.warmupMs + settings.durationMs;
const appendByMode = new Map<string, AppendFigures>();
let fanout: Map<number, FanoutOutcome> | undefined;
let replay: ReplayFigures | undefined;

const fsyncMs: Results["machine"]["fsyncMs"] = {};
async function probeDisk(when: "start" | "end"): Promise<void> {
  try {
    const driver = await b.driverBaseline();
    fsyncMs[when] = await driver.call<FsyncProbe>(
      "fsyncProbe",
      { dir: b.tempDir("fsync"), count: 300, maxMs: 1_500 },
      10_000,
    );
  } catch (error) {
    log(`fsync probe failed: ${String(error)}`);
  }
}

try {
  await b.prestart();
  await probeDisk("start");
  // ── SQLite: scenarios 1 and 2 in both synchronous modes (8 on NORMAL: CPU, not fsync) ──
  for (const synchronous of ["NORMAL", "FULL"] as const) {
    if (!wanted(1) && !wanted(2) && !(wanted(8) && synchronous === "NORMAL")) continue;
    await step(
      `SQLite ${synchronous}: scenarios 1–2${synchronous === "NORMAL" ? ", 8" : ""}`,
      loadMs * 4,
      async () => {
        const server = await b.startRunline({ store: "sqlite", synchronous });
        try {
          if (wanted(1) || wanted(2))
            appendByMode.set(synchronous, await appendScenarios(b, server));
          if (wanted(8) && synchronous === "NORMAL") await historyScenario(b, server);
        } finally {
          await server.child.stop();
        }
      },
    );
  }
  const normal = appendByMode.get("NORMAL");
  const full = appendByMode.get("FULL");
  if (normal && full) {
    b.add({
      scenario: "1 append 1 event/request: FULL vs NORMAL",
      name: "requests/s",
      store: "sqlite",
      synchronous: "FULL",
      unit: "req/s",
      value: full.append1PerSecond,
      baseline: { name: "same with synchronous=NORMAL", value: normal.append1PerSecond },
      better: "higher",
      note: "an fsync per commit; architecture notes predicted ≈ 0.2 (3.4k vs 17k/s)",
    });
    b.add({
      scenario: "2 append 100-event batches: FULL vs NORMAL",
      name: "events/s",
      store: "sqlite",
      synchronous: "FULL",
      unit: "events/s",
      value: full.batchEventsPerSecond,
      baseline: { name: "same with synchronous=NORMAL", value: normal.batchEventsPerSecond },
      better: "higher",
      note: "architecture notes predicted ≈ 0.66 (110k vs 166k events/s)",
    });
  }

  // ── SQLite (default synchronous=FULL): scenarios 3, 4, 5 on one server ──
  if (wanted(3) || wanted(4) || wanted(5)) {
    await step("SQLite FULL: scenarios 3–5", loadMs * 3, async () => {
      const server = await b.startRunline({ store: "sqlite", synchronous: "FULL" });
      try {
        if (wanted(3)) {
          await step("3 many runs", loadMs * 2, () => manyRunsScenario(b, server));
        }
        if (wanted(4)) {
          if (server.child.info.routes.stream) {
            await step("4 fan-out", 20_000, async () => {
              fanout = await fanoutScenario(b, server);
            });
          } else {
            b.skip(
              "4 fan-out",
              "the server has no GET /runs/{run_id}/stream route yet (contract §4.5)",
            );
          }
        }
        if (wanted(5)) {
          await step("5 catch-up replay", 15_000, async () => {
            replay = await replayScenario(b, server);
          });
        }
      } finally {
        await server.child.stop();
      }
    });
  }

  // Scenario 3 again without fsync per commit (full runs only): what the CPU allows.
  if (wanted(3) && !quick) {
    await step("SQLite NORMAL: scenario 3", loadMs * 3, async () => {
      const server = await b.startRunline({ store: "sqlite", synchronous: "NORMAL" });
      try {
        await manyRunsScenario(b, server);
      } finally {
        await server.child.stop();
      }
    });
  }

  if (wanted(6)) await step("6 idle SSE streams", 15_000, () => idleStreamsScenario(b));

  if (wanted(7)) {
    await step("7 peer (@durable-streams/server)", loadMs * 2 + 5_000, () =>
      peerScenario(b, { append: full, fanout, replay }),
    );
  }

  // ── tsx vs a compiled build (full runs, or --only=9) ──
  if (wanted(9) && (!quick || only?.has("9"))) {
    await step("9 runtime: tsx vs compiled", loadMs * 2 + 10_000, () => runtimeScenario(b));
  }

  // ── Conversation streams (scenario 10), SQLite FULL ──
  if (wanted(10)) {
    await step("10 conversation streams", loadMs * 2 * settings.rounds + 20_000, async () => {
      const server = await b.startRunline({ store: "sqlite", synchronous: "FULL" });
      try {
        await conversationScenario(b, server);
      } finally {
        await server.child.stop();
      }
    });
  }

  // ── PostgreSQL ──
  if (pgUrl && wantedPg(10)) {
    await step(
      "10 conversation streams [postgres]",
      loadMs * 2 * settings.rounds + 20_000,
      async () => {
        const server = await b.startRunline({ store: "postgres" });
        try {
          await conversationScenario(b, server);
        } finally {
          await server.child.stop();
        }
      },
    );
  }
  if (pgUrl && (wantedPg(1) || wantedPg(2) || wantedPg(3) || wantedPg(5))) {
    await step("PostgreSQL: scenarios 1–3, 5", loadMs * 4, async () => {
      const server = await b.startRunline({ store: "postgres" });
      try {
        if (wantedPg(1) || wantedPg(2)) await appendScenarios(b, server);
        if (wantedPg(3) && !quick)
          await step("3 many runs [postgres]", loadMs * 2, () => manyRunsScenario(b, server));
        if (wantedPg(5) && !quick)
          await step("5 catch-up [postgres]", 15_000, async () => {
            await replayScenario(b, server);
          });
      } finally {
        await server.child.stop();
      }
    });
    if (quick) b.notes.push("PostgreSQL: --quick runs scenarios 1–2 only");
  } else if (!pgUrl) {
    b.notes.push("PostgreSQL not measured: set BENCH_DATABASE_URL (or DATABASE_URL)");
  }
  await probeDisk("end");
} finally {
  await b.cleanup().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  killAllChildren();
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "";
  }
}

function openFilesLimit(): string {
  try {
    return execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** Writes the results file and prints the table (also with partial results at the deadline). */
function finish(): void {
  if (finished) return;
  finished = true;
  const results: Results = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      node: process.version,
      platform: process.platform,
      kernel: release(),
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      openFilesLimit: openFilesLimit(),
      fsyncMs,
    },
    setup: {
      stores: ["sqlite", ...(pgUrl ? ["postgres"] : [])],
      sqliteSynchronous: [
        ...new Set(b.figures.map((f) => f.synchronous).filter((s) => s !== null)),
      ],
      defaultSynchronous: "FULL",
      logLevel,
      git: { commit: git(["rev-parse", "HEAD"]), dirty: git(["status", "--porcelain"]) !== "" },
      settings,
    },
    figures: b.figures,
    skips: b.skips,
    notes: b.notes,
  };
  const out =
    values.out ??
    fileURLToPath(
      new URL(
        `results/${startedAt.toISOString().slice(0, 10)}${quick ? "-quick" : ""}.json`,
        import.meta.url,
      ),
    );
  mkdirSync(dirname(out), { recursive: true });
  writeJson(out, results);
  process.stdout.write(`\n${textTable(results)}\n`);
  if (values.markdown) process.stdout.write(`\n${markdownTable(results)}\n`);
  process.stdout.write(`\nresults: ${out}\n`);
}

finish();
process.exit(0);
