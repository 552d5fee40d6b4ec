/**
 * The HTTP layer: a Fastify instance with request ids, structured logs, problem-JSON errors,
 * authentication with per-route scopes, zod validation (the same schemas generate
 * `/openapi.json`) and the routes of the contract.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyBodyParser,
  type FastifyInstance,
  type FastifyServerOptions,
  type RawServerDefault,
} from "fastify";
import {
  jsonSchemaTransform,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { AuthContext, Scope } from "../auth/auth-context.ts";
import type { Authenticator } from "../auth/authenticate.ts";
import type { Config } from "../config/config.ts";
import { Problems } from "../errors.ts";
import type { LedgerContext } from "../ledger/context.ts";
import { Metrics } from "./metrics.ts";
import { installProblemHandlers } from "./problems.ts";
import { conversationRoutes } from "./routes/conversations.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { runRoutes } from "./routes/runs.ts";

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
  }
}

export interface AppDeps {
  config: Config;
  ledger: LedgerContext;
  authenticator: Authenticator;
  metrics?: Metrics;
}

export type TypedApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(
  deps: AppDeps,
  logger: FastifyServerOptions["logger"] = true,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      logger === true
        ? {
            level: deps.config.logLevel,
            redact: {
              paths: [
                "req.headers.authorization",
                'req.headers["x-api-key"]',
                "req.headers.cookie",
              ],
              censor: "[redacted]",
            },
          }
        : logger,
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: deps.config.trustProxy,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: "idle",
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
  });
  const metrics = deps.metrics ?? new Metrics();

  app.setValidatorCompiler(validatorCompiler);
  // Responses are built from domain/records.ts; the schemas document them in OpenAPI.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installJsonParser(app);
  installProblemHandlers(app);

  app.decorateRequest("auth", undefined as unknown as AuthContext);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    const config = request.routeOptions.config;
    if (config.public || request.is404) return;
    request.auth = await deps.authenticator.authenticate(request.headers);
    if (config.scope && !request.auth.scopes.has(config.scope)) {
      throw Problems.forbidden(`This credential lacks the ${config.scope} scope`);
    }
  });
  app.addHook("onResponse", async (request, reply) => {
    metrics.observeRequest(request, reply);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Runline",
        description:
          "Durable AI agent runs: append-only AG-UI event logs, live SSE follow and resume.",
        version: "0.1.0",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/docs")) {
      route.config = { ...(route.config ?? {}), public: true };
      route.schema = { ...(route.schema ?? {}), hide: true };
    }
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs", uiConfig: { deepLinking: true } });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  healthRoutes(typed, deps, metrics);
  conversationRoutes(typed, deps.ledger);
  runRoutes(typed, deps.ledger);
  eventRoutes(typed, deps.ledger);
  return app;
}

/**
 * Bodies are JSON. An empty body counts as no body, whatever its content type (clients send
 * `Content-Type: application/json` on every call, GETs included); a non-empty body must parse.
 */
function installJsonParser(app: FastifyInstance): void {
  const strict = app.getDefaultJsonParser("error", "error");
  const parser: FastifyBodyParser<string> = (request, body, done) => {
    if (body.trim() === "") {
      done(null, undefined);
      return;
    }
    strict(request, body, done);
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
