/**
 * Tracing's front door (docs/api.md §11). With no exporter configured nothing here loads the
 * OpenTelemetry SDK: `startTracing` answers undefined and every `withSpan` (spans.ts) calls its
 * function straight through. With one, the SDK is imported (`sdk.ts`) and registered once per
 * process; the server then wraps its store (`store-spans.ts`) and HTTP requests (`http-spans.ts`).
 */
import type { FastifyInstance } from "fastify";
import type { TracingConfig } from "../config/config.ts";
import type { RunStore } from "../store/types.ts";

export interface Tracing {
  /** A server span per request, continuing a W3C `traceparent`; call before other hooks. */
  traceRequests(app: FastifyInstance): void;
  /** A span per store transaction (and compare-and-set append), on this store object. */
  traceStore(store: RunStore): void;
  /** Sends the spans still buffered (at shutdown; tests). */
  flush(): Promise<void>;
}

let started: Promise<Tracing> | undefined;

/**
 * The process's tracing, started on first call (the SDK is global: a second server in the same
 * process shares the first one's exporter). Undefined when tracing is off.
 */
export async function startTracing(config: TracingConfig): Promise<Tracing | undefined> {
  if (config.exporters.length === 0) return undefined;
  started ??= import("./sdk.ts").then((sdk) => sdk.registerSdk(config));
  return started;
}
