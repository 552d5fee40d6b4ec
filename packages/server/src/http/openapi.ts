/**
 * The OpenAPI document (`GET /openapi.json`, docs/api.md §2.4), made for code generators:
 *
 * - the contract's shapes are named components (`#/components/schemas/AgentRun`, `Problem`, …)
 *   instead of being inlined in every operation — registered here, by the server, so the
 *   contract package stays free of OpenAPI concerns;
 * - every operation declares its problem answers: the ones every route of its kind can give
 *   (400, 401/403, 404, 410 for run routes, 413/415 with a body, 429, 503) and the ones it
 *   names itself in `x-problems` (a route's `schema`), each an `application/problem+json`
 *   `Problem` whose description lists the codes;
 * - AG-UI events are typed `AgUiEvent` (`{type}` plus any other member) wherever they appear;
 * - success responses carry a description instead of Fastify's "Default Response".
 *
 * Operation ids and summaries are declared by the routes themselves.
 */

import type { FastifySwaggerUiOptions } from "@fastify/swagger-ui";
import {
  AgentRunRecordSchema,
  ApiKeySchema,
  AppendEventsResponse,
  ConversationSchema,
  CreatedApiKeySchema,
  CurrentCredentialSchema,
  EventPageResponse,
  InputFieldSchema,
  InputRequestSchema,
  InputResponseSchema,
  InterruptItemSchema,
  LoggedEventSchema,
  PageInfoSchema,
  PROBLEM_CODES,
  type ProblemCode,
  ProblemSchema,
  ProjectSettingsSchema,
  RunDeletedProblem,
  RunEventTokenSchema,
  RunReplySchema,
  RunSnapshotResponse,
  RunSnapshotSchema,
  RunStatusSchema,
  RunSummarySchema,
  ScopeSchema,
  ToolResultResponse,
  WorkerRunSchema,
  WorkerSchema,
  WorkerSessionSchema,
  WorkerWithTokenSchema,
} from "@runline/contract";
import { jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";

/** The names the document gives the contract's shapes. */
const COMPONENTS: ReadonlyArray<[string, z.ZodType]> = [
  ["Problem", ProblemSchema],
  ["RunDeletedProblem", RunDeletedProblem],
  ["RunStatus", RunStatusSchema],
  ["RunSummary", RunSummarySchema],
  ["AgentRun", AgentRunRecordSchema],
  ["AgentRunWithSnapshot", RunSnapshotSchema],
  ["RunReply", RunReplySchema],
  ["PageInfo", PageInfoSchema],
  ["LoggedEvent", LoggedEventSchema],
  ["EventPage", EventPageResponse],
  ["AppendEventsResult", AppendEventsResponse],
  ["RunSnapshot", RunSnapshotResponse],
  ["ToolResultAccepted", ToolResultResponse],
  ["Conversation", ConversationSchema],
  ["Scope", ScopeSchema],
  ["ApiKey", ApiKeySchema],
  ["CreatedApiKey", CreatedApiKeySchema],
  ["CurrentCredential", CurrentCredentialSchema],
  ["RunEventToken", RunEventTokenSchema],
  ["ProjectSettings", ProjectSettingsSchema],
  ["Worker", WorkerSchema],
  ["WorkerWithToken", WorkerWithTokenSchema],
  ["WorkerRun", WorkerRunSchema],
  ["WorkerSession", WorkerSessionSchema],
  ["InputField", InputFieldSchema],
  ["InputRequest", InputRequestSchema],
  ["InputResponse", InputResponseSchema],
  ["Interrupt", InterruptItemSchema],
];

/** Names the contract's shapes in zod's global registry (once; buildApp may run many times). */
export function registerComponents(): void {
  for (const [id, schema] of COMPONENTS) {
    if (!z.globalRegistry.has(schema)) z.globalRegistry.add(schema, { id });
  }
}

const AG_UI_EVENT = {
  type: "object",
  description:
    "An AG-UI 1.0 event, stored and returned verbatim (camelCase members as the protocol " +
    "defines them; extra members kept).",
  properties: {
    type: { type: "string", description: "The AG-UI event type, e.g. TEXT_MESSAGE_CONTENT" },
  },
  required: ["type"],
  additionalProperties: true,
} as const;

const LAST_EVENT_ID = {
  in: "header",
  name: "Last-Event-ID",
  required: false,
  description: "Resume after this event id (wins over after_event_id); EventSource sends it",
  schema: { type: "string", pattern: "^\\d{1,15}$" },
};

const SUCCESS: Readonly<Record<string, string>> = {
  "200": "OK",
  "201": "Created",
  "202": "Accepted: the run is recorded",
  "204": "Done; no body",
};

type Json = Record<string, unknown>;
type Operation = {
  operationId?: string;
  parameters?: Array<{ in: string }>;
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, Json>;
  "x-problems"?: ProblemCode[];
};

/** `transformObject` for @fastify/swagger: the zod components, then the finishing touches. */
export function transformDocument(
  input: Parameters<typeof jsonSchemaTransformObject>[0],
): ReturnType<typeof jsonSchemaTransformObject> {
  const document = jsonSchemaTransformObject(input) as Json & {
    paths?: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Json> };
  };
  typeEvents(document.components.schemas);
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(operations)) finishOperation(path, operation);
  }
  dropEmptyAlternatives(document);
  pruneUnusedComponents(document.components.schemas, document.paths ?? {});
  return document as ReturnType<typeof jsonSchemaTransformObject>;
}

/** Event members and event arrays as `AgUiEvent` (the contract types them as any object). */
function typeEvents(schemas: Record<string, Json>): void {
  schemas.AgUiEvent = AG_UI_EVENT;
  const ref = { $ref: "#/components/schemas/AgUiEvent" };
  const logged = schemas.LoggedEvent?.properties as Json | undefined;
  if (logged) logged.event = ref;
  const snapshot = schemas.RunSnapshot?.properties as Json | undefined;
  const items = (snapshot?.events as Json | undefined)?.items as Json | undefined;
  if (items?.properties) (items.properties as Json).event = ref;
}

function finishOperation(path: string, operation: Operation): void {
  for (const [status, response] of Object.entries(operation.responses)) {
    if (response.description === "Default Response") {
      response.description = SUCCESS[status] ?? "OK";
    }
  }
  const body = operation.requestBody as { content?: Record<string, { schema?: Json }> } | undefined;
  const events = body?.content?.["application/json"]?.schema?.properties as Json | undefined;
  if (events?.events && (events.events as Json).type === "array") {
    (events.events as Json).items = { $ref: "#/components/schemas/AgUiEvent" };
  }

  if (
    operation.responses["200"]?.content &&
    "text/event-stream" in (operation.responses["200"].content as Json)
  ) {
    // Checked by the route itself (stream.ts), so not in its schema: documented here.
    operation.parameters = [...(operation.parameters ?? []), LAST_EVENT_ID];
  }

  const codes = new Set<ProblemCode>(operation["x-problems"] ?? []);
  delete operation["x-problems"];
  const authenticated = !(Array.isArray(operation.security) && operation.security.length === 0);
  if (operation.parameters?.length || operation.requestBody) codes.add("invalid_request");
  if (authenticated) {
    codes.add("unauthenticated");
    codes.add("forbidden");
  }
  if (path.includes("{")) codes.add("not_found");
  if (path.includes("{run_id}")) codes.add("run_deleted");
  if (operation.requestBody) {
    codes.add("payload_too_large");
    codes.add("unsupported_media_type");
  }
  codes.add("rate_limited");
  codes.add("unavailable");

  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of Object.keys(PROBLEM_CODES) as ProblemCode[]) {
    if (!codes.has(code)) continue;
    const status = PROBLEM_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, these] of byStatus) {
    const schema =
      status === 410
        ? { $ref: "#/components/schemas/RunDeletedProblem" }
        : { $ref: "#/components/schemas/Problem" };
    operation.responses[String(status)] = {
      description: these.map((code) => `\`${code}\`: ${PROBLEM_CODES[code].meaning}`).join("\n\n"),
      content: { "application/problem+json": { schema } },
    };
  }
}

/** Runline's mark for the `/docs` top bar (an inline SVG: the page's CSP allows `data:` images). */
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="32" viewBox="0 0 160 32">
<rect x="1" y="6" width="20" height="20" rx="5" fill="#4f46e5"/>
<path d="M6 16h10M12 11l5 5-5 5" stroke="#fff" stroke-width="2.5" fill="none" stroke-linecap="round" stroke-linejoin="round"/>
<text x="30" y="23" font-family="system-ui,-apple-system,Segoe UI,sans-serif" font-size="20" font-weight="600" fill="#fff">Runline API</text>
</svg>`;

/** Served as a file under `/docs/static/theme/` (the CSP allows styles from this origin). */
const THEME_CSS = `
.swagger-ui .topbar { background: #111827; padding: 8px 0; }
.swagger-ui .topbar .download-url-wrapper { display: none; }
.swagger-ui .info .title small { background: #4f46e5; }
.swagger-ui .opblock-tag { border-bottom-color: #e5e7eb; }
.swagger-ui .btn.authorize { color: #4f46e5; border-color: #4f46e5; }
.swagger-ui .btn.authorize svg { fill: #4f46e5; }
`;

/** `/docs`: Swagger UI titled and marked as Runline's, reading this server's document. */
export const DOCS_UI_OPTIONS: FastifySwaggerUiOptions = {
  routePrefix: "/docs",
  uiConfig: { deepLinking: true, displayOperationId: true, defaultModelsExpandDepth: 0 },
  logo: { type: "image/svg+xml", content: Buffer.from(LOGO_SVG), href: "/docs", target: "_self" },
  theme: {
    title: "Runline API",
    css: [{ filename: "runline.css", content: THEME_CSS }],
  },
};

/**
 * `anyOf: [{}, {type: "null"}]` (an optional `z.unknown()`) says no more than `{}`: linters
 * flag the empty alternative, so such a schema becomes `{}` (any JSON value).
 */
function dropEmptyAlternatives(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) dropEmptyAlternatives(item);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const schema = node as Json;
  const anyOf = schema.anyOf;
  if (Array.isArray(anyOf) && anyOf.some((s) => isEmptySchema(s))) delete schema.anyOf;
  for (const value of Object.values(schema)) dropEmptyAlternatives(value);
}

function isEmptySchema(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

/**
 * The registry names every shape both as read and as written (`AgentRun`, `AgentRunInput`);
 * only those some operation reaches stay in the document.
 */
function pruneUnusedComponents(schemas: Record<string, Json>, paths: unknown): void {
  const used = new Set<string>();
  const pending: unknown[] = [paths];
  while (pending.length > 0) {
    const text = JSON.stringify(pending.pop());
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (name && !used.has(name)) {
        used.add(name);
        pending.push(schemas[name]);
      }
    }
  }
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
}
