/**
 * Events the server writes itself (docs/api.md §4.3, §4.7, §4.8). They are valid AG-UI 1.0 events
 * with no null fields: an unknown value is left out.
 */
import type { AguiEvent } from "../domain/agui/types.ts";
import type { RunRow } from "../store/types.ts";

/**
 * A run that answered interrupts (docs/api.md §7.5) echoes a full RunAgentInput carrying its
 * `resume`, as AG-UI 1.0 expects of a resumed run.
 */
export function runStartedEvent(run: RunRow): AguiEvent {
  const resume = resumeOf(run);
  return {
    type: "RUN_STARTED",
    threadId: run.conversation_id,
    runId: run.run_id,
    ...(run.parent_run_id !== null && { parentRunId: run.parent_run_id }),
    ...(resume && {
      input: { threadId: run.conversation_id, runId: run.run_id, messages: [], resume },
    }),
  };
}

/** The resume entries a root run was created with (`request.resume`, or the start body's). */
export function resumeOf(run: RunRow): unknown[] | undefined {
  if (run.parent_run_id !== null) return undefined; // only root runs answer interrupts
  const snapshot = run.request_snapshot as {
    request?: { resume?: unknown };
    resume?: unknown;
  };
  const resume = snapshot.request?.resume ?? snapshot.resume;
  return Array.isArray(resume) && resume.length > 0 ? resume : undefined;
}

export function runFinishedEvent(
  run: RunRow,
  metadata: Record<string, unknown> | null,
  outcome: Record<string, unknown> | null = null,
): AguiEvent {
  return {
    type: "RUN_FINISHED",
    threadId: run.conversation_id,
    runId: run.run_id,
    ...(metadata !== null && { metadata }),
    ...(outcome !== null && { outcome }),
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
