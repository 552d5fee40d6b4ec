/**
 * The HTTP layer: a Fastify instance with request ids, structured logs, problem-JSON errors,
 * authentication with per-route scopes, zod validation (the same schemas generate
 * `/openapi.json`) and the routes of the contract.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { ProblemCode } from "@runline/contract";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyBodyParser,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
  type RawServerDefault,
} from "fastify";
import {
  jsonSchemaTransform,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { AuthContext, Scope } from "../auth/auth-context.ts";
import { type Authenticator, requestCredentials, URL_TOKEN_PARAM } from "../auth/authenticate.ts";
import { authorize } from "../auth/authorize.ts";
import { rateLimitOptions } from "../auth/rate-limit.ts";
import { recordRoutes } from "../auth/route-catalogue.ts";
import type { ServerTokens } from "../auth/server-tokens.ts";
import type { Config } from "../config/config.ts";
import { Problems } from "../errors.ts";
import type { HumanInputContext } from "../human-input/context.ts";
import type { LedgerContext } from "../ledger/context.ts";
import type { Live } from "../live/live.ts";
import type { Sweeper } from "../retention/sweeper.ts";
import { traceLogFields } from "../tracing/spans.ts";
import type { Tracing } from "../tracing/tracing.ts";
import type { ClaimWakeups } from "../workers/wakeups.ts";
import { checkedSerializer } from "./checked-serializer.ts";
import { installGracefulClose } from "./graceful-close.ts";
import { installHardening } from "./hardening.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.ts";
import { Metrics } from "./metrics.ts";
import { refuseNul } from "./nul-guard.ts";
import { DOCS_UI_OPTIONS, registerComponents, transformDocument } from "./openapi.ts";
import { installProblemHandlers, sendProblem } from "./problems.ts";
import { apiKeyRoutes } from "./routes/api-keys.ts";
import { conversationRoutes } from "./routes/conversations.ts";
import { credentialRoutes } from "./routes/credentials.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { inputRequestRoutes } from "./routes/input-requests.ts";
import { inspectorRoutes } from "./routes/inspector.ts";
import { retentionRoutes } from "./routes/retention.ts";
import { runRoutes } from "./routes/runs.ts";
import { streamRoutes } from "./routes/stream.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { workerRoutes } from "./routes/workers.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** Set for every authenticated route (all but the public ones). */
    auth: AuthContext;
  }
  interface FastifyContextConfig {
    /** The scope a credential needs for this route. */
    scope?: Scope;
    /** Reachable without a credential (health, metrics, docs). */
    public?: boolean;
    /** A run event-writer token may call it too; the route checks the token's run. */
    runWriter?: boolean;
    /** A JWT may come as `?access_token=` (stream routes, for EventSource): authenticate.ts. */
    urlToken?: boolean;
  }
  interface FastifySchema {
    /** Problem codes this operation answers besides its kind's usual ones (openapi.ts). */
    "x-problems"?: readonly ProblemCode[];
  }
}

export interface AppDeps {
  config: Config;
  ledger: LedgerContext;
  authenticator: Authenticator;
  tokens: ServerTokens;
  metrics?: Metrics;
  /** Live following: the hub and the open SSE streams (`GET …/stream`). */
  live: Live;
  /** Wakes long-polling worker claims when a run may have become claimable. */
  claimWakeups: ClaimWakeups;
  /** The retention sweeper, woken after a delete (absent: nothing is woken). */
  sweeper?: Pick<Sweeper, "wake">;
  /** Input requests and interrupts (docs/api.md §7). */
  humanInput: HumanInputContext;
  /** Parse each JSON reply with its route's response schema first (tests; see `server.ts`). */
  validateResponses?: boolean;
  /** docs/api.md §11: present when tracing is on (a span per request, trace ids in log lines). */
  tracing?: Tracing | undefined;
}

export type TypedApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's request log fields, with a URL credential (`?access_token=`) censored. */
function requestForLog(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: censorUrlToken(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

const URL_TOKEN_VALUE = new RegExp(`([?&]${URL_TOKEN_PARAM}=)[^&#]*`, "g");

export function censorUrlToken(url: string): string {
  return url.replace(URL_TOKEN_VALUE, "$1[redacted]");
}

export async function buildApp(
  deps: AppDeps,
  logger: FastifyServerOptions["logger"] = true,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: withTraceIds(
      logger === true
        ? {
            level: deps.config.logLevel,
            redact: {
              // Credentials wherever headers get logged: under `req`, at the top, one level down.
              paths: ["req.headers", "headers", "*.headers"].flatMap((at) => [
                `${at}.authorization`,
                `${at}["x-api-key"]`,
                `${at}.cookie`,
              ]),
              censor: "[redacted]",
            },
            serializers: { req: requestForLog },
          }
        : logger,
      deps.tracing,
    ),
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: deps.config.trustProxy,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    // While closing, graceful-close.ts answers new requests with a 503 problem (Retry-After).
    return503OnClosing: false,
    // Errors Fastify raises before routing (malformed URL, over-long parameter) as problems too.
    frameworkErrors: (error, _request, reply) =>
      sendProblem(
        reply,
        error.code === "FST_ERR_MAX_PARAM_LENGTH"
          ? Problems.invalidRequest("A path parameter is too long")
          : Problems.invalidRequest(`Malformed request: ${error.message}`),
      ),
    forceCloseConnections: "idle",
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
  });
  // First: the request span must wrap every hook, including the other `request` listeners'.
  deps.tracing?.traceRequests(app);
  const metrics = deps.metrics ?? new Metrics();

  app.setValidatorCompiler(validatorCompiler);
  // Responses are built from domain/records.ts (typed as the schemas' output); the schemas
  // document them in OpenAPI, and under `validateResponses` check each reply as it is sent.
  app.setSerializerCompiler(
    deps.validateResponses ? checkedSerializer : () => (data) => JSON.stringify(data),
  );
  installJsonParser(app);
  installProblemHandlers(app);
  installGracefulClose(app);
  await installHardening(app, {
    corsOrigins: deps.config.corsOrigins,
    bodyTimeoutMs: deps.config.bodyTimeoutMs,
  });
  recordRoutes(app);

  app.decorateRequest("auth", undefined as unknown as AuthContext);
  app.addHook("preValidation", refuseNul);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    const config = request.routeOptions.config;
    if (config.public || request.is404) return;
    request.auth = await deps.authenticator.authenticate(
      requestCredentials(request.headers, request.query, config.urlToken === true),
    );
    authorize(request.auth, config, request.params);
  });
  // After the auth hook: its per-route hooks count requests per credential (auth/rate-limit.ts).
  if (deps.config.rateLimitPerMinute > 0) {
    await app.register(fastifyRateLimit, rateLimitOptions(deps.config.rateLimitPerMinute));
  }
  app.addHook("onResponse", async (request, reply) => {
    metrics.observeRequest(request, reply);
  });

  registerComponents();
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Runline",
        description:
          "Durable AI agent runs: append-only AG-UI event logs, live SSE follow and resume. " +
          "The reference, in prose, is docs/api.md in the Runline repository.",
        version: "0.1.0",
        license: { name: "MIT", identifier: "MIT" },
      },
      servers: [{ url: "/", description: "This Runline server" }],
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: transformDocument,
  });
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/docs")) {
      route.config = { ...(route.config ?? {}), public: true };
      route.schema = { ...(route.schema ?? {}), hide: true };
    }
  });
  await app.register(fastifySwaggerUi, DOCS_UI_OPTIONS);

  const typed = app.withTypeProvider<ZodTypeProvider>();
  healthRoutes(typed, deps, metrics);
  conversationRoutes(typed, deps.ledger);
  runRoutes(typed, deps.ledger);
  eventRoutes(typed, deps.ledger, deps.config.snapshot);
  streamRoutes(typed, deps.ledger, deps.live);
  inputRequestRoutes(typed, deps.humanInput);
  inspectorRoutes(typed);
  apiKeyRoutes(typed, deps.ledger);
  credentialRoutes(typed);
  retentionRoutes(typed, {
    ledger: deps.ledger,
    sweeper: deps.sweeper ?? { wake: () => undefined },
    retentionDays: deps.config.retention.days,
  });
  tokenRoutes(typed, {
    ledger: deps.ledger,
    tokens: deps.tokens,
    ttlSeconds: deps.config.runEventTokenTtlSeconds,
  });
  webhookRoutes(typed, {
    ledger: deps.ledger,
    allowPrivate: deps.config.webhooks.allowPrivate,
  });
  workerRoutes(typed, {
    ledger: deps.ledger,
    tokens: deps.tokens,
    wakeups: deps.claimWakeups,
    inactiveAfterSeconds: deps.config.workerInactiveAfterSeconds,
  });
  return app;
}

/** With tracing on, every log line written under a span carries its `trace_id` and `span_id`. */
function withTraceIds(
  logger: FastifyServerOptions["logger"],
  tracing: Tracing | undefined,
): FastifyServerOptions["logger"] {
  if (!tracing || typeof logger !== "object" || logger === null) return logger;
  return { ...logger, mixin: traceLogFields };
}

/**
 * Bodies are JSON. An empty body counts as no body, whatever its content type (clients send
 * `Content-Type: application/json` on every call, GETs included); a non-empty body must parse.
 *
 * Plain `JSON.parse` (what secure-json-parse does with `protoAction: "ignore"`): it defines
 * `__proto__` and `constructor` keys as ordinary own properties and never touches a prototype,
 * so AG-UI payloads and metadata holding such keys are stored and returned verbatim (docs/api.md
 * §2.1); the schemas then pass objects through by reference (contract/schemas.ts `JsonObject`)
 * instead of copying them key by key, which would turn `__proto__` into a prototype. A syntax
 * error's message, which says where the error is, goes into the problem's `detail`.
 */
function installJsonParser(app: FastifyInstance): void {
  const parser: FastifyBodyParser<string> = (_request, body, done) => {
    if (body.trim() === "") {
      done(null, undefined);
      return;
    }
    if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      done(
        Problems.invalidRequest(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`),
        undefined,
      );
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      const reason = error instanceof SyntaxError ? `: ${error.message}` : "";
      done(Problems.invalidRequest(`The request body is not valid JSON${reason}`), undefined);
      return;
    }
    done(null, parsed);
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, parser);
  app.addContentTypeParser(/^application\/[a-z.+-]*\+json$/, { parseAs: "string" }, parser);
  // Any other media type: fine when the body is empty, else 415.
  app.addContentTypeParser("*", { parseAs: "buffer" }, (request, body: Buffer, done) => {
    if (body.length === 0) return done(null, undefined);
    done(
      Problems.unsupportedMediaType(
        `Unsupported Content-Type ${request.headers["content-type"] ?? "(none)"}: send application/json`,
      ),
      undefined,
    );
  });
}
