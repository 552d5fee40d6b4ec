/**
 * Load generator process. Ops:
 * - `closedLoop`: N keep-alive connections, each sending its own request back to back for a
 *   warm-up and then a measured window (or until a request budget is spent); reports
 *   completions in the window and per-request latencies.
 * - `paced`: one connection sending requests at a fixed rate whose body carries the send time
 *   (`"__SENT_AT__"` is replaced by wall-clock ms), for append→delivery latency.
 */
import { serveChild } from "../lib/child.ts";
import { encodeRequest, RawConnection, type RequestSpec } from "../lib/raw-http.ts";
import { Samples, sleep, wallMs } from "../lib/stats.ts";

export interface ClosedLoopSpec {
  port: number;
  /** Connection i sends targets[i % targets.length]. */
  targets: RequestSpec[];
  connections: number;
  warmupMs: number;
  durationMs: number;
  /** Stop after this many requests in all (setup loads); default: unlimited. */
  maxRequests?: number;
  /** Statuses that count as success (default: any 2xx). */
  okStatuses?: number[];
}

export interface ClosedLoopResult {
  /** Successful requests that completed inside the measured window. */
  completed: number;
  errors: number;
  statuses: Record<string, number>;
  windowMs: number;
  latencies: Float64Array;
  firstError?: string;
}

export interface PacedSpec {
  port: number;
  request: RequestSpec;
  ratePerSecond: number;
  count: number;
  /** Stop sending after this long even if `count` was not reached (a server that melts). */
  maxMs: number;
  /** A request without an answer after this long is an error (its connection is replaced). */
  requestTimeoutMs: number;
}

export interface PageSpec {
  port: number;
  /** The log's path, e.g. /runs/r1/events; `?limit=&after_event_id=` is appended. */
  path: string;
  headers: Record<string, string>;
  limit: number;
  timeoutMs: number;
}

export interface PageResult {
  events: number;
  pages: number;
  elapsedMs: number;
}

export interface PacedResult {
  sent: number;
  errors: number;
  firstError?: string;
  latencies: Float64Array;
  elapsedMs: number;
}

async function openConnections(port: number, count: number): Promise<RawConnection[]> {
  const connections: RawConnection[] = [];
  // Open in waves so a thousand connects do not overflow the listen backlog.
  for (let i = 0; i < count; i += 100) {
    const wave = Array.from({ length: Math.min(100, count - i) }, () => new RawConnection(port));
    await Promise.all(wave.map((c) => c.connect()));
    connections.push(...wave);
  }
  return connections;
}

/** Connections opened by `prepare` for the next `closedLoop`. */
let prepared: { spec: ClosedLoopSpec; connections: RawConnection[] } | undefined;

/**
 * Opens the connections of a closed loop without sending anything. Several load processes
 * prepare first and start together: otherwise the later ones would still be connecting while
 * the first already loads the server, and a busy server's accept queue overflows (the kernel
 * then drops handshakes, and those connections wait for seconds of TCP retransmissions).
 */
async function prepare(spec: ClosedLoopSpec): Promise<{ connections: number }> {
  for (const c of prepared?.connections ?? []) c.close();
  prepared = { spec, connections: await openConnections(spec.port, spec.connections) };
  return { connections: prepared.connections.length };
}

async function closedLoop(given: ClosedLoopSpec | null): Promise<ClosedLoopResult> {
  const spec = given ?? prepared?.spec;
  if (!spec) throw new Error("closedLoop: no spec and nothing prepared");
  const connections =
    given === null && prepared
      ? prepared.connections
      : await openConnections(spec.port, spec.connections);
  prepared = undefined;
  const buffers = spec.targets.map((t) => encodeRequest(spec.port, t));
  const samples = new Samples();
  const statuses: Record<string, number> = {};
  let completed = 0;
  let errors = 0;
  let issued = 0;
  let firstError: string | undefined;
  const ok = (status: number) =>
    spec.okStatuses ? spec.okStatuses.includes(status) : status >= 200 && status < 300;
  const start = performance.now();
  const windowStart = start + spec.warmupMs;
  const end = windowStart + spec.durationMs;
  const budget = spec.maxRequests ?? Number.POSITIVE_INFINITY;
  let lastCompletion = start;

  await Promise.all(
    connections.map(async (connection, i) => {
      const buffer = buffers[i % buffers.length] as Buffer;
      while (performance.now() < end && issued < budget) {
        issued++;
        const t0 = performance.now();
        try {
          if (!connection.connected) await connection.connect();
          const response = await connection.send(buffer);
          const t1 = performance.now();
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          if (!ok(response.status)) {
            errors++;
            firstError ??= `HTTP ${response.status}: ${response.body.toString("utf8").slice(0, 300)}`;
            continue;
          }
          // Throughput: responses that arrive inside the window, whenever their request
          // started. Latency: every request answered from the window's start on, including
          // those still in flight when it closed (no survivor bias when requests are slow).
          if (t1 >= windowStart && t1 <= end) {
            completed++;
            lastCompletion = t1;
          }
          if (t1 >= windowStart) samples.add(t1 - t0);
        } catch (error) {
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
          await sleep(10);
        }
      }
    }),
  );
  for (const connection of connections) connection.close();
  const windowEnd = Number.isFinite(budget) ? lastCompletion : end;
  return {
    completed,
    errors,
    statuses,
    windowMs: Math.max(1, windowEnd - windowStart),
    latencies: samples.values(),
    ...(firstError !== undefined && { firstError }),
  };
}

async function paced(spec: PacedSpec): Promise<PacedResult> {
  const [connection] = await openConnections(spec.port, 1);
  if (!connection) throw new Error("no connection");
  const samples = new Samples();
  const interval = 1000 / spec.ratePerSecond;
  const start = performance.now();
  let errors = 0;
  let firstError: string | undefined;
  let sent = 0;
  for (let i = 0; i < spec.count; i++) {
    if (performance.now() - start > spec.maxMs) break;
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sent++;
    const body = spec.request.body?.replace('"__SENT_AT__"', wallMs().toFixed(3));
    const buffer = encodeRequest(spec.port, {
      ...spec.request,
      ...(body !== undefined && { body }),
    });
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const response = await Promise.race([
        connection.send(buffer),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            connection.close();
            reject(new Error(`no answer within ${spec.requestTimeoutMs} ms`));
          }, spec.requestTimeoutMs);
        }),
      ]);
      samples.add(performance.now() - t0);
      if (response.status < 200 || response.status >= 300) {
        errors++;
        firstError ??= `HTTP ${response.status}: ${response.body.toString("utf8").slice(0, 300)}`;
      }
    } catch (error) {
      errors++;
      firstError ??= error instanceof Error ? error.message : String(error);
      if (!connection.connected) await connection.connect().catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }
  connection.close();
  return {
    sent,
    errors,
    latencies: samples.values(),
    elapsedMs: performance.now() - start,
    ...(firstError !== undefined && { firstError }),
  };
}

/** Reads a whole log page by page, each page asked for after the last id of the previous one. */
async function pageThrough(spec: PageSpec): Promise<PageResult> {
  const [connection] = await openConnections(spec.port, 1);
  if (!connection) throw new Error("no connection");
  const start = performance.now();
  let after = 0;
  let events = 0;
  let pages = 0;
  try {
    for (;;) {
      if (performance.now() - start > spec.timeoutMs) throw new Error("paging timed out");
      const response = await connection.send(
        encodeRequest(spec.port, {
          method: "GET",
          path: `${spec.path}?limit=${spec.limit}&after_event_id=${after}`,
          headers: spec.headers,
        }),
      );
      if (response.status !== 200) {
        throw new Error(`HTTP ${response.status}: ${response.body.toString("utf8").slice(0, 300)}`);
      }
      const page = JSON.parse(response.body.toString("utf8")) as {
        data: { event_id: number }[];
        page_info: { next: string | null };
      };
      pages++;
      events += page.data.length;
      if (page.page_info.next === null) break;
      after = Number(page.page_info.next);
    }
  } finally {
    connection.close();
  }
  return { events, pages, elapsedMs: performance.now() - start };
}

serveChild(
  { pid: process.pid },
  {
    prepare: (spec: ClosedLoopSpec) => prepare(spec),
    closedLoop: (spec: ClosedLoopSpec | null) => closedLoop(spec),
    paced: (spec: PacedSpec) => paced(spec),
    pageThrough: (spec: PageSpec) => pageThrough(spec),
  },
);
