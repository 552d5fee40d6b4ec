/**
 * Maps every error that reaches Fastify — ours, the framework's, validation — to problem JSON
 * (docs/api.md §3). A client can never cause a 5xx through its input; anything unexpected is
 * logged with the request id and answered with a bare 500.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { ProblemError, Problems, problemBody, type ValidationIssue } from "../errors.ts";
import { StoreUnavailableError } from "../store/errors.ts";
import { allowedMethods } from "./method-not-allowed.ts";

export function sendProblem(reply: FastifyReply, error: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.status)
    .type("application/problem+json")
    .send(problemBody(error, String(reply.request.id)));
}

function toProblem(error: FastifyError | Error, request: FastifyRequest): ProblemError | undefined {
  if (error instanceof ProblemError) return error;
  if (error instanceof StoreUnavailableError) return Problems.unavailable();
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as FastifyError).validationContext ?? "body";
    const issues: ValidationIssue[] = error.validation.map((v) => {
      const path = v.instancePath.replace(/^\//, "").replaceAll("/", ".");
      return { path: path ? `${context}.${path}` : context, message: v.message ?? "is invalid" };
    });
    const first = issues[0];
    // A size limit named by its own code (docs/api.md §3.3) rather than a generic invalid_request.
    const tooLarge =
      issues[error.validation.findIndex((v) => problemCodeOf(v.params) !== undefined)];
    if (tooLarge) {
      return Problems.metadataTooLarge(
        `Invalid request: ${tooLarge.path} ${tooLarge.message}`,
        issues,
      );
    }
    return Problems.invalidRequest(
      first ? `Invalid request: ${first.path} ${first.message}` : "Invalid request",
      issues,
    );
  }
  const code = (error as FastifyError).code;
  switch (code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return Problems.payloadTooLarge("The request body is larger than the server accepts");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return Problems.unsupportedMediaType(
        `Unsupported Content-Type ${request.headers["content-type"] ?? ""}: send application/json`,
      );
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return Problems.invalidRequest("The Content-Length header does not match the body");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return Problems.invalidRequest("The request body is not valid JSON");
  }
  const status = (error as FastifyError).statusCode;
  if (status === 413) return Problems.payloadTooLarge("The request body is too large");
  if (status === 415) return Problems.unsupportedMediaType(error.message);
  if (status === 429) return Problems.rateLimited(1);
  if (status !== undefined && status >= 400 && status < 500) {
    return Problems.invalidRequest(error.message);
  }
  return undefined;
}

/** The problem code a custom zod issue asks for (`params: {problem}`), if any. */
function problemCodeOf(params: unknown): string | undefined {
  const problem = (params as { params?: { problem?: unknown } } | undefined)?.params?.problem;
  return typeof problem === "string" ? problem : undefined;
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toProblem(error, request);
    if (problem) {
      if (problem.status >= 500) request.log.warn({ err: error }, serverSideReason(error, problem));
      return sendProblem(reply, problem);
    }
    request.log.error({ err: error }, "internal error: unhandled exception");
    return sendProblem(reply, Problems.internal());
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const allowed = allowedMethods(app, path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return sendProblem(reply, Problems.methodNotAllowed(request.method, path, allowed));
    }
    return sendProblem(reply, Problems.notFound(`No route for ${request.method} ${path}`));
  });
}

/**
 * What a 5xx answer is about, for the log: a storage fault is "storage unavailable"; every
 * other 503 (the identity provider's key set, shutting down, no stream slot) says what it is
 * in its own `detail`.
 */
function serverSideReason(error: Error, problem: ProblemError): string {
  if (error instanceof StoreUnavailableError) return "storage unavailable";
  return `${problem.code}: ${problem.detail}`;
}
