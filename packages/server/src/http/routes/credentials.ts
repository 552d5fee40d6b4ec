/**
 * `GET /credentials/current`: the caller's project, credential kind and scopes — so a UI (the
 * inspector) offers only the actions this credential may take, instead of letting them fail.
 * Nothing secret: the caller already holds the credential.
 */

import { CurrentCredentialSchema } from "@runline/contract";
import { SCOPES } from "../../auth/auth-context.ts";
import type { TypedApp } from "../app.ts";

export function credentialRoutes(app: TypedApp): void {
  app.get(
    "/credentials/current",
    {
      config: { scope: "agent-runs:read" },
      schema: {
        tags: ["api keys"],
        operationId: "getCurrentCredential",
        summary: "The calling credential: its project, kind and scopes",
        response: { 200: CurrentCredentialSchema },
      },
    },
    async (request) => ({
      project_id: request.auth.projectId,
      kind: request.auth.principal.kind,
      scopes: SCOPES.filter((scope) => request.auth.scopes.has(scope)),
    }),
  );
}
