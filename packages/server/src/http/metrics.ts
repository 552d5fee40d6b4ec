/** Prometheus metrics (`GET /metrics`): process defaults plus request counts and latencies. */
import type { FastifyReply, FastifyRequest } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { LiveMetrics } from "../live/live.ts";

export class Metrics implements LiveMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "runline_http_requests_total",
    help: "HTTP requests answered, by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "runline_http_request_duration_seconds",
    help: "Time to answer HTTP requests (SSE streams excluded)",
    labelNames: ["method", "route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  private readonly sseOpenStreams = new Gauge({
    name: "runline_sse_open_streams",
    help: "SSE streams currently open (or being opened) on this instance",
    registers: [this.registry],
  });
  /** Deliveries not yet added to the counter: one `inc` per event cost a sixth of a replay. */
  private deliveredSinceScrape = 0;
  private readonly sseEventsDelivered = new Counter({
    name: "runline_sse_events_delivered_total",
    help: "Event frames written to SSE streams",
    registers: [this.registry],
    // Added when scraped (prom-client calls collect before reading the value).
    collect: () => this.flushDelivered(),
  });
  private readonly sseLagDisconnects = new Counter({
    name: "runline_sse_lag_disconnects_total",
    help: "SSE streams dropped because the reader fell too far behind (it resumes from the log)",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "runline_" });
  }

  observeRequest(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? "unmatched";
    this.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    if (!route.endsWith("/stream")) {
      this.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    }
  }

  setOpenStreams(count: number): void {
    this.sseOpenStreams.set(count);
  }

  eventDelivered(): void {
    this.deliveredSinceScrape++;
  }

  private flushDelivered(): void {
    if (this.deliveredSinceScrape === 0) return;
    this.sseEventsDelivered.inc(this.deliveredSinceScrape);
    this.deliveredSinceScrape = 0;
  }

  lagDisconnect(): void {
    this.sseLagDisconnects.inc();
  }
}
