/**
 * A server span per HTTP request (docs/api.md §11), without auto-instrumentation.
 *
 * The span starts where Node hands the request over (the server's `request` listener, which is
 * wrapped) so that everything Fastify then does — hooks, handler, store, logs — runs inside its
 * context; a W3C `traceparent` header makes it a child of the caller's span. It ends when the
 * response closes (streams included), named `METHOD /route/:template` and carrying the status,
 * the project of the credential and the run addressed, read from the Fastify request then.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from "@opentelemetry/semantic-conventions";
import type { FastifyInstance, FastifyRequest } from "fastify";

export function traceRequests(app: FastifyInstance, tracer: Tracer): void {
  const requests = new WeakMap<IncomingMessage, FastifyRequest>();
  app.addHook("onRequest", async (request) => {
    requests.set(request.raw, request);
  });

  const server = app.server;
  const listeners = server.listeners("request") as RequestListener[];
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? "_OTHER";
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          // The path only: a query string may carry a token.
          [ATTR_URL_PATH]: (req.url ?? "/").split("?", 1)[0],
          [ATTR_URL_SCHEME]: "http",
          [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
          ...(req.headers["user-agent"] && {
            [ATTR_USER_AGENT_ORIGINAL]: req.headers["user-agent"],
          }),
        },
      },
      parent,
    );
    res.once("close", () => {
      const request = requests.get(req);
      const route = request?.routeOptions.url;
      if (route) {
        span.updateName(`${method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      if (request) {
        span.setAttribute("runline.request_id", request.id);
        // `auth` is set once the credential was accepted (absent on public routes).
        if (request.auth) span.setAttribute("runline.project_id", request.auth.projectId);
        const params = request.params as Record<string, unknown> | undefined;
        if (typeof params?.run_id === "string") span.setAttribute("runline.run_id", params.run_id);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!res.writableFinished) span.setAttribute("runline.response.aborted", true);
      span.end();
    });
    context.with(trace.setSpan(parent, span), () => {
      for (const listener of listeners) listener.call(server, req, res);
    });
  });
}
