/**
 * Waiting for the outside world (docs/api.md §4.8): a run parks on a tool call (or an approval,
 * event, input); appends are refused until the result arrives, which the server appends as
 * TOOL_CALL_RESULT before the run goes back to `running`.
 */

import type { ToolResultRequest, WaitRequest } from "@runline/contract";
import type { AuthContext } from "../auth/auth-context.ts";
import { MAX_EVENT_BYTES } from "../domain/agui/validate.ts";
import { canonicalJson } from "../domain/canonical-json.ts";
import { newUuid } from "../domain/ids.ts";
import { isTerminal } from "../domain/run-status.ts";
import { Problems } from "../errors.ts";
import type { RunRow } from "../store/types.ts";
import { assertMayWrite, lockRun, type RunAddress } from "./access.ts";
import { commitEvents, serverEvent, startIfNeeded } from "./commit-events.ts";
import type { LedgerContext } from "./context.ts";
import { toolCallResultEvent } from "./server-events.ts";

export async function waitForTool(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  input: WaitRequest,
): Promise<RunRow> {
  const reason = input.reason ?? "tool";
  const result = await ctx.store.transaction(async (tx) => {
    const run = await lockRun(tx, auth, address);
    const now = ctx.now();
    if (isTerminal(run.status)) {
      throw Problems.runAlreadyTerminal(`Run ${run.run_id} has already ended as ${run.status}`);
    }
    assertMayWrite(auth, run, now);
    if (run.status === "waiting_for_tool") {
      if (run.waiting_tool_call_id === input.tool_call_id && run.waiting_reason === reason) {
        return { run, changed: false };
      }
      throw Problems.conflict(
        `Run ${run.run_id} is already waiting for tool call ${run.waiting_tool_call_id}`,
      );
    }
    const start = startIfNeeded(run, now);
    const updated = await commitEvents(
      tx,
      run,
      start.events,
      {
        ...start.patch,
        status: "waiting_for_tool",
        waiting_reason: reason,
        waiting_tool_call_id: input.tool_call_id,
        waiting_tool_name: input.tool_name ?? null,
      },
      now,
    );
    return { run: updated, changed: true };
  });
  if (result.changed) ctx.committed(result.run);
  return result.run;
}

export async function submitToolResult(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  input: ToolResultRequest,
): Promise<{ duplicate: boolean; run: RunRow }> {
  const content = typeof input.result === "string" ? input.result : canonicalJson(input.result);
  // The result becomes one logged event, so it obeys the event size limit like any append
  // (a tool result bypassed it: issue 16 finding 7). The message id is a fixed-size UUID.
  const sized = toolCallResultEvent(newUuid(), input.toolCallId, content, input.isError === true);
  if (Buffer.byteLength(JSON.stringify(sized), "utf8") > MAX_EVENT_BYTES) {
    throw Problems.eventTooLarge(0, MAX_EVENT_BYTES);
  }
  const result = await ctx.store.transaction(async (tx) => {
    const run = await lockRun(tx, auth, address);
    const now = ctx.now();
    const waitsForThis =
      run.status === "waiting_for_tool" && run.waiting_tool_call_id === input.toolCallId;
    if (!waitsForThis) {
      const earlier = await tx.findToolCallResult(run.pk, input.toolCallId);
      if (earlier && earlier.content === content) return { duplicate: true, run };
      throw Problems.runNotWaiting(
        `Run ${run.run_id} is not waiting for a result of tool call ${input.toolCallId}`,
      );
    }
    assertMayWrite(auth, run, now);
    const updated = await commitEvents(
      tx,
      run,
      [serverEvent(sized)],
      {
        status: "running",
        waiting_reason: null,
        waiting_tool_call_id: null,
        waiting_tool_name: null,
      },
      now,
    );
    return { duplicate: false, run: updated };
  });
  if (!result.duplicate) ctx.committed(result.run);
  return result;
}
