/**
 * `node --import tsx bench/retention.ts` — what the retention sweeper costs appends on SQLite,
 * where appends and the sweeper share the one writer (contract §9: the sweeper "never blocks
 * appends for more than a few ms").
 *
 * One in-process server on a fresh SQLite file (synchronous=NORMAL), its background sweeper
 * off. Seeds RUNS ended runs of EVENTS events each, then times single-event appends to another
 * run twice: first alone (the baseline), then while a sweeper purges every seeded run (all
 * deleted through the API) in batches of RUNLINE_SWEEP_BATCH_ROWS. Prints append latency
 * percentiles for both phases (and their ratio), and the duration of each sweeper transaction.
 * Bounded: fixed counts, 127.0.0.1 only. Env: RUNS (default 20), EVENTS (2500), APPENDS (1500),
 * BATCH (200).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../packages/server/src/config/config.ts";
import { Sweeper, type SweepPhase } from "../packages/server/src/retention/sweeper.ts";
import { createServer } from "../packages/server/src/server.ts";

const RUNS = Number(process.env.RUNS ?? 20);
const EVENTS = Number(process.env.EVENTS ?? 2500);
const APPENDS = Number(process.env.APPENDS ?? 1500);
const BATCH = Number(process.env.BATCH ?? 200);
const KEY = "vf_bench_0123456789abcdefghijklmnop";

const dataDir = mkdtempSync(join(tmpdir(), "runline-retention-bench-"));
const server = await createServer(
  loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    RUNLINE_DATA_DIR: dataDir,
    RUNLINE_BOOTSTRAP_KEY: KEY,
    RUNLINE_LOG_LEVEL: "silent",
    RUNLINE_SQLITE_SYNCHRONOUS: "NORMAL",
    RUNLINE_SWEEP_INTERVAL_MS: "0",
  }),
  { logger: false },
);
await server.app.listen({ port: 0, host: "127.0.0.1" });
const address = server.app.server.address();
if (!address || typeof address === "string") throw new Error("no port");
const base = `http://127.0.0.1:${address.port}`;

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function newRun(): Promise<string> {
  const reply = (await call("POST", "/runs", {
    kind: "agent",
    owner: { kind: "conversation", id: crypto.randomUUID() },
    request: { agent_id: "bench", initial_status: "running" },
  })) as { run: { run_id: string } };
  return reply.run.run_id;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const summary = (values: number[]) =>
  `p50 ${percentile(values, 50).toFixed(2)} ms, p99 ${percentile(values, 99).toFixed(2)} ms, max ${Math.max(...values).toFixed(2)} ms (n=${values.length})`;

async function appendLatencies(runId: string, count: number, until?: () => boolean) {
  const latencies: number[] = [];
  for (let i = 0; i < count || (until && !until()); i++) {
    const started = performance.now();
    await call("POST", `/runs/${runId}/events`, {
      events: [{ type: "CUSTOM", name: "probe", value: i }],
    });
    latencies.push(performance.now() - started);
  }
  return latencies;
}

try {
  process.stdout.write(`seeding ${RUNS} runs × ${EVENTS} events… `);
  const seeded: string[] = [];
  for (let r = 0; r < RUNS; r++) {
    const runId = await newRun();
    for (let done = 0; done < EVENTS; done += 100) {
      const events = Array.from({ length: Math.min(100, EVENTS - done) }, (_, i) => ({
        type: "CUSTOM",
        name: "seed",
        value: { i: done + i, pad: "x".repeat(150) },
      }));
      await call("POST", `/runs/${runId}/events`, { events });
    }
    await call("POST", `/runs/${runId}/complete`, { status: "completed" });
    seeded.push(runId);
  }
  console.log("done");

  const probe = await newRun();
  await appendLatencies(probe, 200); // warm-up
  const baseline = await appendLatencies(probe, APPENDS);

  for (const runId of seeded) await call("DELETE", `/runs/${runId}`);
  const transactions: number[] = [];
  const sweeper = new Sweeper({
    store: server.store,
    now: () => new Date().toISOString(),
    retentionDays: 0,
    tombstoneDays: 30,
    intervalMs: 0,
    batchRows: BATCH,
    metrics: {
      transaction: (phase: SweepPhase, seconds: number) => {
        if (phase === "purge" || phase === "vacuum") transactions.push(seconds * 1000);
      },
      swept: () => undefined,
      backlog: () => undefined,
      failed: () => undefined,
    },
  });
  let purging = true;
  let purgedRows = 0;
  const sweepStarted = performance.now();
  const sweeping = (async () => {
    for (;;) {
      const report = await sweeper.runOnce();
      purgedRows += report.purgedRows;
      if (!report.more) break;
    }
    purging = false;
  })();
  const during = await appendLatencies(probe, APPENDS, () => !purging);
  await sweeping;
  const sweepSeconds = (performance.now() - sweepStarted) / 1000;

  console.log(`appends alone:          ${summary(baseline)}`);
  console.log(`appends while sweeping: ${summary(during)}`);
  console.log(
    `ratio while/alone: p50 ${(percentile(during, 50) / percentile(baseline, 50)).toFixed(2)}, p99 ${(percentile(during, 99) / percentile(baseline, 99)).toFixed(2)}`,
  );
  console.log(`sweeper transactions (batch ${BATCH} rows): ${summary(transactions)}`);
  console.log(
    `purged ${purgedRows} rows in ${sweepSeconds.toFixed(1)} s (${Math.round(purgedRows / sweepSeconds)} rows/s) while appending`,
  );
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
