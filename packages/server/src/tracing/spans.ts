/**
 * Spans for Runline's own operations (docs/api.md §11), through the OpenTelemetry API only.
 * Ledger and worker code wraps an operation with `withSpan`; the request and store-transaction
 * spans are made once, around the server and the store (`http-spans.ts`, `store-spans.ts`).
 *
 * While tracing is off (no exporter configured) `withSpan` calls its function directly: no
 * span, no context switch. `sdk.ts`, loaded only when tracing is on,
 * switches it on after registering the SDK. Anything may be wrapped, e.g. a webhook delivery:
 *
 *     await withSpan("webhook.deliver", { "runline.webhook.id": id }, async (span) => {
 *       const response = await fetch(url, { headers: { ...outgoingTraceHeaders(), … } });
 *       span.setAttribute("http.response.status_code", response.status);
 *     });
 */
import {
  type Attributes,
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";

/** The span given to functions while tracing is off: every call on it does nothing. */
const NO_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

let tracer: Tracer | undefined;

/** Called by `sdk.ts` once the SDK is registered. */
export function useTracer(next: Tracer | undefined): void {
  tracer = next;
}

export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/**
 * Runs `fn` in a span `name` (a child of the active span), ends it when `fn` settles and marks
 * it failed when `fn` throws — except for a client error (a 4xx problem), which is the
 * operation answering as designed, not a fault. `fn` may add attributes to the span.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracer) return fn(NO_SPAN);
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      if (!isClientError(error)) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      } else {
        span.setAttribute("runline.problem", (error as { code?: string }).code ?? "client_error");
      }
      throw error;
    } finally {
      span.end();
    }
  });
}

/** `fn` bound to the context active now: it runs under today's span whoever calls it later. */
export function bindToActiveSpan<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return tracer ? context.bind(context.active(), fn) : fn;
}

/**
 * The ids of the active span, for log lines (`trace_id`, `span_id`); empty outside a trace.
 * A pino `mixin`: called for every log line, so it stays this cheap.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * The W3C trace-context headers (`traceparent`, `tracestate`) of the active span, for an
 * outgoing request (a webhook delivery) that the receiver may continue; empty while off.
 */
export function outgoingTraceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  if (tracer) propagation.inject(context.active(), headers);
  return headers;
}

function isClientError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}
