/**
 * The OpenTelemetry SDK, imported only when tracing is on (tracing.ts). Spans are batched and
 * exported over OTLP/HTTP with JSON bodies (`@opentelemetry/exporter-trace-otlp-http`), which
 * reads the standard variables itself: OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS,
 * _TIMEOUT; the provider reads OTEL_TRACES_SAMPLER[_ARG] and the batch processor OTEL_BSP_*.
 * The resource is `service.name=runline` unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES
 * say otherwise. No auto-instrumentation: Runline makes its own spans (http-spans.ts,
 * store-spans.ts, and `withSpan` around append, claim and webhook delivery).
 */
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { TracingConfig } from "../config/config.ts";
import { traceRequests } from "./http-spans.ts";
import { useTracer } from "./spans.ts";
import { traceStore } from "./store-spans.ts";
import type { Tracing } from "./tracing.ts";

export function registerSdk(config: TracingConfig): Tracing {
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: "runline" }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporters: SpanExporter[] = config.exporters.map((name) =>
    name === "otlp" ? new OTLPTraceExporter() : new ConsoleSpanExporter(),
  );
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: exporters.map((exporter) => new BatchSpanProcessor(exporter)),
  });
  // Global: the AsyncLocalStorage context manager (a request's span follows its async work)
  // and the W3C trace-context propagator (`traceparent` in, continued).
  provider.register();
  const tracer = provider.getTracer("@runline/server");
  useTracer(tracer);
  return {
    traceRequests: (app) => traceRequests(app, tracer),
    traceStore,
    // Bounded by the exporter's own timeout (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default) and,
    // at shutdown, by RUNLINE_SHUTDOWN_GRACE_MS: a collector that does not answer cannot hold
    // the process. No shorter limit here: on a loaded machine it lost the last batch.
    flush: () => provider.forceFlush(),
  };
}
