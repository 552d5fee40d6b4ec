/**
 * `npm run bench:profile` — CPU profiles of the server's hot paths. The server process runs
 * with `node --cpu-prof` (V8's sampling profiler, written when it exits) under these loads:
 *
 *   append-1     1-event appends, 32 connections, 32 runs (scenario 1)
 *   append-100   100-event batches, 32 connections (scenario 2)
 *   fan-out      one run, N SSE subscribers, 20 appends/s (scenario 4)
 *   replay       one reader catching up on a long run over SSE, then by paging (scenario 5)
 *
 * Each window is cropped out of the profile (the server reports its hrtime at the start
 * and end of each), then summarised: top self-time functions, self time per package or
 * Runline source file, inclusive time of Runline's own functions. SQLite runs with
 * synchronous=NORMAL here so that CPU, not fsync waits, is what the profile shows.
 *
 *   node --import tsx bench/profile.ts [--quick] [--sync=FULL] [--store=postgres]
 *   (PostgreSQL: BENCH_DATABASE_URL or DATABASE_URL; a schema is created and dropped)
 *
 * Writes bench/results/profile-<date>.json (the summaries) and keeps the raw .cpuprofile in
 * bench/results/tmp/ (git-ignored; open it in Chrome DevTools or speedscope). Last, heap
 * snapshots before and after opening idle SSE streams (Runline's route, then the bare SSE
 * route) show what one stream keeps alive; they are deleted once summarised.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { findSourceMap } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { RunlineApi } from "./lib/api.ts";
import { killAllChildren } from "./lib/child.ts";
import { assertClean, Bench, FULL, QUICK } from "./lib/harness.ts";
import { type HeapGroup, heapGrowth } from "./lib/heap.ts";
import { authHeaders, deltas, TICK_EVENT_TEMPLATE, textDelta } from "./lib/payloads.ts";
import {
  analyzeProfile,
  type PositionMapper,
  type ProfileSummary,
  profileUrls,
} from "./lib/profile.ts";
import { writeJson } from "./lib/report.ts";
import type { PacedResult } from "./procs/http-load.ts";
import type { ReplayResult } from "./procs/sse-clients.ts";
import { appendRequest, pageLog } from "./scenarios/append.ts";
import { buildLongRun } from "./scenarios/live.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    sync: { type: "string", default: "NORMAL" },
    store: { type: "string", default: "sqlite" },
    top: { type: "string", default: "15" },
  },
});
const quick = values.quick === true;
const synchronous = values.sync === "FULL" ? "FULL" : "NORMAL";
const top = Number(values.top);
const settings = quick ? QUICK : FULL;
const loadMs = quick ? 3_000 : 10_000;
const subscribers = quick ? 200 : 1_000;
const idleStreams = quick ? 500 : 2_000;
const replayEvents = quick ? 20_000 : 100_000;
const store = values.store === "postgres" ? "postgres" : "sqlite";
const pgUrl = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || undefined;
if (store === "postgres" && !pgUrl) throw new Error("--store=postgres needs BENCH_DATABASE_URL");
const b = new Bench(
  settings,
  pgUrl,
  process.env.BENCH_LOG_LEVEL || "warn",
  Date.now() + 10 * 60_000,
);
const hardStop = setTimeout(() => {
  killAllChildren();
  process.exit(2);
}, 11 * 60_000);
hardStop.unref();

const resultsDir = fileURLToPath(new URL("results/", import.meta.url));
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const profileDir = join(resultsDir, "tmp", `profile-${stamp}`);
mkdirSync(profileDir, { recursive: true });

interface Window {
  name: string;
  fromUs: number;
  toUs: number;
  throughput: string;
}

const windows: Window[] = [];
let summaries: (Window & { summary: ProfileSummary })[] = [];
let heap:
  | { streams: number; growth: HeapGroup[]; floorStreams: number; floorGrowth: HeapGroup[] }
  | undefined;

try {
  const server = await b.startRunline({
    store,
    synchronous,
    execArgv: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--cpu-prof-interval=250"],
  });
  const api = new RunlineApi(server.port);
  const port = server.port;
  const mark = () => server.child.call<number>("hrtimeUs", null, 10_000);
  try {
    const runs = await api.createStreamingRuns("p1", 32);
    // Warm up the JIT before the first window.
    await b.closedLoop({
      port,
      targets: runs.map((r) => appendRequest(r, [textDelta()])),
      connections: 32,
      warmupMs: 0,
      durationMs: 1_000,
    });
    for (const [name, events] of [
      ["append-1", 1],
      ["append-100", 100],
    ] as const) {
      const fromUs = await mark();
      const load = await b.closedLoop({
        port,
        targets: runs.map((r) => appendRequest(r, events === 1 ? [textDelta()] : deltas(100))),
        connections: 32,
        warmupMs: 0,
        durationMs: loadMs,
      });
      const toUs = await mark();
      assertClean(name, load);
      windows.push({
        name,
        fromUs,
        toUs,
        throughput: `${Math.round(load.perSecond * events).toLocaleString("en-US")} events/s, p99 ${load.latency.p99.toFixed(1)} ms`,
      });
    }
    if (server.child.info.routes.stream) {
      await api.createStreamingRun("p4");
      const opened = await b.openStreams(
        { port, path: "/runs/p4/stream?after_event_id=2", headers: authHeaders, measure: true },
        subscribers,
      );
      if (opened.failed > 0) throw new Error(`fan-out: ${opened.failed} streams failed`);
      const fromUs = await mark();
      const load = await b.load();
      const count = Math.round((loadMs / 1000) * settings.fanoutRate);
      const produced = await load.call<PacedResult>(
        "paced",
        {
          port,
          request: {
            method: "POST",
            path: "/runs/p4/events",
            headers: authHeaders,
            body: `{"events":[${TICK_EVENT_TEMPLATE}]}`,
          },
          ratePerSecond: settings.fanoutRate,
          count,
          maxMs: 3 * loadMs,
          requestTimeoutMs: 10_000,
        },
        3 * loadMs + 30_000,
      );
      const toUs = await mark();
      const collected = await b.collectStreams();
      windows.push({
        name: `fan-out-${subscribers}`,
        fromUs,
        toUs,
        throughput: `${count} appends → ${collected.latency.count} deliveries, p99 ${collected.latency.p99.toFixed(1)} ms (producer errors: ${produced.errors})`,
      });
    }
    if (server.child.info.routes.stream) {
      // Catch-up: one reader replays a long run over SSE from its first event.
      const total = await buildLongRun(b, port, "p5", replayEvents);
      const [reader] = await b.sseProcesses();
      if (!reader) throw new Error("no SSE process");
      const fromUs = await mark();
      const replay = await reader.call<ReplayResult>(
        "replay",
        { port, path: "/runs/p5/stream", headers: authHeaders, expect: total, timeoutMs: 120_000 },
        130_000,
      );
      const toUs = await mark();
      windows.push({
        name: "replay-sse",
        fromUs,
        toUs,
        throughput: `${Math.round(replay.events / (replay.elapsedMs / 1000)).toLocaleString("en-US")} events/s over SSE (${replay.events} events)`,
      });
      const pageFrom = await mark();
      const paged = await pageLog(b, port, "p5");
      const pageTo = await mark();
      windows.push({
        name: "replay-paging",
        fromUs: pageFrom,
        toUs: pageTo,
        throughput: `${Math.round(paged.events / (paged.elapsedMs / 1000)).toLocaleString("en-US")} events/s paging limit=500 (${paged.pages} pages)`,
      });
    }
    if (server.child.info.routes.stream) {
      // What one idle stream keeps in the heap: snapshot, open N streams, snapshot again.
      await api.createStreamingRun("p6");
      const before = await server.child.call<string>(
        "heapSnapshot",
        join(profileDir, "idle-before.heapsnapshot"),
        120_000,
      );
      const opened = await b.openStreams(
        { port, path: "/runs/p6/stream", headers: authHeaders, measure: false },
        idleStreams,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      const after = await server.child.call<string>(
        "heapSnapshot",
        join(profileDir, "idle-after.heapsnapshot"),
        120_000,
      );
      await b.collectStreams();
      // The same with the bare SSE route (Fastify + Node only), to see what Runline adds.
      await new Promise((r) => setTimeout(r, 1_000));
      const floorBefore = await server.child.call<string>(
        "heapSnapshot",
        join(profileDir, "floor-before.heapsnapshot"),
        120_000,
      );
      const floorOpened = await b.openStreams(
        { port, path: "/bench/sse-floor", headers: authHeaders, measure: false },
        idleStreams,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      const floorAfter = await server.child.call<string>(
        "heapSnapshot",
        join(profileDir, "floor-after.heapsnapshot"),
        120_000,
      );
      await b.collectStreams();
      heap = {
        streams: opened.opened,
        growth: heapGrowth(before, after, 1_000),
        floorStreams: floorOpened.opened,
        floorGrowth: heapGrowth(floorBefore, floorAfter, 1_000),
      };
      // Snapshots are tens of MB each; the summary above is what is kept.
      for (const file of [before, after, floorBefore, floorAfter]) rmSync(file, { force: true });
    }
  } finally {
    // The profile is written when the server process exits.
    await server.child.stop(30_000);
  }
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile in ${profileDir}`);
  const profilePath = join(profileDir, file);
  const mapPosition = await sourceMapper(profilePath);
  summaries = windows.map((w) => ({
    ...w,
    summary: analyzeProfile(profilePath, { fromUs: w.fromUs, toUs: w.toUs }, top, mapPosition),
  }));
  const out = join(
    resultsDir,
    `profile-${new Date().toISOString().slice(0, 10)}${store === "postgres" ? "-postgres" : ""}.json`,
  );
  writeJson(out, {
    createdAt: new Date().toISOString(),
    store,
    synchronous: store === "sqlite" ? synchronous : null,
    node: process.version,
    profile: join(profileDir, file),
    windows: summaries.map((s) => ({
      name: s.name,
      throughput: s.throughput,
      windowMs: Math.round(s.summary.windowMs),
      busyPct: Math.round(s.summary.busyPct),
      // One line per entry keeps the file small and readable: "share  function  where".
      topSelf: s.summary.topSelf.map(
        (f) => `${f.pct.toFixed(1)}%  ${f.name}  ${f.where || f.category}`,
      ),
      categories: s.summary.categories
        .slice(0, 12)
        .map((c) => `${c.pct.toFixed(1)}%  ${c.category}`),
      runlineInclusive: s.summary.runlineInclusive.map(
        (f) => `${f.pct.toFixed(1)}%  ${f.name}  ${f.where}`,
      ),
    })),
    idleStreamHeap: heap && {
      streams: heap.streams,
      perStream: heapTable(heap)
        .slice(0, 15)
        .map(
          (r) =>
            `${r.bytes} B (${r.count}×) vs bare route ${r.floorBytes} B (${r.floorCount}×)  ${r.key}`,
        ),
    },
  });
  for (const s of summaries) printSummary(s.name, s.throughput, s.summary);
  if (heap) {
    const table = heapTable(heap);
    const sum = (k: "bytes" | "floorBytes") => table.reduce((n, r) => n + r[k], 0);
    process.stdout.write(
      `\n== heap growth per idle stream: Runline ${(sum("bytes") / 1024).toFixed(1)} KiB, bare SSE route ${(sum("floorBytes") / 1024).toFixed(1)} KiB (${heap.streams} streams each)\n   bytes (count) per stream: Runline | bare route | group\n${table
        .slice(0, 25)
        .map(
          (r) =>
            `   ${`${r.bytes} (${r.count})`.padStart(12)} | ${`${r.floorBytes} (${r.floorCount})`.padStart(12)} | ${r.key}`,
        )
        .join("\n")}\n`,
    );
  }
  process.stdout.write(`\nsummary: ${out}\nraw profile: ${join(profileDir, file)}\n`);
} finally {
  await b.cleanup();
  killAllChildren();
}
process.exit(0);

/**
 * Loads Runline's modules here (tsx compiles them exactly as in the server process) and maps
 * profile positions back to TypeScript lines through their source maps.
 */
async function sourceMapper(profilePath: string): Promise<PositionMapper> {
  const urls = profileUrls(profilePath).filter((u) => u.includes("/packages/server/src/"));
  for (const url of urls) await import(url).catch(() => undefined);
  const lines = new Map<string, string[]>();
  return (url, line, column) => {
    const entry = findSourceMap(url)?.findEntry(line, column);
    if (!entry || !("originalLine" in entry)) return undefined;
    const source = entry.originalSource.startsWith("file:")
      ? fileURLToPath(entry.originalSource)
      : entry.originalSource;
    let text = lines.get(source);
    if (!text) {
      text = readFileSync(source, "utf8").split("\n");
      lines.set(source, text);
    }
    return { line: entry.originalLine + 1, text: text[entry.originalLine] ?? "" };
  };
}

/** Per-stream heap growth by group, Runline next to the bare route, largest first. */
function heapTable(h: NonNullable<typeof heap>) {
  const floor = new Map(h.floorGrowth.map((g) => [g.key, g]));
  const keys = new Set([...h.growth.map((g) => g.key), ...floor.keys()]);
  const mine = new Map(h.growth.map((g) => [g.key, g]));
  return [...keys]
    .map((key) => ({
      key,
      bytes: Math.round((mine.get(key)?.bytes ?? 0) / h.streams),
      count: round1((mine.get(key)?.count ?? 0) / h.streams),
      floorBytes: Math.round((floor.get(key)?.bytes ?? 0) / h.floorStreams),
      floorCount: round1((floor.get(key)?.count ?? 0) / h.floorStreams),
    }))
    .filter((r) => r.bytes > 0 || r.floorBytes > 0)
    .sort((a, b) => Math.max(b.bytes, b.floorBytes) - Math.max(a.bytes, a.floorBytes));
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function printSummary(name: string, throughput: string, s: ProfileSummary): void {
  const pct = (n: number) => `${n.toFixed(1).padStart(5)}%`;
  const lines = [
    ``,
    `== ${name}: ${throughput}`,
    `   window ${(s.windowMs / 1000).toFixed(1)} s, server busy ${s.busyPct.toFixed(0)}% of one core`,
    `   top self time (share of busy time):`,
    ...s.topSelf.map((f) => `   ${pct(f.pct)}  ${f.name.padEnd(32)} ${f.where || f.category}`),
    `   self time by package / Runline file:`,
    ...s.categories.slice(0, 15).map((c) => `   ${pct(c.pct)}  ${c.category}`),
    `   Runline functions, inclusive:`,
    ...s.runlineInclusive
      .slice(0, 15)
      .map((f) => `   ${pct(f.pct)}  ${f.name.padEnd(32)} ${f.where}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
