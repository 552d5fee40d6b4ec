/**
 * Open an input request (docs/api.md §7): `POST /conversations/{cid}/input-requests`. Bound to an
 * active run of the conversation and the tool call that asks; the same (run, tool call) while
 * its request is still open returns that request unchanged (a retry after a lost response).
 */
import { randomUUID } from "node:crypto";
import type { CreateInputRequestRequest } from "@runline/contract";
import type { AuthContext } from "../auth/auth-context.ts";
import { isTerminal } from "../domain/run-status.ts";
import { Problems } from "../errors.ts";
import { assertMayWrite, lockRun } from "../ledger/access.ts";
import { inputRequestChange } from "../store/changes.ts";
import type { InputRequestRow } from "../store/human-input.ts";
import type { HumanInputContext } from "./context.ts";

/** The furthest deadline a request may have. */
export const MAX_EXPIRY_MS = 30 * 24 * 60 * 60 * 1000;

export async function createInputRequest(
  ctx: HumanInputContext,
  auth: AuthContext,
  conversationId: string,
  input: CreateInputRequestRequest,
): Promise<{ row: InputRequestRow; created: boolean }> {
  const now = ctx.now();
  const expiresAt = new Date(input.expires_at).toISOString();
  const nowMs = Date.parse(now);
  if (Date.parse(expiresAt) <= nowMs || Date.parse(expiresAt) > nowMs + MAX_EXPIRY_MS) {
    throw Problems.invalidRequest("expires_at must be in the future and at most 30 days ahead", [
      { path: "body.expires_at", message: "must be in the future and at most 30 days ahead" },
    ]);
  }
  return ctx.store.transaction(async (tx) => {
    const run = await lockRun(tx, auth, { runId: input.run_id, conversationId });
    if (isTerminal(run.status)) throw Problems.runNotAppendable();
    assertMayWrite(auth, run, now);
    const existing = await tx.humanInput.openInputRequestFor(run.pk, input.tool_call_id);
    if (existing && existing.expires_at > now) return { row: existing, created: false };
    if (existing) {
      // Past its deadline but not swept yet: it expires now, and a new request takes its place.
      const expired = await tx.humanInput.closeInputRequest(existing.pk, {
        status: "expired",
        at: existing.expires_at,
      });
      if (expired) tx.record(inputRequestChange("input_request.expired", expired));
    }
    const row = await tx.humanInput.insertInputRequest({
      id: randomUUID(),
      project_id: auth.projectId,
      conversation_id: conversationId,
      run_pk: run.pk,
      run_id: run.run_id,
      tool_call_id: input.tool_call_id,
      kind: input.kind,
      status: "open",
      requested_responder_type: input.requested_responder_type,
      title: input.title,
      description: input.description ?? null,
      // Through JSON: optional keys that were not given are omitted, never null.
      fields: JSON.parse(JSON.stringify(input.fields)),
      metadata: input.metadata ?? null,
      created_at: now,
      expires_at: expiresAt,
      submitted_at: null,
      cancelled_at: null,
      expired_at: null,
      latest_response: null,
    });
    tx.record(inputRequestChange("input_request.created", row));
    return { row, created: true };
  });
}
