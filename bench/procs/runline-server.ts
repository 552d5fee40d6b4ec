/**
 * The server under test, in its own process: `createServer(config)` from the environment
 * (RUNLINE_* variables, as `main.ts` would read them), plus a few routes that exist only in
 * this benchmark's app instance (nothing is added to src/):
 *
 * - `GET /bench/noop` — authenticated (scope agent-runs:read) and does nothing: the HTTP +
 *   auth floor that appends are compared with.
 * - `GET /bench/sse-floor` and `POST /bench/sse-floor/publish` — a bare SSE broadcast with the
 *   same request shape as an append (`{events: [...]}`) but no store and no ledger: the floor
 *   for fan-out latency and for memory per idle stream.
 *
 * Ops: `memory` (after a full GC when --expose-gc is on), `hrtimeUs` (to crop a --cpu-prof
 * profile to a load window), `heapSnapshot` (to a file), `loopDelayStart` / `loopDelayStop` (event-loop delay during a
 * load), `floorStreams`.
 */
import { mkdirSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { writeHeapSnapshot } from "node:v8";
import { loadConfig } from "../../packages/server/src/config/config.ts";
import { createServer } from "../../packages/server/src/server.ts";
import { serveChild } from "../lib/child.ts";

export interface ServerInfo {
  port: number;
  pid: number;
  dialect: "sqlite" | "postgres";
  routes: { stream: boolean };
}

export interface MemoryInfo {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}

const config = loadConfig({
  ...process.env,
  PORT: "0",
  HOST: "127.0.0.1",
});
if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true });
const server = await createServer(config);
const { app } = server;

app.get("/bench/noop", { config: { scope: "agent-runs:read" } }, async () => ({ ok: true }));

const floor = new Set<ServerResponse>();
let floorEventId = 0;
app.get("/bench/sse-floor", { config: { scope: "agent-runs:read" } }, (request, reply) => {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  res.write("retry: 2000\n\n");
  floor.add(res);
  request.raw.on("close", () => floor.delete(res));
});
app.post(
  "/bench/sse-floor/publish",
  { config: { scope: "agent-runs:events:append" } },
  async (request) => {
    const { events } = request.body as { events: { type: string }[] };
    for (const event of events) {
      floorEventId++;
      const frame = `id: ${floorEventId}\nevent: Custom\ndata: ${JSON.stringify(event)}\n\n`;
      for (const res of floor) res.write(frame);
    }
    return { delivered: floor.size, latest_event_id: floorEventId };
  },
);

await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
if (!address || typeof address === "string") throw new Error("server has no port");

const hasStreamRoute = app.hasRoute({ method: "GET", url: "/runs/:run_id/stream" });

const gc = (globalThis as { gc?: () => void }).gc;

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** Event-loop delay while a load runs: how long ready I/O waits for the loop (ms). */
let loopDelay: IntervalHistogram | undefined;

serveChild(
  {
    port: address.port,
    pid: process.pid,
    dialect: server.store.dialect,
    routes: { stream: hasStreamRoute },
  } satisfies ServerInfo,
  {
    memory: async (): Promise<MemoryInfo> => {
      if (gc) {
        gc();
        await new Promise((r) => setTimeout(r, 50));
        gc();
      }
      const m = process.memoryUsage();
      return {
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        gc: gc !== undefined,
      };
    },
    hrtimeUs: async () => Number(process.hrtime.bigint() / 1000n),
    heapSnapshot: async (file: string) => {
      gc?.();
      return writeHeapSnapshot(file);
    },
    floorStreams: async () => floor.size,
    loopDelayStart: async () => {
      loopDelay?.disable();
      loopDelay = monitorEventLoopDelay({ resolution: 5 });
      loopDelay.enable();
    },
    loopDelayStop: async (): Promise<LoopDelay> => {
      const h = loopDelay;
      if (!h) throw new Error("loopDelayStart was not called");
      h.disable();
      loopDelay = undefined;
      return {
        p50: h.percentile(50) / 1e6,
        p99: h.percentile(99) / 1e6,
        max: h.max / 1e6,
      };
    },
  },
  async () => {
    for (const res of floor) res.destroy();
    await server.close();
  },
);
