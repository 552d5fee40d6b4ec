/**
 * Scenario 7: the peer, `@durable-streams/server` (file-backed: it fdatasyncs every append, so
 * Runline's comparable setting is SQLite `synchronous=FULL`), on the same machine in the same
 * run, with the same event payloads and the same load shapes: 1-event appends on 32
 * connections (one stream each), 100-event batches, fan-out to SSE subscribers, catch-up
 * replay over SSE. The peer has no authentication and no AG-UI validation: the ratios show
 * what Runline's extra guarantees cost.
 */
import { assertClean, type Bench } from "../lib/harness.ts";
import { deltas, TICK_EVENT_TEMPLATE, textDelta } from "../lib/payloads.ts";
import type { RequestSpec } from "../lib/raw-http.ts";
import type { ReplayResult } from "../procs/sse-clients.ts";
import type { AppendFigures } from "./append.ts";
import type { FanoutOutcome, ReplayFigures } from "./live.ts";
import { measureFanout } from "./live.ts";

const JSON_HEADERS = { "content-type": "application/json" };

function peerAppend(stream: string, events: Record<string, unknown>[]): RequestSpec {
  return {
    method: "POST",
    path: `/v1/stream/${stream}`,
    headers: JSON_HEADERS,
    body: JSON.stringify(events),
  };
}

async function createStream(port: number, name: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/stream/${name}`, {
    method: "PUT",
    headers: JSON_HEADERS,
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`peer: creating ${name}: HTTP ${response.status}`);
  }
}

export interface RunlineForPeer {
  append: AppendFigures | undefined;
  fanout: Map<number, FanoutOutcome> | undefined;
  replay: ReplayFigures | undefined;
}

export async function peerScenario(b: Bench, runline: RunlineForPeer): Promise<void> {
  const peer = await b.startPeer();
  const port = peer.info.port;
  const scenario = "7 peer: @durable-streams/server (file-backed) as baseline";
  const versus = (name: string, value: number) => ({ name: `durable-streams ${name}`, value });
  /** Each comparison on its own: one that fails is recorded as skipped, the others go on. */
  const part = async (name: string, body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      b.skip(
        `7 peer: ${name}`,
        `failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  try {
    await part("appends", async () => {
      const streams = Array.from({ length: 32 }, (_, i) => `append-${i}`);
      for (const s of streams) await createStream(port, s);
      const one = await b.closedLoop({
        port,
        targets: streams.map((s) => peerAppend(s, [textDelta()])),
        connections: 32,
      });
      assertClean("peer append 1", one);
      const batchStreams = Array.from({ length: 32 }, (_, i) => `batch-${i}`);
      for (const s of batchStreams) await createStream(port, s);
      const batch = await b.closedLoop({
        port,
        targets: batchStreams.map((s) => peerAppend(s, deltas(100))),
        connections: 32,
      });
      assertClean("peer append 100", batch);
      if (!runline.append) throw new Error("no Runline figures for scenarios 1–2 in this run");
      b.add({
        scenario,
        name: "append 1 event/request, 32 conns: requests/s",
        store: "sqlite",
        synchronous: "FULL",
        unit: "req/s",
        value: runline.append.append1PerSecond,
        baseline: versus("append req/s", one.perSecond),
        better: "higher",
      });
      b.add({
        scenario,
        name: "append 1 event/request: latency p99",
        store: "sqlite",
        synchronous: "FULL",
        unit: "ms",
        value: runline.append.append1P99,
        baseline: versus("append p99", one.latency.p99),
        better: "lower",
      });
      b.add({
        scenario,
        name: "append 100-event batches, 32 conns: events/s",
        store: "sqlite",
        synchronous: "FULL",
        unit: "events/s",
        value: runline.append.batchEventsPerSecond,
        baseline: versus("events/s", batch.perSecond * 100),
        better: "higher",
      });
    });

    for (const [subscribers, outcome] of runline.fanout ?? []) {
      await part(`fan-out to ${subscribers}`, async () => {
        const tail = `tail-${subscribers}`;
        await createStream(port, tail);
        const peerFanout = await measureFanout(
          b,
          port,
          `/v1/stream/${tail}?offset=now&live=sse`,
          { path: `/v1/stream/${tail}`, headers: JSON_HEADERS, body: `[${TICK_EVENT_TEMPLATE}]` },
          subscribers,
        );
        if (peerFanout.delivered === 0) {
          throw new Error(`the peer delivered nothing (${peerFanout.sent} appends sent)`);
        }
        const struggled =
          peerFanout.sent < b.settings.fanoutEvents || peerFanout.producerErrors > 0
            ? `; the peer could not keep up: ${peerFanout.sent}/${b.settings.fanoutEvents} appends sent in 3× the time, ${peerFanout.producerErrors} failed`
            : "";
        b.add({
          scenario,
          name: `fan-out to ${subscribers} SSE subscriber${subscribers > 1 ? "s" : ""}: append→delivery p99`,
          store: "sqlite",
          synchronous: "FULL",
          unit: "ms",
          value: outcome.p99,
          baseline: versus("p99", peerFanout.p99),
          better: "lower",
          note: `p50 ${outcome.p50.toFixed(1)} vs ${peerFanout.p50.toFixed(1)} ms; peer delivered ${peerFanout.delivered}/${peerFanout.expected}${struggled}`,
        });
      });
    }

    const sseReplay = runline.replay?.sseEventsPerSecond;
    if (sseReplay !== undefined) {
      await part("catch-up replay", async () => {
        const total = b.settings.replayEvents;
        await createStream(port, "replay");
        const built = await b.closedLoop({
          port,
          targets: [peerAppend("replay", deltas(100))],
          connections: 4,
          warmupMs: 0,
          durationMs: 300_000,
          maxRequests: Math.ceil(total / 100),
        });
        assertClean("peer: building the long stream", built);
        const [reader] = await b.sseProcesses();
        if (!reader) throw new Error("no SSE process");
        const replay = await reader.call<ReplayResult>(
          "replay",
          {
            port,
            path: "/v1/stream/replay?offset=-1&live=sse",
            headers: {},
            expect: Math.ceil(total / 100) * 100,
            timeoutMs: 120_000,
          },
          130_000,
        );
        b.add({
          scenario,
          name: "catch-up replay over SSE: events/s",
          store: "sqlite",
          synchronous: "FULL",
          unit: "events/s",
          value: sseReplay,
          baseline: versus("SSE replay events/s", replay.events / (replay.elapsedMs / 1000)),
          better: "higher",
        });
      });
    }
  } finally {
    await peer.stop();
  }
}
