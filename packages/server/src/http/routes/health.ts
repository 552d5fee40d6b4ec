/** Operations routes (docs/api.md §6): liveness, readiness, metrics, the OpenAPI document. */
import { Problems } from "../../errors.ts";
import type { AppDeps, TypedApp } from "../app.ts";
import type { Metrics } from "../metrics.ts";
import { sendProblem } from "../problems.ts";

export function healthRoutes(app: TypedApp, deps: AppDeps, metrics: Metrics): void {
  const hidden = { hide: true };
  app.get("/healthz", { config: { public: true }, schema: hidden }, async () => ({ status: "ok" }));

  app.get("/readyz", { config: { public: true }, schema: hidden }, async (_request, reply) => {
    try {
      await deps.ledger.store.ping();
      return { status: "ready", store: deps.ledger.store.dialect };
    } catch {
      return sendProblem(reply, Problems.unavailable("Storage is not reachable"));
    }
  });

  app.get("/metrics", { config: { public: true }, schema: hidden }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get("/openapi.json", { config: { public: true }, schema: hidden }, async () => app.swagger());
}
