/** Prometheus metrics (`GET /metrics`): process defaults plus request counts and latencies. */
import type { FastifyReply, FastifyRequest } from "fastify";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export class Metrics {
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
}
