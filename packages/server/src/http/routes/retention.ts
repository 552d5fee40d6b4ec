/** Deletion and retention routes (docs/api.md §9). */

import {
  ConversationParams,
  DeleteConversationQuery,
  ProjectSettingsBody,
  ProjectSettingsSchema,
  RunDeletedProblem,
  RunParams,
} from "@runline/contract";
import { z } from "zod";
import type { LedgerContext } from "../../ledger/context.ts";
import { deleteConversation, deleteRun } from "../../retention/delete-runs.ts";
import { getProjectSettings, putProjectSettings } from "../../retention/project-settings.ts";
import type { Sweeper } from "../../retention/sweeper.ts";
import type { TypedApp } from "../app.ts";

export interface RetentionRouteDeps {
  ledger: LedgerContext;
  /** Woken after a delete so the rows go soon. */
  sweeper: Pick<Sweeper, "wake">;
  /** RUNLINE_RETENTION_DAYS. */
  retentionDays: number;
}

export function retentionRoutes(app: TypedApp, deps: RetentionRouteDeps): void {
  const { ledger, sweeper } = deps;

  app.delete(
    "/runs/:run_id",
    {
      config: { scope: "runs:write" },
      schema: {
        tags: ["runs"],
        operationId: "deleteRun",
        summary: "Delete an ended run and its descendants",
        "x-problems": ["run_active"],
        description:
          "Answers 204 once the runs are gone from every read; their rows are purged right after, " +
          "in the background. From then on each deleted run answers 410 run_deleted (with " +
          "deleted_at) on every route for at least 30 days, and its id cannot be reused. " +
          "409 run_active (with active_run_ids) when the run or a descendant is still active.",
        params: RunParams,
        response: { 204: z.null().describe("Deleted"), 410: RunDeletedProblem },
      },
    },
    async (request, reply) => {
      await deleteRun(ledger, request.auth, request.params.run_id);
      sweeper.wake();
      return reply.code(204).send(null);
    },
  );

  app.delete(
    "/conversations/:conversation_id",
    {
      config: { scope: "runs:write" },
      schema: {
        tags: ["conversations"],
        operationId: "deleteConversation",
        summary: "Delete a conversation with every run in it (and their descendants)",
        "x-problems": ["run_active"],
        description:
          "409 run_active (with active_run_ids) while a run is active, unless cancel=true, which " +
          "cancels them first in the same transaction. The conversation itself is removed too " +
          "(its id may be used again); its runs answer 410 run_deleted.",
        params: ConversationParams,
        querystring: DeleteConversationQuery,
        response: { 204: z.null().describe("Deleted") },
      },
    },
    async (request, reply) => {
      await deleteConversation(
        ledger,
        request.auth,
        request.params.conversation_id,
        request.query.cancel,
      );
      sweeper.wake();
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/projects/current/settings",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["projects"],
        operationId: "getProjectSettings",
        summary: "Read the caller's project settings (retention)",
        response: { 200: ProjectSettingsSchema },
      },
    },
    async (request) => getProjectSettings(ledger, request.auth, deps.retentionDays),
  );

  app.put(
    "/projects/current/settings",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["projects"],
        operationId: "setProjectSettings",
        summary: "Set the caller's project settings (retention)",
        body: ProjectSettingsBody,
        response: { 200: ProjectSettingsSchema },
      },
    },
    async (request) =>
      putProjectSettings(
        ledger,
        request.auth,
        { retention_days: request.body.retention_days ?? null },
        deps.retentionDays,
      ),
  );
}
