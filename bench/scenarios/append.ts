/**
 * Scenarios 1–3 and 8: the append path.
 *
 * 1. One event per request, 32 keep-alive connections, each appending to its own run, against
 *    an authenticated no-op route of the same server (`GET /bench/noop`).
 * 2. 100-event batches, 32 connections, against the same rows inserted straight through the
 *    driver (one multi-row INSERT per transaction, same schema, same synchronous setting).
 * 3. 1,000 runs appended concurrently (1,000 connections, 10-event batches, two load
 *    processes), against the driver inserting 10-row batches round-robin over 1,000 runs
 *    (throughput) and the no-op route at 1,000 connections (latency).
 * 8. Append latency on a run with a long history (many completed messages) against a fresh run.
 */
import { RunlineApi } from "../lib/api.ts";
import {
  assertClean,
  type Bench,
  type LoadOutcome,
  loopDelayNote,
  medianRound,
  type RunlineHandle,
  roundsNote,
  type Store,
} from "../lib/harness.ts";
import { appendBody, authHeaders, deltas, textDelta, textStart } from "../lib/payloads.ts";
import type { RequestSpec } from "../lib/raw-http.ts";
import type { InsertResult } from "../procs/driver-baseline.ts";
import type { PageResult } from "../procs/http-load.ts";

export const NOOP: RequestSpec = { method: "GET", path: "/bench/noop", headers: authHeaders };

export function appendRequest(runId: string, events: Record<string, unknown>[]): RequestSpec {
  return {
    method: "POST",
    path: `/runs/${runId}/events`,
    headers: authHeaders,
    body: appendBody(events),
  };
}

export interface AppendFigures {
  append1PerSecond: number;
  append1P50: number;
  append1P99: number;
  batchEventsPerSecond: number;
}

function storeOf(server: RunlineHandle): Store {
  return server.store;
}

async function driverInsert(
  b: Bench,
  server: RunlineHandle,
  batchSize: number,
  runs: number,
  connections: number,
  rounds = 1,
): Promise<InsertResult> {
  const driver = await b.driverBaseline();
  // The driver's loop has no network in it and settles fast: half the window is enough.
  const warmupMs = Math.min(b.settings.warmupMs, 500);
  const durationMs = b.settings.durationMs / 2 / rounds;
  const timeout = warmupMs + durationMs + 120_000;
  if (server.store === "sqlite") {
    return driver.call<InsertResult>(
      "sqliteInsert",
      {
        file: `${b.tempDir("driver")}/baseline.db`,
        synchronous: server.synchronous ?? "FULL",
        batchSize,
        runs,
        warmupMs,
        durationMs,
      },
      timeout,
    );
  }
  return driver.call<InsertResult>(
    "pgInsert",
    {
      url: await b.pgSchema("driver"),
      connections,
      batchSize,
      runs,
      warmupMs,
      durationMs,
    },
    timeout,
  );
}

/** Scenarios 1 and 2 on one server. */
export async function appendScenarios(b: Bench, server: RunlineHandle): Promise<AppendFigures> {
  const api = new RunlineApi(server.port);
  const store = storeOf(server);
  const synchronous = server.synchronous;
  const port = server.port;

  // ── 1. one event per request: no-op and append alternate, the median round counts ──
  const runs = await api.createStreamingRuns("s1", 32);
  const round = {
    warmupMs: b.settings.rounds > 1 ? Math.min(b.settings.warmupMs, 1_000) : b.settings.warmupMs,
    durationMs: b.settings.durationMs / b.settings.rounds,
  };
  const noopRounds: LoadOutcome[] = [];
  const oneRounds: LoadOutcome[] = [];
  for (let i = 0; i < b.settings.rounds; i++) {
    const n = await b.closedLoop({ port, targets: [NOOP], connections: 32, ...round }, 1, server);
    assertClean("noop", n);
    noopRounds.push(n);
    const o = await b.closedLoop(
      {
        port,
        targets: runs.map((r) => appendRequest(r, [textDelta()])),
        connections: 32,
        ...round,
      },
      1,
      server,
    );
    assertClean("append 1 event", o);
    oneRounds.push(o);
  }
  const noop = medianRound(noopRounds);
  const one = medianRound(oneRounds);
  const s1 = "1 append 1 event/request, 32 conns";
  b.add({
    scenario: s1,
    name: "requests/s",
    store,
    synchronous,
    unit: "req/s",
    value: one.perSecond,
    baseline: { name: "authenticated no-op route", value: noop.perSecond },
    better: "higher",
    goal: { text: "≥ 50% of baseline", met: one.perSecond >= 0.5 * noop.perSecond },
    note: [
      roundsNote("req/s", oneRounds),
      roundsNote("req/s no-op", noopRounds),
      loopDelayNote("append:", one),
      loopDelayNote("no-op:", noop),
    ]
      .filter((n) => n !== "")
      .join("; "),
  });
  b.add({
    scenario: s1,
    name: "latency p50",
    store,
    synchronous,
    unit: "ms",
    value: one.latency.p50,
    baseline: { name: "no-op route p50", value: noop.latency.p50 },
    better: "lower",
  });
  b.add({
    scenario: s1,
    name: "latency p99",
    store,
    synchronous,
    unit: "ms",
    value: one.latency.p99,
    baseline: { name: "no-op route p99", value: noop.latency.p99 },
    better: "lower",
  });

  // ── 1b. what storage allows for 1-event appends, and what group commit would buy ──
  if (server.store === "sqlite") {
    const perSecond = (r: InsertResult) => r.events / (r.windowMs / 1000);
    const single = perSecond(await driverInsert(b, server, 1, 32, 1));
    const grouped = perSecond(await driverInsert(b, server, 32, 32, 1));
    b.add({
      scenario: "1b storage ceiling for 1-event appends (driver, no HTTP)",
      name: "events/s, 1 event per transaction",
      store,
      synchronous,
      unit: "events/s",
      value: single,
      baseline: { name: "32 events per transaction (as group commit would)", value: grouped },
      better: "higher",
      note: `HTTP appends of 1 event reached ${((100 * one.perSecond) / single).toFixed(0)}% of the 1-per-transaction ceiling`,
    });
  }

  // ── 2. 100-event batches: HTTP and driver alternate, the median round of each counts ──
  const batchRuns = await api.createStreamingRuns("s2", 32);
  const batchRounds: LoadOutcome[] = [];
  const directRates: number[] = [];
  for (let i = 0; i < b.settings.rounds; i++) {
    const r = await b.closedLoop({
      port,
      targets: batchRuns.map((run) => appendRequest(run, deltas(100))),
      connections: 32,
      ...round,
    });
    assertClean("append 100 events", r);
    batchRounds.push(r);
    const d = await driverInsert(b, server, 100, 32, 10, b.settings.rounds);
    directRates.push(d.events / (d.windowMs / 1000));
  }
  const batch = medianRound(batchRounds);
  const directPerSecond = [...directRates].sort((x, y) => x - y)[
    Math.floor((directRates.length - 1) / 2)
  ] as number;
  const eventsPerSecond = batch.perSecond * 100;
  const stretch =
    store === "sqlite"
      ? `; stretch ≥ 100,000 events/s: ${eventsPerSecond >= 100_000 ? "met" : "not met"}`
      : "";
  b.add({
    scenario: "2 append 100-event batches, 32 conns",
    name: "events/s",
    store,
    synchronous,
    unit: "events/s",
    value: eventsPerSecond,
    baseline: {
      name: `driver: 100-row INSERT per transaction, no HTTP (${server.store === "sqlite" ? "1 connection" : "10 connections"})`,
      value: directPerSecond,
    },
    better: "higher",
    goal: { text: `≥ 30% of baseline${stretch}`, met: eventsPerSecond >= 0.3 * directPerSecond },
    note: [
      roundsNote("events/s", batchRounds, 100),
      directRates.length > 1
        ? `driver rounds ${directRates.map((d) => Math.round(d).toLocaleString("en-US")).join(", ")} events/s`
        : "",
      `batch request p50 ${batch.latency.p50.toFixed(1)} ms, p99 ${batch.latency.p99.toFixed(1)} ms`,
    ]
      .filter((n) => n !== "")
      .join("; "),
  });
  return {
    append1PerSecond: one.perSecond,
    append1P50: one.latency.p50,
    append1P99: one.latency.p99,
    batchEventsPerSecond: eventsPerSecond,
  };
}

/** Scenario 3 on its own server. */
export async function manyRunsScenario(b: Bench, server: RunlineHandle): Promise<void> {
  const { manyRuns, manyRunsBatch } = b.settings;
  const api = new RunlineApi(server.port);
  const runs = await api.createStreamingRuns("s3", manyRuns, 32);
  const noop = await b.closedLoop(
    { port: server.port, targets: [NOOP], connections: manyRuns },
    2,
    server,
  );
  assertClean("noop at 1,000 connections", noop);
  const load = await b.closedLoop(
    {
      port: server.port,
      targets: runs.map((r) => appendRequest(r, deltas(manyRunsBatch))),
      connections: manyRuns,
    },
    2,
    server,
  );
  assertClean("1,000 runs", load);
  const direct = await driverInsert(b, server, manyRunsBatch, manyRuns, 10);
  const eventsPerSecond = load.perSecond * manyRunsBatch;
  const scenario = `3 ${manyRuns} runs concurrently, ${manyRunsBatch}-event batches`;
  b.add({
    scenario,
    name: "aggregate events/s",
    store: server.store,
    synchronous: server.synchronous,
    unit: "events/s",
    value: eventsPerSecond,
    baseline: {
      name: `driver: ${manyRunsBatch}-row INSERT per transaction over ${manyRuns} runs`,
      value: direct.events / (direct.windowMs / 1000),
    },
    better: "higher",
    goal: { text: "≥ 20,000 events/s", met: eventsPerSecond >= 20_000 },
  });
  b.add({
    scenario,
    name: "request latency p99",
    store: server.store,
    synchronous: server.synchronous,
    unit: "ms",
    value: load.latency.p99,
    baseline: { name: `no-op route p99 at ${manyRuns} connections`, value: noop.latency.p99 },
    better: "lower",
    note: `append p50 ${load.latency.p50.toFixed(1)} ms; no-op p50 ${noop.latency.p50.toFixed(1)} ms; ${loopDelayNote("append:", load)}`,
  });
}

/**
 * Scenario 8: every append reads, parses, copies and rewrites the run's whole
 * `sequence_state`, whose owner maps keep every message id the run ever had. Compares a
 * 1-event append to a run with many completed messages with the same append to a fresh run.
 */
export async function historyScenario(b: Bench, server: RunlineHandle): Promise<void> {
  const { historyMessages, historyRequests } = b.settings;
  const api = new RunlineApi(server.port);
  const [fresh, long] = await api.createStreamingRuns("s8", 2);
  if (!fresh || !long) throw new Error("runs not created");
  // 33 complete messages per request (99 events); the run's own open message stays open.
  const perRequest = 33;
  for (let m = 0; m < historyMessages; m += perRequest) {
    const events: Record<string, unknown>[] = [];
    for (let i = m; i < Math.min(historyMessages, m + perRequest); i++) {
      const id = `hist-${i}`;
      events.push(textStart(id), textDelta(id), { type: "TEXT_MESSAGE_END", messageId: id });
    }
    await api.request("POST", `/runs/${long}/events`, appendBody(events));
  }
  const measure = async (runId: string) => {
    const result = await b.closedLoop({
      port: server.port,
      targets: [appendRequest(runId, [textDelta()])],
      connections: 1,
      warmupMs: 0,
      durationMs: 60_000,
      maxRequests: historyRequests,
    });
    assertClean(`append to ${runId}`, result);
    return result;
  };
  const freshResult = await measure(fresh);
  const longResult = await measure(long);
  let stateBytes: number | undefined;
  if (server.dbFile) {
    const driver = await b.driverBaseline();
    stateBytes = (
      await driver.call<{ bytes: number }>(
        "sqliteRunState",
        { file: server.dbFile, runId: long },
        10_000,
      )
    ).bytes;
  }
  b.add({
    scenario: `8 append to a run with ${historyMessages} completed messages, 1 conn`,
    name: "latency p50",
    store: server.store,
    synchronous: server.synchronous,
    unit: "ms",
    value: longResult.latency.p50,
    baseline: { name: "same append to a fresh run", value: freshResult.latency.p50 },
    better: "lower",
    note:
      stateBytes === undefined
        ? undefined
        : `sequence_state of the long run: ${(stateBytes / 1024).toFixed(0)} KiB, read, parsed and rewritten by every append`,
  });
}

/** Scenario 5's paging half and the driver's read baseline (the SSE half is in live.ts). */
export async function pageLog(b: Bench, port: number, runId: string): Promise<PageResult> {
  const load = await b.load();
  return load.call<PageResult>(
    "pageThrough",
    { port, path: `/runs/${runId}/events`, headers: authHeaders, limit: 500, timeoutMs: 120_000 },
    130_000,
  );
}
