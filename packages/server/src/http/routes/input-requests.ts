/** Human input (docs/api.md §7, §7.5): input requests of a conversation, and its interrupts. */

import {
  ConversationParams,
  CreateInputRequestBody,
  GetInputRequestQuery,
  InputRequestListQuery,
  InputRequestParams,
  InputRequestSchema,
  InputResponseBody,
  InterruptItemSchema,
  InterruptListQuery,
  pageOf,
} from "@runline/contract";
import type { FastifyReply } from "fastify";
import { Problems } from "../../errors.ts";
import { cancelInputRequest } from "../../human-input/cancel-input-request.ts";
import type { HumanInputContext } from "../../human-input/context.ts";
import { createInputRequest } from "../../human-input/create-input-request.ts";
import { getInputRequest } from "../../human-input/get-input-request.ts";
import { listInterrupts } from "../../human-input/interrupts.ts";
import { listInputRequests } from "../../human-input/list-input-requests.ts";
import { presentInputRequest, toInterruptItem } from "../../human-input/records.ts";
import { respondToInputRequest } from "../../human-input/respond-to-input-request.ts";
import type { TypedApp } from "../app.ts";

const BASE = "/conversations/:conversation_id/input-requests";
const ONE = `${BASE}/:input_request_id`;
const TAGS = ["input requests"];

export function inputRequestRoutes(app: TypedApp, ctx: HumanInputContext): void {
  /** Long-polls waiting right now, answered together when the server shuts down. */
  const longPolls = new Set<AbortController>();
  app.addHook("preClose", async () => {
    for (const controller of longPolls) controller.abort();
  });

  app.post(
    BASE,
    {
      // Also the run's event-writer token, for its own run: checked before the body is
      // validated (403 whatever the body), and again by the ledger inside the transaction.
      config: { scope: "runs:write", runWriter: true },
      preValidation: async (request) => {
        const principal = request.auth.principal;
        const runId = (request.body as { run_id?: unknown } | undefined)?.run_id;
        if (principal.kind === "run_writer" && runId !== principal.runId) {
          throw Problems.forbidden(
            "A run event-writer token opens input requests for its own run only",
          );
        }
      },
      schema: {
        tags: TAGS,
        operationId: "createInputRequest",
        summary: "Open an input request for a run's tool call (200: the open one for it exists)",
        "x-problems": ["run_not_appendable", "metadata_too_large"],
        params: ConversationParams,
        body: CreateInputRequestBody,
        response: { 200: InputRequestSchema, 201: InputRequestSchema },
      },
    },
    async (request, reply) => {
      const { row, created } = await createInputRequest(
        ctx,
        request.auth,
        request.params.conversation_id,
        request.body,
      );
      return reply
        .code(created ? 201 : 200)
        .send(presentInputRequest(row, request.auth, ctx.now()));
    },
  );

  app.get(
    BASE,
    {
      config: { scope: "agent-runs:read" },
      schema: {
        tags: TAGS,
        operationId: "listInputRequests",
        summary: "List a conversation's input requests, newest first",
        "x-problems": ["invalid_cursor"],
        params: ConversationParams,
        querystring: InputRequestListQuery,
        response: { 200: pageOf(InputRequestSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listInputRequests(ctx, request.auth, request.params.conversation_id, {
        status: q.status,
        runId: q.run_id,
        cursor: q.cursor,
        limit: q.limit,
      });
      const now = ctx.now();
      return {
        data: page.data.map((row) => presentInputRequest(row, request.auth, now)),
        page_info: page.page_info,
      };
    },
  );

  app.get(
    ONE,
    {
      config: { scope: "agent-runs:read", runWriter: true },
      schema: {
        tags: TAGS,
        operationId: "getInputRequest",
        summary: "Read an input request; with wait_seconds, wait until it is no longer open",
        params: InputRequestParams,
        querystring: GetInputRequestQuery,
        response: { 200: InputRequestSchema },
      },
    },
    async (request, reply) => {
      const controller = abortOnClose(reply);
      longPolls.add(controller);
      try {
        const row = await getInputRequest(
          ctx,
          request.auth,
          request.params.conversation_id,
          request.params.input_request_id,
          { waitSeconds: request.query.wait_seconds, signal: controller.signal },
        );
        return presentInputRequest(row, request.auth, ctx.now());
      } finally {
        longPolls.delete(controller);
      }
    },
  );

  app.post(
    `${ONE}/responses`,
    {
      config: { scope: "runs:write" },
      schema: {
        tags: TAGS,
        operationId: "submitInputResponse",
        summary: "Answer an open input request (every field checked; 409 once not open)",
        "x-problems": ["invalid_response", "input_request_not_open"],
        params: InputRequestParams,
        body: InputResponseBody,
        response: { 200: InputRequestSchema },
      },
    },
    async (request) => {
      const row = await respondToInputRequest(
        ctx,
        request.auth,
        request.params.conversation_id,
        request.params.input_request_id,
        request.body,
      );
      return presentInputRequest(row, request.auth, ctx.now());
    },
  );

  app.post(
    `${ONE}/cancel`,
    {
      config: { scope: "runs:write" },
      schema: {
        tags: TAGS,
        operationId: "cancelInputRequest",
        summary: "Cancel an input request (again: unchanged; submitted or expired: 409)",
        "x-problems": ["input_request_not_open"],
        params: InputRequestParams,
        response: { 200: InputRequestSchema },
      },
    },
    async (request) => {
      const row = await cancelInputRequest(
        ctx,
        request.auth,
        request.params.conversation_id,
        request.params.input_request_id,
      );
      return presentInputRequest(row, request.auth, ctx.now());
    },
  );

  app.get(
    "/conversations/:conversation_id/interrupts",
    {
      config: { scope: "agent-runs:read" },
      schema: {
        tags: ["interrupts"],
        operationId: "listInterrupts",
        summary: "List a conversation's AG-UI interrupts, newest first",
        "x-problems": ["invalid_cursor"],
        params: ConversationParams,
        querystring: InterruptListQuery,
        response: { 200: pageOf(InterruptItemSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listInterrupts(ctx, request.auth, request.params.conversation_id, {
        status: q.status,
        cursor: q.cursor,
        limit: q.limit,
      });
      const now = ctx.now();
      return {
        data: page.data.map((row) => toInterruptItem(row, now)),
        page_info: page.page_info,
      };
    },
  );
}

/** Aborts when the response's connection goes away before it was sent. */
function abortOnClose(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.once("close", () => controller.abort());
  return controller;
}
