/**
 * Run event-writer tokens (docs/api.md §2): exchanged for a credential that may manage the run
 * (`runs:write`), or, for a child run, for one that may append to its parent (the parent's
 * own writer token included). Answers carry `Cache-Control: no-store`.
 */

import { ChildRunParams, RunEventTokenSchema, RunParams } from "@runline/contract";
import {
  issueChildRunEventToken,
  issueRunEventToken,
  type RunEventTokenIssuer,
} from "../../auth/run-event-tokens.ts";
import type { TypedApp } from "../app.ts";

export function tokenRoutes(app: TypedApp, issuer: RunEventTokenIssuer): void {
  app.post(
    "/runs/:run_id/event-writer-token",
    {
      config: { scope: "runs:write" },
      schema: {
        tags: ["tokens"],
        operationId: "createRunEventWriterToken",
        summary: "A short-lived token that can append events to this run and nothing else",
        "x-problems": ["lease_lost"],
        params: RunParams,
        response: { 200: RunEventTokenSchema },
      },
    },
    async (request, reply) => {
      const token = await issueRunEventToken(issuer, request.auth, request.params.run_id);
      return reply.header("cache-control", "no-store").send({ run_event_token: token });
    },
  );

  app.post(
    "/runs/:run_id/children/:child_run_id/event-writer-token",
    {
      config: { scope: "agent-runs:events:append" },
      schema: {
        tags: ["tokens"],
        operationId: "createChildRunEventWriterToken",
        summary: "A writer token for a child run, for whoever may append to its parent",
        "x-problems": ["lease_lost"],
        params: ChildRunParams,
        response: { 200: RunEventTokenSchema },
      },
    },
    async (request, reply) => {
      const { run_id, child_run_id } = request.params;
      const token = await issueChildRunEventToken(issuer, request.auth, run_id, child_run_id);
      return reply.header("cache-control", "no-store").send({ run_event_token: token });
    },
  );
}
