/** Run lifecycle routes (docs/api.md §4.1, §4.2, §4.6, §4.7, §4.8). */
import {
  AgentRunRecordSchema,
  acceptedOf,
  CancelRunBody,
  ChildrenQuery,
  CompleteRunBody,
  ConversationParams,
  ConversationRunListQuery,
  ConversationRunParams,
  CreateRunBody,
  cancelledOf,
  completedOf,
  pageOf,
  RunListQuery,
  RunReplySchema,
  RunSnapshotSchema,
  RunSummarySchema,
  StartRunBody,
  ToolResultBody,
  ToolResultResponse,
  WaitBody,
} from "@runline/contract";
import { toAgentRunRecord, toRunSummary, toRunWithSnapshot } from "../../domain/records.ts";
import { fromStatusFilter } from "../../domain/run-status.ts";
import type { LedgerContext } from "../../ledger/context.ts";
import { createRun, startRun } from "../../ledger/create-run.ts";
import { cancelRun, completeRun } from "../../ledger/finish-run.ts";
import { getRun, listRuns } from "../../ledger/read-runs.ts";
import { submitToolResult, waitForTool } from "../../ledger/wait-for-tool.ts";
import type { TypedApp } from "../app.ts";
import { ALL_FAMILIES, addressOf, CANONICAL, CONVERSATION_FAMILIES } from "./families.ts";

const page = pageOf;
const Accepted = acceptedOf;

export function runRoutes(app: TypedApp, ledger: LedgerContext): void {
  app.post(
    "/runs",
    {
      config: { scope: "runs:write" },
      schema: {
        tags: ["runs"],
        operationId: "createRun",
        summary: "Create a run (idempotent on public_id)",
        "x-problems": [
          "run_deleted",
          "interrupts_unanswered",
          "interrupt_not_open",
          "conflict",
          "metadata_too_large",
        ],
        body: CreateRunBody,
        response: { 202: Accepted(RunSummarySchema) },
      },
    },
    async (request, reply) => {
      const { run, duplicate } = await createRun(ledger, request.auth, request.body);
      return reply.code(202).send({ accepted: true, duplicate, run: toRunSummary(run) });
    },
  );

  for (const family of CONVERSATION_FAMILIES) {
    app.post(
      `${family.prefix}/start`,
      {
        config: { scope: "runs:write" },
        schema: {
          tags: [family.tag],
          operationId: family.operationId("start"),
          summary: "Start a run whose id is the path's run_id (older clients)",
          "x-problems": [
            "interrupts_unanswered",
            "interrupt_not_open",
            "conflict",
            "metadata_too_large",
          ],
          params: ConversationRunParams,
          body: StartRunBody,
          response: { 202: Accepted(AgentRunRecordSchema) },
        },
      },
      async (request, reply) => {
        const { conversation_id, run_id } = request.params;
        const result = await startRun(ledger, request.auth, conversation_id, run_id, request.body);
        return reply.code(202).send({
          accepted: true,
          duplicate: result.duplicate,
          run: toAgentRunRecord(result.run),
        });
      },
    );
  }

  app.get(
    "/runs",
    {
      config: { scope: "agent-runs:read" },
      schema: {
        tags: ["runs"],
        operationId: "listRuns",
        summary: "List the project's runs, newest first",
        "x-problems": ["invalid_cursor"],
        querystring: RunListQuery,
        response: { 200: page(RunSummarySchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const result = await listRuns(ledger, request.auth, {
        listing: "runs",
        filter: {
          ...(q.status && { status: fromStatusFilter(q.status) }),
          ...(q.agent_id && { agent_id: q.agent_id }),
          ...(q.conversation_id && { conversation_id: q.conversation_id }),
        },
        order: "desc",
        cursor: q.cursor,
        limit: q.limit,
      });
      return { data: result.data.map(toRunSummary), page_info: result.page_info };
    },
  );

  for (const segment of ["runs", "agent-runs"]) {
    app.get(
      `/conversations/:conversation_id/${segment}`,
      {
        config: { scope: "agent-runs:read" },
        schema: {
          tags: ["conversation runs"],
          operationId: segment === "runs" ? "listConversationRuns" : "listConversationAgentRuns",
          summary: "List a conversation's runs, newest first",
          "x-problems": ["invalid_cursor"],
          params: ConversationParams,
          querystring: ConversationRunListQuery,
          response: { 200: page(AgentRunRecordSchema) },
        },
      },
      async (request) => {
        const q = request.query;
        const result = await listRuns(ledger, request.auth, {
          listing: "conversation-runs",
          filter: {
            conversation_id: request.params.conversation_id,
            ...(q.status && { status: fromStatusFilter(q.status) }),
          },
          order: "desc",
          cursor: q.cursor,
          limit: q.limit,
        });
        return { data: result.data.map(toAgentRunRecord), page_info: result.page_info };
      },
    );

    app.get(
      `/conversations/:conversation_id/${segment}/children-by-parent-conversation`,
      {
        config: { scope: "agent-runs:read" },
        schema: {
          tags: ["lineage"],
          operationId:
            segment === "runs"
              ? "listRunsSpawnedFromConversation"
              : "listAgentRunsSpawnedFromConversation",
          summary: "Runs spawned from this conversation, oldest first",
          "x-problems": ["invalid_cursor"],
          params: ConversationParams,
          querystring: ChildrenQuery,
          response: { 200: page(RunSnapshotSchema) },
        },
      },
      async (request) => {
        const q = request.query;
        const result = await listRuns(ledger, request.auth, {
          listing: "children-by-parent-conversation",
          filter: {
            parent_conversation_id: request.params.conversation_id,
            ...(q.spawned_from_tool_call_id && {
              spawned_from_tool_call_id: q.spawned_from_tool_call_id,
            }),
          },
          order: "asc",
          cursor: q.cursor,
          limit: q.limit,
        });
        return { data: result.data.map(toRunWithSnapshot), page_info: result.page_info };
      },
    );
  }

  for (const family of ALL_FAMILIES) {
    const isCanonical = family === CANONICAL;
    const RunShape = isCanonical ? RunSummarySchema : AgentRunRecordSchema;

    app.get(
      family.prefix,
      {
        config: { scope: "agent-runs:read" },
        schema: {
          tags: [family.tag],
          operationId: family.operationId("get"),
          summary: "Read a run",
          params: family.params,
          response: { 200: RunShape },
        },
      },
      async (request) =>
        family.present(await getRun(ledger.store, request.auth, addressOf(request.params))),
    );

    app.get(
      `${family.prefix}/children`,
      {
        config: { scope: "agent-runs:read" },
        schema: {
          tags: ["lineage"],
          operationId: family.operationId("list", "Children"),
          summary: "Runs spawned by this run, oldest first",
          "x-problems": ["invalid_cursor"],
          params: family.params,
          querystring: ChildrenQuery,
          response: { 200: page(RunShape) },
        },
      },
      async (request) => {
        const q = request.query;
        const parent = await getRun(ledger.store, request.auth, addressOf(request.params));
        const result = await listRuns(ledger, request.auth, {
          listing: `children:${parent.run_id}`,
          filter: {
            parent_run_id: parent.run_id,
            ...(q.spawned_from_tool_call_id && {
              spawned_from_tool_call_id: q.spawned_from_tool_call_id,
            }),
          },
          order: "asc",
          cursor: q.cursor,
          limit: q.limit,
        });
        return { data: result.data.map(family.present), page_info: result.page_info };
      },
    );

    app.post(
      `${family.prefix}/complete`,
      {
        config: { scope: "runs:write" },
        schema: {
          tags: [family.tag],
          operationId: family.operationId("complete"),
          summary: "End a run as completed, failed or cancelled",
          "x-problems": ["run_already_terminal", "lease_lost", "conflict", "metadata_too_large"],
          params: family.params,
          body: CompleteRunBody,
          response: { 200: completedOf(RunShape) },
        },
      },
      async (request) => {
        const result = await completeRun(
          ledger,
          request.auth,
          addressOf(request.params),
          request.body,
        );
        return { completed: result.completed, run: family.present(result.run) };
      },
    );

    app.post(
      `${family.prefix}/cancel`,
      {
        config: { scope: "runs:write" },
        schema: {
          tags: [family.tag],
          operationId: family.operationId("cancel"),
          summary: "Cancel a run (and, with cascade, its active descendants)",
          "x-problems": ["lease_lost"],
          params: family.params,
          body: CancelRunBody,
          response: { 200: cancelledOf(RunShape) },
        },
      },
      async (request) => {
        const address = addressOf(request.params);
        const result = await cancelRun(
          ledger,
          request.auth,
          address,
          request.body.cascade === true,
        );
        return { cancelled: result.cancelled, run: family.present(result.run) };
      },
    );

    app.post(
      `${family.prefix}/wait`,
      {
        config: { scope: "runs:write" },
        schema: {
          tags: [family.tag],
          operationId: family.operationId("wait", "ForTool"),
          summary: "Park the run until a tool result (or approval, event, input) arrives",
          "x-problems": ["run_already_terminal", "lease_lost", "conflict"],
          params: family.params,
          body: WaitBody,
          response: { 200: RunReplySchema },
        },
      },
      async (request) => {
        const run = await waitForTool(
          ledger,
          request.auth,
          addressOf(request.params),
          request.body,
        );
        return { run: toAgentRunRecord(run) };
      },
    );
  }

  const toolResultPaths = [
    ...ALL_FAMILIES.map((f) => ({
      path: `${f.prefix}/tool-result`,
      family: f,
      operationId: f.operationId("submit", "ToolResult"),
    })),
    {
      path: "/conversations/:conversation_id/agent-stream/:run_id/tool-result",
      family: CONVERSATION_FAMILIES[0]!,
      operationId: "submitConversationAgentStreamToolResult",
    },
  ];
  for (const { path, family, operationId } of toolResultPaths) {
    app.post(
      path,
      {
        config: { scope: "runs:write" },
        schema: {
          tags: [family.tag],
          operationId: operationId,
          summary: "Submit the result of the tool call the run waits on",
          "x-problems": [
            "run_not_waiting",
            "run_already_terminal",
            "event_too_large",
            "lease_lost",
          ],
          params: family.params,
          body: ToolResultBody,
          response: { 200: ToolResultResponse },
        },
      },
      async (request) => {
        const result = await submitToolResult(
          ledger,
          request.auth,
          addressOf(request.params),
          request.body,
        );
        return { accepted: true as const, duplicate: result.duplicate };
      },
    );
  }
}
