/**
 * Scenario 9: the same server run two ways — TypeScript through tsx (how `npm start` runs it
 * today) and an esbuild bundle run by plain Node (see lib/compiled.ts) — on SQLite NORMAL:
 * 1-event appends (CPU-bound) and heap per idle SSE stream. Each variant gets a fresh server.
 */
import { RunlineApi } from "../lib/api.ts";
import { compiledServer } from "../lib/compiled.ts";
import { assertClean, type Bench } from "../lib/harness.ts";
import { textDelta } from "../lib/payloads.ts";
import { appendRequest } from "./append.ts";
import { type IdleOutcome, measureIdle } from "./live.ts";

interface Variant {
  appendPerSecond: number;
  idle: IdleOutcome | undefined;
}

async function measure(b: Bench, compiled: string | undefined, streams: number): Promise<Variant> {
  const server = await b.startRunline({
    store: "sqlite",
    synchronous: "NORMAL",
    ...(compiled && { compiled }),
  });
  try {
    const api = new RunlineApi(server.port);
    let idle: IdleOutcome | undefined;
    if (server.child.info.routes.stream) {
      await api.createStreamingRun("s9-idle");
      idle = await measureIdle(b, server, "/runs/s9-idle/stream", streams);
    }
    const runs = await api.createStreamingRuns("s9", 32);
    const load = await b.closedLoop({
      port: server.port,
      targets: runs.map((r) => appendRequest(r, [textDelta()])),
      connections: 32,
    });
    assertClean("append 1 event", load);
    return { appendPerSecond: load.perSecond, idle };
  } finally {
    await server.child.stop();
  }
}

export async function runtimeScenario(b: Bench): Promise<void> {
  const compiled = await compiledServer();
  const streams = Math.min(2_000, b.settings.idleStreams);
  const viaTsx = await measure(b, undefined, streams);
  const viaBundle = await measure(b, compiled, streams);
  const scenario = "9 runtime: esbuild bundle on plain Node vs tsx (TypeScript compiled on load)";
  b.add({
    scenario,
    name: "append 1 event/request, 32 conns: requests/s",
    store: "sqlite",
    synchronous: "NORMAL",
    unit: "req/s",
    value: viaBundle.appendPerSecond,
    baseline: { name: "same server through tsx", value: viaTsx.appendPerSecond },
    better: "higher",
  });
  if (viaTsx.idle && viaBundle.idle) {
    b.add({
      scenario,
      name: `JS heap per idle SSE stream (${streams} streams)`,
      store: "sqlite",
      synchronous: "NORMAL",
      unit: "bytes",
      value: viaBundle.idle.heapPerStream,
      baseline: { name: "same server through tsx", value: viaTsx.idle.heapPerStream },
      better: "lower",
      goal: { text: "≤ 10 KiB per stream", met: viaBundle.idle.heapPerStream <= 10 * 1024 },
      note: `RSS per stream ${(viaBundle.idle.rssPerStream / 1024).toFixed(1)} KiB bundled vs ${(viaTsx.idle.rssPerStream / 1024).toFixed(1)} KiB through tsx`,
    });
  }
}
