/**
 * Event types for the raw log: the category each AG-UI type belongs to (the log's filters) and a
 * one-line summary of an event (the log's rows).
 */
import type { AguiEvent } from "./run-model.ts";

export const CATEGORIES = [
  { id: "lifecycle", label: "Lifecycle" },
  { id: "text", label: "Text" },
  { id: "reasoning", label: "Reasoning" },
  { id: "tool", label: "Tool calls" },
  { id: "state", label: "State & messages" },
  { id: "other", label: "Other" },
] as const;

export type Category = (typeof CATEGORIES)[number]["id"];

export function categoryOf(type: string): Category {
  if (type.startsWith("RUN_") || type.startsWith("STEP_")) return "lifecycle";
  if (type.startsWith("TEXT_MESSAGE_")) return "text";
  if (type.startsWith("REASONING_") || type.startsWith("THINKING_")) return "reasoning";
  if (type.startsWith("TOOL_CALL_")) return "tool";
  if (type.startsWith("STATE_") || type === "MESSAGES_SNAPSHOT") return "state";
  return "other";
}

const clip = (text: string, max = 120): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

const field = (event: AguiEvent, key: string): string | undefined => {
  const value = event[key];
  return typeof value === "string" ? value : undefined;
};

/** A short human summary of an event's payload, for one row of the log. */
export function summarize(event: AguiEvent): string {
  const delta = field(event, "delta");
  switch (event.type) {
    case "TEXT_MESSAGE_CONTENT":
    case "REASONING_MESSAGE_CONTENT":
    case "THINKING_TEXT_MESSAGE_CONTENT":
    case "TEXT_MESSAGE_CHUNK":
    case "REASONING_MESSAGE_CHUNK":
      return clip(JSON.stringify(delta ?? ""));
    case "TOOL_CALL_START":
      return `${field(event, "toolCallName") ?? "?"} · ${field(event, "toolCallId") ?? ""}`;
    case "TOOL_CALL_ARGS":
    case "TOOL_CALL_CHUNK":
      return clip(`${field(event, "toolCallId") ?? ""} ${delta ?? ""}`);
    case "TOOL_CALL_END":
      return field(event, "toolCallId") ?? "";
    case "TOOL_CALL_RESULT":
      return clip(`${field(event, "toolCallId") ?? ""} → ${JSON.stringify(event.content)}`);
    case "STATE_DELTA": {
      const ops = Array.isArray(event.delta)
        ? (event.delta as { op?: string; path?: string }[])
        : [];
      return clip(ops.map((op) => `${op.op} ${op.path}`).join(", "));
    }
    case "STATE_SNAPSHOT":
      return clip(JSON.stringify(event.snapshot ?? null));
    case "MESSAGES_SNAPSHOT":
      return `${Array.isArray(event.messages) ? event.messages.length : 0} messages`;
    case "RUN_ERROR":
      return clip(`${field(event, "code") ?? ""} ${field(event, "message") ?? ""}`.trim());
    case "STEP_STARTED":
    case "STEP_FINISHED":
      return field(event, "stepName") ?? "";
    case "CUSTOM":
      return clip(`${field(event, "name") ?? ""} ${JSON.stringify(event.value ?? null)}`);
    default: {
      const id = field(event, "messageId") ?? field(event, "toolCallId") ?? field(event, "runId");
      return id ?? "";
    }
  }
}
