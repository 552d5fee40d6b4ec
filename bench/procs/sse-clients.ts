/**
 * SSE subscriber process: holds many streams at once and measures what arrives. Ops:
 * - `open`: opens `count` streams (in waves) and resolves once each has its response head.
 *   With `measure`, every event frame whose payload carries `value.sentAt` (wall-clock ms, set
 *   by the producer just before its request) yields one append→delivery latency sample.
 * - `collect`: stops measuring, closes every stream, returns the samples and counts.
 * - `replay`: one stream from the start of a log; how long until `expect` events arrived.
 *
 * Frames are parsed with eventsource-parser. Runline sends one event per frame; the Durable
 * Streams peer sends `event: data` frames holding a JSON array of messages (and `control`
 * frames, which are skipped), so both are counted per event.
 */
import { type ClientRequest, type IncomingMessage, request } from "node:http";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { serveChild } from "../lib/child.ts";
import { Samples, wallMs } from "../lib/stats.ts";

export interface OpenSpec {
  port: number;
  path: string;
  headers: Record<string, string>;
  count: number;
  measure: boolean;
}

export interface OpenResult {
  opened: number;
  failed: number;
  firstError?: string;
}

export interface CollectResult {
  latencies: Float64Array;
  /** Events received per stream: the fewest and the most (all equal when nothing was lost). */
  minEvents: number;
  maxEvents: number;
  /** Streams that ended before `collect` (the server closed them). */
  endedEarly: number;
}

export interface ReplaySpec {
  port: number;
  path: string;
  headers: Record<string, string>;
  expect: number;
  timeoutMs: number;
}

export interface ReplayResult {
  events: number;
  /** From sending the request to the last expected event. */
  elapsedMs: number;
  /** From sending the request to the first event. */
  firstEventMs: number;
}

interface Stream {
  req: ClientRequest;
  res?: IncomingMessage;
  events: number;
  ended: boolean;
}

const streams: Stream[] = [];
let samples = new Samples();
let measuring = false;

/** Events in one SSE message: 1 for Runline, the array's length for the peer's data frames. */
function eventsIn(message: EventSourceMessage): unknown[] {
  if (message.event === "control") return [];
  const parsed = JSON.parse(message.data) as unknown;
  return Array.isArray(parsed) ? parsed : [parsed];
}

function sentAtOf(event: unknown): number | undefined {
  // A conversation stream's frame wraps the event: {run_id, event_id, event} (contract §8).
  const inner = (event as { event?: unknown } | null)?.event;
  const value = (
    (typeof inner === "object" ? inner : event) as { value?: { sentAt?: unknown } } | null
  )?.value;
  return typeof value?.sentAt === "number" ? value.sentAt : undefined;
}

function openOne(spec: OpenSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream: Stream = { req: undefined as unknown as ClientRequest, events: 0, ended: false };
    const parser = createParser({
      onEvent: (message) => {
        const now = wallMs();
        for (const event of eventsIn(message)) {
          stream.events++;
          if (!measuring) continue;
          const sentAt = sentAtOf(event);
          if (sentAt !== undefined) samples.add(now - sentAt);
        }
      },
    });
    const req = request(
      {
        host: "127.0.0.1",
        port: spec.port,
        path: spec.path,
        headers: { accept: "text/event-stream", ...spec.headers },
        agent: false,
      },
      (res) => {
        stream.res = res;
        if (res.statusCode !== 200) {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            body += c;
          });
          res.on("end", () => reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 300)}`)));
          return;
        }
        res.setEncoding("utf8");
        if (spec.measure) res.on("data", (chunk: string) => parser.feed(chunk));
        else res.resume();
        res.on("close", () => {
          stream.ended = true;
        });
        streams.push(stream);
        resolve();
      },
    );
    stream.req = req;
    req.on("error", (error) => {
      stream.ended = true;
      reject(error);
    });
    req.setTimeout(0);
    req.end();
  });
}

async function open(spec: OpenSpec): Promise<OpenResult> {
  samples = new Samples();
  measuring = spec.measure;
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  for (let i = 0; i < spec.count; i += 200) {
    const wave = Array.from({ length: Math.min(200, spec.count - i) }, () => openOne(spec));
    const results = await Promise.allSettled(wave);
    for (const result of results) {
      if (result.status === "fulfilled") opened++;
      else {
        failed++;
        firstError ??= String(
          result.reason instanceof Error ? result.reason.message : result.reason,
        );
      }
    }
  }
  return { opened, failed, ...(firstError !== undefined && { firstError }) };
}

async function collect(): Promise<CollectResult> {
  measuring = false;
  let minEvents = Number.POSITIVE_INFINITY;
  let maxEvents = 0;
  let endedEarly = 0;
  for (const stream of streams) {
    minEvents = Math.min(minEvents, stream.events);
    maxEvents = Math.max(maxEvents, stream.events);
    if (stream.ended) endedEarly++;
    stream.req.destroy();
  }
  streams.length = 0;
  return {
    latencies: samples.values(),
    minEvents: Number.isFinite(minEvents) ? minEvents : 0,
    maxEvents,
    endedEarly,
  };
}

function replay(spec: ReplaySpec): Promise<ReplayResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let events = 0;
    let firstEventMs = -1;
    let done = false;
    const timer = setTimeout(() => {
      finish(new Error(`replay: ${events} of ${spec.expect} events after ${spec.timeoutMs} ms`));
    }, spec.timeoutMs);
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const elapsedMs = performance.now() - start;
      req.destroy();
      if (error) reject(error);
      else resolve({ events, elapsedMs, firstEventMs });
    };
    const parser = createParser({
      onEvent: (message) => {
        const count = eventsIn(message).length;
        if (count === 0) return;
        if (firstEventMs < 0) firstEventMs = performance.now() - start;
        events += count;
        if (events >= spec.expect) finish();
      },
    });
    const req = request(
      {
        host: "127.0.0.1",
        port: spec.port,
        path: spec.path,
        headers: { accept: "text/event-stream", ...spec.headers },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          finish(new Error(`replay: HTTP ${res.statusCode}`));
          return;
        }
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => parser.feed(chunk));
        res.on("end", () => {
          if (events < spec.expect)
            finish(new Error(`replay: stream ended after ${events} events`));
        });
      },
    );
    req.on("error", (error) => finish(error));
    req.end();
  });
}

serveChild(
  { pid: process.pid },
  {
    open: (spec: OpenSpec) => open(spec),
    collect: () => collect(),
    replay: (spec: ReplaySpec) => replay(spec),
  },
  async () => {
    for (const stream of streams) stream.req.destroy();
  },
);
