/** API key management (docs/api.md §2): create, list, revoke — scope `admin`, caller's project only. */

import {
  ApiKeyParams,
  ApiKeySchema,
  CreateApiKeyBody,
  CreatedApiKeySchema,
} from "@runline/contract";
import { z } from "zod";
import { createApiKey, listApiKeys, revokeApiKey } from "../../auth/api-key-admin.ts";
import type { LedgerContext } from "../../ledger/context.ts";
import type { TypedApp } from "../app.ts";

export function apiKeyRoutes(app: TypedApp, ledger: LedgerContext): void {
  app.post(
    "/api-keys",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["api keys"],
        operationId: "createApiKey",
        summary: "Create an API key for the caller's project (the key is shown only here)",
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKeySchema },
      },
    },
    async (request, reply) => {
      const { record, key } = await createApiKey(
        ledger.store,
        request.auth.projectId,
        request.body,
        ledger.now(),
      );
      return reply
        .code(201)
        .header("cache-control", "no-store")
        .send({ ...record, key });
    },
  );

  app.get(
    "/api-keys",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["api keys"],
        operationId: "listApiKeys",
        summary: "List the project's API keys (revoked ones too; never a secret)",
        response: { 200: z.object({ data: z.array(ApiKeySchema) }) },
      },
    },
    async (request) => ({ data: await listApiKeys(ledger.store, request.auth.projectId) }),
  );

  app.delete(
    "/api-keys/:id",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["api keys"],
        operationId: "revokeApiKey",
        summary: "Revoke an API key (effective on the next request)",
        params: ApiKeyParams,
        response: { 204: z.null().describe("Revoked") },
      },
    },
    async (request, reply) => {
      await revokeApiKey(ledger.store, request.auth.projectId, request.params.id, ledger.now());
      return reply.code(204).send(null);
    },
  );
}
