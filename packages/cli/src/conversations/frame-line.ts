/**
 * How `runline conversations tail` shows one conversation frame to a person: one line per
 * frame — the frame's id, the run it is about, what happened, and a short preview (the text a
 * delta adds, the tool called, the status a run moved to, the title of an input request).
 * Unlike `runs tail`, text is not joined into running prose: several runs may write at once,
 * and each line must say whose it is.
 */
import type { AguiEvent, ConversationFrame } from "@runline/client";
import { colourStatus, eventDetail, shortId, truncate } from "../format.ts";
import type { Style } from "../io.ts";

const PREVIEW_CHARS = 80;

/** One line (with its newline) for `frame`. */
export function frameLine(frame: ConversationFrame, style: Style): string {
  const what = frame.type === "event" ? frame.event_type : frame.type;
  const preview = previewOf(frame, style);
  const head = `${style.dim(String(frame.id).padStart(6))}  ${shortId(frame.run_id).padEnd(14)}  ${what}`;
  return `${preview ? `${head}  ${preview}` : head}\n`;
}

function previewOf(frame: ConversationFrame, style: Style): string {
  switch (frame.type) {
    case "event":
      return eventPreview(frame.event, style);
    case "run.created":
    case "run.status": {
      const { status, waiting_reason, parent_run_id, queued_behind } = frame.run;
      const shown = colourStatus(waiting_reason ? `${status} (${waiting_reason})` : status, style);
      const notes = [
        parent_run_id && `child of ${shortId(parent_run_id)}`,
        queued_behind && `queued behind ${shortId(queued_behind)}`,
      ].filter(Boolean);
      return notes.length > 0 ? `${shown} ${style.dim(notes.join(", "))}` : shown;
    }
    case "interrupt.opened":
    case "interrupt.closed": {
      const { status, interrupt } = frame.interrupt;
      const reason = typeof interrupt.reason === "string" ? ` ${interrupt.reason}` : "";
      return `${status}${reason}`;
    }
    default: {
      const { status, title } = frame.input_request;
      return `${status} ${JSON.stringify(truncate(title, PREVIEW_CHARS))}`;
    }
  }
}

function eventPreview(event: AguiEvent, style: Style): string {
  const text = (value: unknown) =>
    typeof value === "string" ? JSON.stringify(truncate(value, PREVIEW_CHARS)) : "";
  switch (event.type) {
    case "TEXT_MESSAGE_CONTENT":
    case "TEXT_MESSAGE_CHUNK":
    case "REASONING_MESSAGE_CONTENT":
    case "REASONING_MESSAGE_CHUNK":
    case "TOOL_CALL_ARGS":
      return text(event.delta);
    case "TOOL_CALL_START":
      return typeof event.toolCallName === "string" ? event.toolCallName : "";
    case "TOOL_CALL_RESULT":
      return text(event.content);
    case "RUN_ERROR":
      return style.red(typeof event.message === "string" ? event.message : "");
    default: {
      const { threadId: _threadId, runId: _runId, ...rest } = event;
      return style.dim(eventDetail(rest as AguiEvent, PREVIEW_CHARS));
    }
  }
}
