/** Finding an input request for a caller (docs/api.md §7): tenancy, conversation, writer tokens. */
import type { AuthContext } from "../auth/auth-context.ts";
import { Problems } from "../errors.ts";
import type { HumanInputReads, InputRequestRow } from "../store/human-input.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The request `id` of the caller's project in `conversationId` (committed data); 404 for
 * anything else. A run event-writer token reads only the requests of its own run (403 for any
 * other id, whether it exists or not: nothing leaks).
 */
export async function findInputRequest(
  reads: HumanInputReads,
  auth: AuthContext,
  conversationId: string,
  id: string,
): Promise<InputRequestRow> {
  const row = UUID.test(id) ? await reads.getInputRequest(auth.projectId, id) : undefined;
  if (auth.principal.kind === "run_writer" && row?.run_id !== auth.principal.runId) {
    throw Problems.forbidden("A run event-writer token reads only its own run's input requests");
  }
  if (!row || row.conversation_id !== conversationId) {
    throw Problems.notFound(`Input request ${id} not found`);
  }
  return row;
}
