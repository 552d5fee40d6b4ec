/**
 * The HTTP edge of docs/api.md §12 (issue 16 findings 5, 8, 9, 12): security headers, CORS, the
 * request-body timeout, the lingering close that makes a 413 readable, and problem JSON for
 * the errors Node answers before Fastify sees a request (431, 408, malformed requests).
 */
import { Socket as NetSocket, type Socket } from "node:net";
import { PassThrough } from "node:stream";
import fastifyCors from "@fastify/cors";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type ProblemError, Problems, problemBody } from "../errors.ts";

/** The request headers browsers may send (docs/api.md §12). */
const ALLOWED_HEADERS = [
  "Authorization",
  "Content-Type",
  "X-API-Key",
  "Last-Event-ID",
  "traceparent",
  "X-Request-Id",
];

/**
 * How long a refused request's body is still read (and thrown away) after the answer, so
 * that a client still sending can read it (nginx's lingering close): closing a socket with
 * unread data makes the kernel reset it, and the client sees EPIPE instead of the 413.
 */
export const LINGER_MS = 5_000;

/** The Content-Security-Policy of `/docs` (Swagger UI: its own scripts and styles only). */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export interface HardeningOptions {
  /** `RUNLINE_CORS_ORIGINS`: origins allowed, `*`, or none (no CORS headers). */
  corsOrigins: string[] | "*" | undefined;
  /** `RUNLINE_BODY_TIMEOUT_MS`: a request body must have arrived within this. */
  bodyTimeoutMs: number;
}

export async function installHardening(
  app: FastifyInstance,
  options: HardeningOptions,
): Promise<void> {
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-content-type-options", "nosniff");
    if (request.url.startsWith("/docs")) reply.header("content-security-policy", DOCS_CSP);
  });
  // API answers are per caller and often secret (keys, tokens): no cache keeps them. The
  // inspector's static files and the stream set their own Cache-Control.
  app.addHook("onSend", async (_request, reply, payload) => {
    const type = String(reply.getHeader("content-type") ?? "");
    if (/^application\/(problem\+)?json/.test(type) && !reply.hasHeader("cache-control")) {
      reply.header("cache-control", "no-store");
    }
    return payload;
  });
  if (options.corsOrigins !== undefined) {
    // The plugin's catch-all OPTIONS route answers preflights, which carry no credential.
    app.addHook("onRoute", (route) => {
      if (route.method === "OPTIONS" && route.url === "*") {
        route.config = { ...(route.config ?? {}), public: true };
      }
    });
    await app.register(fastifyCors, {
      origin: options.corsOrigins === "*" ? "*" : options.corsOrigins,
      methods: ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: ["X-Request-Id", "Retry-After", "WWW-Authenticate"],
      maxAge: 600,
      // Preflights are answered before authentication: they carry no credential.
      hook: "onRequest",
    });
  }
  installBodyTimeout(app, options.bodyTimeoutMs);
  installLingeringClose(app);
  app.server.removeAllListeners("clientError");
  app.server.on("clientError", clientError);
}

/**
 * A body that has not fully arrived `timeoutMs` after parsing began fails with 408
 * `request_timeout` and `Connection: close` (a slow sender cannot hold a socket for ever).
 * The body is read through a pass-through stream that the timer can fail.
 */
function installBodyTimeout(app: FastifyInstance, timeoutMs: number): void {
  app.addHook("preParsing", async (request, reply, payload) => {
    if (request.raw.complete) return payload;
    const guarded = new PassThrough();
    const timer = setTimeout(() => {
      reply.header("connection", "close");
      guarded.destroy(
        Problems.requestTimeout(`The request body did not arrive within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    timer.unref();
    const stop = () => clearTimeout(timer);
    payload.on("end", stop);
    payload.on("close", stop);
    guarded.on("close", stop);
    // Answered already (a 413, say): the timer has nothing left to guard.
    reply.raw.once("finish", stop);
    // Fastify listens while it reads the body; afterwards an error here has no one to tell.
    guarded.on("error", () => {});
    payload.on("error", (error) => guarded.destroy(error));
    payload.pipe(guarded);
    return guarded;
  });
}

/**
 * A request answered before its body was read (413, or any refusal of a body) keeps its
 * connection: the rest of the body is read and discarded, for at most `LINGER_MS`, then the
 * socket is destroyed if the client is still sending. Fastify would close at once
 * (`Connection: close`), which resets a socket the client is still writing to.
 */
function installLingeringClose(app: FastifyInstance): void {
  const lingering = new Set<Socket>();
  app.addHook("onSend", async (request, reply, payload) => {
    if (request.raw.complete || reply.statusCode === 408 || reply.raw.headersSent) return payload;
    if (closingForShutdown(reply.getHeader("connection"), request)) return payload;
    reply.removeHeader("connection");
    reply.raw.once("finish", () => linger(request, lingering));
    return payload;
  });
  // Shutting down does not wait for refused uploads to finish.
  app.addHook("preClose", async () => {
    for (const socket of lingering) socket.destroy();
  });
}

/** Graceful shutdown marks its answers `Connection: close` too; those must stay closing. */
function closingForShutdown(connection: unknown, request: FastifyRequest): boolean {
  return connection === "close" && request.server.server.listening === false;
}

function linger(request: FastifyRequest, lingering: Set<Socket>): void {
  const raw = request.raw;
  const socket = raw.socket as Socket | null;
  // Injected requests (`app.inject`) have no real socket to keep reading from.
  if (raw.complete || !(socket instanceof NetSocket)) return;
  lingering.add(socket);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  // Whichever comes first ends the linger and detaches all three listeners: a keep-alive
  // socket serves many refused requests, and must not collect a listener per request.
  const done = () => {
    clearTimeout(timer);
    lingering.delete(socket);
    raw.off("end", done);
    raw.off("close", done);
    socket.off("close", done);
  };
  raw.once("end", done);
  raw.once("close", done);
  socket.once("close", done);
  raw.resume();
}

/** Node's parser errors (before any request exists) as problem JSON, then the socket closes. */
function clientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  let problem: ProblemError;
  if (error.code === "HPE_HEADER_OVERFLOW") {
    problem = Problems.headersTooLarge("The request headers are larger than 16 KiB in all");
  } else if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    problem = Problems.requestTimeout("The request did not arrive in time");
  } else {
    problem = Problems.invalidRequest("Malformed HTTP request");
  }
  if (socket.writable) {
    const body = JSON.stringify(problemBody(problem, "-"));
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
