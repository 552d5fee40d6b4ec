/**
 * Events the server writes itself (contract §4.3, §4.7, §4.8). They are valid AG-UI 1.0 events
 * with no null fields: an unknown value is left out.
 */
import type { AguiEvent } from "../domain/agui/types.ts";
import type { RunRow } from "../store/types.ts";

export function runStartedEvent(run: RunRow): AguiEvent {
  return {
    type: "RUN_STARTED",
    threadId: run.conversation_id,
    runId: run.run_id,
    ...(run.parent_run_id !== null && { parentRunId: run.parent_run_id }),
  };
}

export function runFinishedEvent(run: RunRow, metadata: Record<string, unknown> | null): AguiEvent {
  return {
    type: "RUN_FINISHED",
    threadId: run.conversation_id,
    runId: run.run_id,
    ...(metadata !== null && { metadata }),
  };
}

export function runErrorEvent(message: string, code: string | null): AguiEvent {
  return { type: "RUN_ERROR", message, ...(code !== null && { code }) };
}

export function toolCallResultEvent(
  messageId: string,
  toolCallId: string,
  content: string,
  isError: boolean,
): AguiEvent {
  return {
    type: "TOOL_CALL_RESULT",
    messageId,
    toolCallId,
    content,
    role: "tool",
    ...(isError && { isError: true }),
  };
}
