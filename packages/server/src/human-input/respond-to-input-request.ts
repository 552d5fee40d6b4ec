/**
 * Answer an input request (docs/api.md §7): `POST …/input-requests/{id}/responses`. The values
 * are checked against the request's fields (every issue at once); the first valid answer
 * submits the request, anything later gets 409 `input_request_not_open`.
 */
import { randomUUID } from "node:crypto";
import type { InputField, InputResponseInput } from "@runline/contract";
import type { AuthContext } from "../auth/auth-context.ts";
import { Problems } from "../errors.ts";
import type { InputRequestRow, InputResponseRecord } from "../store/human-input.ts";
import { closeInputRequest } from "./close-input-request.ts";
import type { HumanInputContext } from "./context.ts";
import { findInputRequest } from "./find-input-request.ts";
import { validateResponse } from "./validate-response.ts";

/** Who answered: a user (JWT subject), an API key, or a worker. */
function actorOf(auth: AuthContext): Pick<InputResponseRecord, "actor_type" | "actor_id"> {
  const p = auth.principal;
  switch (p.kind) {
    case "jwt":
      return { actor_type: "user", actor_id: p.subject };
    case "api_key":
      return { actor_type: "api_key", actor_id: p.keyId };
    case "worker":
      return { actor_type: "worker", actor_id: p.workerId };
    case "run_writer":
      // Writer tokens lack `runs:write`, which this route requires.
      throw Problems.forbidden("A run event-writer token cannot answer input requests");
  }
}

export async function respondToInputRequest(
  ctx: HumanInputContext,
  auth: AuthContext,
  conversationId: string,
  id: string,
  input: InputResponseInput,
): Promise<InputRequestRow> {
  const found = await findInputRequest(ctx.store.humanInput, auth, conversationId, id);
  const values = validateResponse(found.fields as unknown as InputField[], input.values);
  const actor = actorOf(auth);
  const { row, changed } = await closeInputRequest(ctx, found, (now) => ({
    status: "submitted",
    at: now,
    response: {
      id: randomUUID(),
      input_request_id: found.id,
      conversation_id: found.conversation_id,
      run_id: found.run_id,
      ...actor,
      values,
      created_at: now,
    },
  }));
  if (!changed) throw Problems.inputRequestNotOpen(row.status);
  return row;
}
