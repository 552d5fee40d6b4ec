/**
 * How `runline runs tail` shows a run to a person: message text streams as continuous text,
 * delta by delta (assistant text plain, reasoning dim, other roles labelled); every other event
 * is one short dim line (`· TYPE details`), tool calls with their name and assembled
 * arguments; `RUN_ERROR` is a red line. High-frequency deltas that are not text
 * (`TOOL_CALL_ARGS`, nameless `TOOL_CALL_CHUNK`s) print nothing themselves: their content shows
 * on the tool call's end line.
 */
import type { AguiEvent, StreamedEvent } from "@runline/client";
import { eventDetail, truncate } from "../format.ts";
import type { Style } from "../io.ts";

const DETAIL_CHARS = 100;

interface OpenText {
  role: string;
  /** Reasoning is shown dim. */
  dim: boolean;
}

interface OpenToolCall {
  name: string;
  args: string;
}

export class TailRenderer {
  private readonly write: (text: string) => void;
  private readonly style: Style;
  private readonly texts = new Map<string, OpenText>();
  private readonly toolCalls = new Map<string, OpenToolCall>();
  /** The message whose text the current line holds, if any. */
  private speaking: string | undefined;
  private atLineStart = true;

  constructor(write: (text: string) => void, style: Style) {
    this.write = write;
    this.style = style;
  }

  render({ event }: StreamedEvent): void {
    const type = event.type;
    switch (type) {
      case "TEXT_MESSAGE_START":
      case "REASONING_MESSAGE_START":
        this.texts.set(str(event.messageId), {
          role: str(event.role) || (type === "TEXT_MESSAGE_START" ? "assistant" : "reasoning"),
          dim: type === "REASONING_MESSAGE_START",
        });
        return;
      case "TEXT_MESSAGE_CONTENT":
      case "REASONING_MESSAGE_CONTENT":
        this.text(str(event.messageId), str(event.delta), type.startsWith("REASONING"));
        return;
      case "TEXT_MESSAGE_CHUNK":
      case "REASONING_MESSAGE_CHUNK": {
        const id = str(event.messageId) || this.speaking || type;
        if (!this.texts.has(id) && event.role !== undefined) {
          this.texts.set(id, { role: str(event.role), dim: type.startsWith("REASONING") });
        }
        if (typeof event.delta === "string")
          this.text(id, event.delta, type.startsWith("REASONING"));
        return;
      }
      case "TEXT_MESSAGE_END":
      case "REASONING_MESSAGE_END": {
        const id = str(event.messageId);
        this.texts.delete(id);
        if (this.speaking === id) this.endLine();
        return;
      }
      case "TOOL_CALL_START":
        this.toolCalls.set(str(event.toolCallId), { name: str(event.toolCallName), args: "" });
        this.line(`${type} ${str(event.toolCallName)}`);
        return;
      case "TOOL_CALL_ARGS":
        this.toolArgs(str(event.toolCallId), str(event.delta));
        return;
      case "TOOL_CALL_CHUNK": {
        const id = str(event.toolCallId);
        if (typeof event.toolCallName === "string") {
          this.toolCalls.set(id, { name: event.toolCallName, args: "" });
          this.line(`${type} ${event.toolCallName}`);
        }
        this.toolArgs(id, str(event.delta));
        return;
      }
      case "TOOL_CALL_END": {
        const id = str(event.toolCallId);
        const call = this.toolCalls.get(id);
        this.toolCalls.delete(id);
        const args = call?.args ? ` ${truncate(call.args, DETAIL_CHARS)}` : "";
        this.line(`${type} ${call?.name ?? id}${args}`);
        return;
      }
      case "TOOL_CALL_RESULT":
        this.line(`${type} ${str(event.toolCallId)} ${truncate(str(event.content), DETAIL_CHARS)}`);
        return;
      case "RUN_ERROR": {
        const code = typeof event.code === "string" ? ` (${event.code})` : "";
        this.endLine();
        this.write(`${this.style.red(`✗ ${type} ${str(event.message)}${code}`)}\n`);
        return;
      }
      default: {
        const shown = type.startsWith("RUN_") ? withoutRunIds(event) : event;
        const detail = eventDetail(shown, DETAIL_CHARS);
        this.line(detail ? `${type} ${detail}` : type);
      }
    }
  }

  /** Ends a line of text left open (call once the stream is over). */
  finish(): void {
    this.endLine();
  }

  private text(messageId: string, delta: string, dim: boolean): void {
    if (delta === "") return;
    if (this.speaking !== messageId) {
      this.endLine();
      this.speaking = messageId;
      const role = this.texts.get(messageId)?.role ?? (dim ? "reasoning" : "assistant");
      if (role !== "assistant") this.write(this.style.dim(`${role}: `));
    }
    const shown = dim || this.texts.get(messageId)?.dim ? this.style.dim(delta) : delta;
    this.write(shown);
    this.atLineStart = delta.endsWith("\n");
  }

  private toolArgs(toolCallId: string, delta: string): void {
    const call = this.toolCalls.get(toolCallId);
    if (call) call.args += delta;
  }

  /** One dim event line, on a line of its own. */
  private line(text: string): void {
    this.endLine();
    this.write(`${this.style.dim(`· ${text.trimEnd()}`)}\n`);
  }

  private endLine(): void {
    if (!this.atLineStart) this.write("\n");
    this.atLineStart = true;
    this.speaking = undefined;
  }
}

/** A RUN_* event without `threadId` and `runId`: the user named the run already. */
function withoutRunIds({ threadId: _threadId, runId: _runId, ...rest }: AguiEvent): AguiEvent {
  return rest;
}

const str = (value: unknown): string => (typeof value === "string" ? value : "");
