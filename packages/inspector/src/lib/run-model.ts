/**
 * Folds a run's AG-UI events into what a person reads: the conversation (messages assembled
 * from their deltas, reasoning, tool calls with arguments and results, step and end markers)
 * and the run's state (snapshots and JSON-patch deltas, with the latest change remembered).
 *
 * It accepts a snapshot's events (`RUN_STARTED`, `MESSAGES_SNAPSHOT`, `STATE_SNAPSHOT`, the
 * re-emitted starts and coalesced deltas of what is still open) followed by the live stream,
 * or a whole log from the start: both end in the same picture. Start events for an id already
 * present are idempotent, as in AG-UI clients, which is what makes the snapshot hand-over work.
 *
 * Items are replaced, never mutated, when they change, so memoised views re-render only what
 * changed. Pure TypeScript: no DOM, testable under Node.
 */
import { applyPatch, type Json, PatchError, type PatchOperation } from "./json-patch.ts";

export type AguiEvent = { type: string } & Record<string, unknown>;

export interface ToolCallView {
  id: string;
  name: string;
  /** The arguments as streamed (normally JSON text). */
  args: string;
  /** Arguments still streaming. */
  open: boolean;
  result?: { content: string; messageId?: string; error?: string };
}

export type ConversationItem =
  | {
      kind: "message";
      key: string;
      id: string;
      role: string;
      content: string;
      open: boolean;
      toolCalls: readonly ToolCallView[];
    }
  | { kind: "reasoning"; key: string; id: string; content: string; open: boolean }
  | { kind: "tool-result"; key: string; id: string; toolCallId: string; content: string }
  | { kind: "marker"; key: string; label: string; tone: "info" | "done" | "error" };

export type MessageItem = Extract<ConversationItem, { kind: "message" }>;

/** The most recent change of the state, for highlighting. */
export interface StateChange {
  eventId: number | null;
  kind: "snapshot" | "delta";
  operations: readonly PatchOperation[];
  /** Set when the patch did not apply (it was skipped whole). */
  error?: string;
}

export interface ModelView {
  version: number;
  items: readonly ConversationItem[];
  state: Json;
  latestChange: StateChange | undefined;
  terminal: { type: string; message?: string; code?: string } | undefined;
}

type ChunkKind = "text" | "tool" | "reasoning";

const CHUNK_TYPES: Readonly<Record<string, ChunkKind>> = {
  TEXT_MESSAGE_CHUNK: "text",
  TOOL_CALL_CHUNK: "tool",
  REASONING_MESSAGE_CHUNK: "reasoning",
};

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** A message's content as text: strings as they are, multimodal parts summarised. */
export function contentText(content: unknown): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (typeof part !== "object" || part === null) return String(part);
        const p = part as Record<string, unknown>;
        if (p.type === "text" && typeof p.text === "string") return p.text;
        return `[${String(p.type ?? "part")}]`;
      })
      .join("\n");
  }
  return JSON.stringify(content);
}

export class RunModel {
  private order: string[] = [];
  private readonly items = new Map<string, ConversationItem>();
  /** Tool call id → key of the message that holds it. */
  private readonly toolOwner = new Map<string, string>();
  private state: Json = {};
  private latestChange: StateChange | undefined;
  private terminal: ModelView["terminal"];
  private lane: { kind: ChunkKind; id: string } | undefined;
  private thinking: string | undefined;
  private counter = 0;
  private version = 0;
  private cached: ModelView | undefined;

  /** Folds one event in. `eventId` is its log id (null for a snapshot's synthesised events). */
  apply(event: AguiEvent, eventId: number | null = null): void {
    const chunkKind = CHUNK_TYPES[event.type];
    if (chunkKind === undefined && this.lane) {
      this.closeLane();
      this.version += 1;
    }
    if (this.fold(event, eventId, chunkKind)) this.version += 1;
  }

  /** Whether the event changed what the view shows. */
  private fold(
    event: AguiEvent,
    eventId: number | null,
    chunkKind: ChunkKind | undefined,
  ): boolean {
    const type = event.type;
    switch (type) {
      case "RUN_STARTED":
        this.addInputMessages(event.input);
        return true;
      case "MESSAGES_SNAPSHOT":
        this.replaceMessages(event.messages);
        return true;
      case "TEXT_MESSAGE_START":
        this.startMessage(str(event.messageId), str(event.role) ?? "assistant");
        return true;
      case "TEXT_MESSAGE_CONTENT":
        this.appendContent(`m:${str(event.messageId)}`, str(event.delta) ?? "");
        return true;
      case "TEXT_MESSAGE_END":
      case "REASONING_MESSAGE_END":
        this.close(`m:${str(event.messageId)}`);
        return true;
      case "REASONING_MESSAGE_START":
        this.startReasoning(`m:${str(event.messageId)}`, str(event.messageId) ?? "");
        return true;
      case "REASONING_MESSAGE_CONTENT":
        this.appendContent(`m:${str(event.messageId)}`, str(event.delta) ?? "");
        return true;
      case "THINKING_TEXT_MESSAGE_START": {
        this.counter += 1;
        this.thinking = `th:${this.counter}`;
        this.startReasoning(this.thinking, this.thinking);
        return true;
      }
      case "THINKING_TEXT_MESSAGE_CONTENT":
        if (this.thinking) this.appendContent(this.thinking, str(event.delta) ?? "");
        return true;
      case "THINKING_TEXT_MESSAGE_END":
        if (this.thinking) this.close(this.thinking);
        this.thinking = undefined;
        return true;
      case "TOOL_CALL_START":
        this.startToolCall(
          str(event.toolCallId) ?? "",
          str(event.toolCallName) ?? "",
          str(event.parentMessageId),
        );
        return true;
      case "TOOL_CALL_ARGS":
        this.editToolCall(str(event.toolCallId) ?? "", (call) => ({
          ...call,
          args: call.args + (str(event.delta) ?? ""),
        }));
        return true;
      case "TOOL_CALL_END":
        this.editToolCall(str(event.toolCallId) ?? "", (call) => ({ ...call, open: false }));
        return true;
      case "TOOL_CALL_RESULT":
        this.addToolResult(
          str(event.toolCallId) ?? "",
          str(event.messageId) ?? "",
          contentText(event.content),
          undefined,
        );
        return true;
      case "TEXT_MESSAGE_CHUNK":
      case "TOOL_CALL_CHUNK":
      case "REASONING_MESSAGE_CHUNK":
        this.chunk(chunkKind as ChunkKind, event);
        return true;
      case "STATE_SNAPSHOT":
        this.state = (event.snapshot ?? {}) as Json;
        // A snapshot's synthesised STATE_SNAPSHOT (no id) is the folded state, not a change.
        this.latestChange =
          eventId === null ? undefined : { eventId, kind: "snapshot", operations: [] };
        return true;
      case "STATE_DELTA":
        this.applyDelta(event.delta, eventId);
        return true;
      case "STEP_STARTED":
        this.marker(`Step started: ${str(event.stepName) ?? "unnamed"}`, "info");
        return true;
      case "RUN_FINISHED":
        this.closeAll();
        this.terminal = { type };
        this.marker("Run finished", "done");
        return true;
      case "RUN_ERROR": {
        this.closeAll();
        const message = str(event.message);
        const code = str(event.code);
        this.terminal = { type, ...(message && { message }), ...(code && { code }) };
        this.marker(
          `Run ended with an error: ${message ?? "no message"}${code ? ` (${code})` : ""}`,
          "error",
        );
        return true;
      }
      default:
        return false; // nothing this view shows (it is in the event log)
    }
  }

  /** The picture so far (the same object until something changes). */
  view(): ModelView {
    if (this.cached?.version !== this.version) {
      this.cached = {
        version: this.version,
        items: this.order.map((key) => this.items.get(key)!),
        state: this.state,
        latestChange: this.latestChange,
        terminal: this.terminal,
      };
    }
    return this.cached;
  }

  // ── messages ────────────────────────────────────────────────────────────────────────────

  private put(item: ConversationItem): void {
    if (!this.items.has(item.key)) this.order.push(item.key);
    this.items.set(item.key, item);
  }

  private addInputMessages(input: unknown): void {
    if (typeof input !== "object" || input === null) return;
    const messages = (input as { messages?: unknown }).messages;
    if (!Array.isArray(messages)) return;
    for (const message of messages) {
      const id = str((message as { id?: unknown }).id);
      if (id && !this.items.has(`m:${id}`)) this.addMessageRecord(message);
    }
  }

  private replaceMessages(messages: unknown): void {
    this.order = [];
    this.items.clear();
    this.toolOwner.clear();
    if (!Array.isArray(messages)) return;
    for (const message of messages) this.addMessageRecord(message);
  }

  /** One message of a MESSAGES_SNAPSHOT or RUN_STARTED input, as AG-UI shapes it. */
  private addMessageRecord(record: unknown): void {
    if (typeof record !== "object" || record === null) return;
    const m = record as Record<string, unknown>;
    const id = str(m.id) ?? `anon-${++this.counter}`;
    const role = str(m.role) ?? "assistant";
    const key = `m:${id}`;
    if (role === "reasoning") {
      this.put({ kind: "reasoning", key, id, content: contentText(m.content), open: false });
      return;
    }
    if (role === "tool") {
      this.addToolResult(str(m.toolCallId) ?? "", id, contentText(m.content), str(m.error));
      return;
    }
    const toolCalls: ToolCallView[] = [];
    if (Array.isArray(m.toolCalls)) {
      for (const call of m.toolCalls) {
        const c = call as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
        const callId = str(c.id);
        if (!callId) continue;
        toolCalls.push({
          id: callId,
          name: str(c.function?.name) ?? "",
          args: str(c.function?.arguments) ?? "",
          open: false,
        });
        this.toolOwner.set(callId, key);
      }
    }
    this.put({
      kind: "message",
      key,
      id,
      role,
      content: contentText(m.content),
      open: false,
      toolCalls,
    });
  }

  private startMessage(id: string | undefined, role: string): void {
    if (!id) return;
    const key = `m:${id}`;
    const existing = this.items.get(key);
    if (existing?.kind === "message") {
      this.items.set(key, { ...existing, open: true }); // idempotent re-start (snapshot hand-over)
      return;
    }
    this.put({ kind: "message", key, id, role, content: "", open: true, toolCalls: [] });
  }

  private startReasoning(key: string, id: string): void {
    const existing = this.items.get(key);
    if (existing?.kind === "reasoning") {
      this.items.set(key, { ...existing, open: true });
      return;
    }
    this.put({ kind: "reasoning", key, id, content: "", open: true });
  }

  private appendContent(key: string, delta: string): void {
    const item = this.items.get(key);
    if (item?.kind === "message" || item?.kind === "reasoning") {
      this.items.set(key, { ...item, content: item.content + delta });
    }
  }

  private close(key: string): void {
    const item = this.items.get(key);
    if ((item?.kind === "message" || item?.kind === "reasoning") && item.open) {
      this.items.set(key, { ...item, open: false });
    }
  }

  private closeAll(): void {
    for (const [key, item] of this.items) {
      if (item.kind === "message") {
        const calls = item.toolCalls.some((c) => c.open)
          ? item.toolCalls.map((c) => (c.open ? { ...c, open: false } : c))
          : item.toolCalls;
        if (item.open || calls !== item.toolCalls) {
          this.items.set(key, { ...item, open: false, toolCalls: calls });
        }
      } else if (item.kind === "reasoning" && item.open) {
        this.items.set(key, { ...item, open: false });
      }
    }
  }

  private marker(label: string, tone: "info" | "done" | "error"): void {
    this.counter += 1;
    this.put({ kind: "marker", key: `x:${this.counter}`, label, tone });
  }

  // ── tool calls ──────────────────────────────────────────────────────────────────────────

  private startToolCall(id: string, name: string, parentMessageId: string | undefined): void {
    if (!id) return;
    if (this.toolOwner.has(id)) {
      this.editToolCall(id, (call) => ({ ...call, open: true }));
      return;
    }
    const call: ToolCallView = { id, name, args: "", open: true };
    const parentKey = parentMessageId ? `m:${parentMessageId}` : undefined;
    const parent = parentKey ? this.items.get(parentKey) : undefined;
    if (parent?.kind === "message") {
      this.items.set(parent.key, { ...parent, toolCalls: [...parent.toolCalls, call] });
      this.toolOwner.set(id, parent.key);
      return;
    }
    // AG-UI: a tool call without a known parent gets an assistant message of its own.
    const messageId = parentMessageId ?? id;
    const key = this.items.has(`m:${messageId}`) ? `t:${id}` : `m:${messageId}`;
    this.put({
      kind: "message",
      key,
      id: messageId,
      role: "assistant",
      content: "",
      open: false,
      toolCalls: [call],
    });
    this.toolOwner.set(id, key);
  }

  private editToolCall(id: string, change: (call: ToolCallView) => ToolCallView): boolean {
    const ownerKey = this.toolOwner.get(id);
    const owner = ownerKey ? this.items.get(ownerKey) : undefined;
    if (owner?.kind !== "message") return false;
    this.items.set(owner.key, {
      ...owner,
      toolCalls: owner.toolCalls.map((call) => (call.id === id ? change(call) : call)),
    });
    return true;
  }

  private addToolResult(
    toolCallId: string,
    messageId: string,
    content: string,
    error: string | undefined,
  ): void {
    const result = { content, messageId, ...(error && { error }) };
    const attached = this.editToolCall(toolCallId, (call) => ({ ...call, open: false, result }));
    if (!attached) {
      const key = `m:${messageId || `result-${toolCallId}`}`;
      this.put({ kind: "tool-result", key, id: messageId, toolCallId, content });
    }
  }

  // ── chunks: a lane stays open until another kind of event arrives ──────────────────────────

  private chunk(kind: ChunkKind, event: AguiEvent): void {
    const delta = str(event.delta) ?? "";
    const id = str(kind === "tool" ? event.toolCallId : event.messageId);
    if (this.lane && this.lane.kind !== kind) this.closeLane();
    if (id && id !== this.lane?.id) {
      this.closeLane();
      if (kind === "text") this.startMessage(id, str(event.role) ?? "assistant");
      else if (kind === "reasoning") this.startReasoning(`m:${id}`, id);
      else this.startToolCall(id, str(event.toolCallName) ?? "", str(event.parentMessageId));
      this.lane = { kind, id };
    }
    if (!this.lane) return; // a continuation with nothing open: AG-UI rejects it too
    if (kind === "tool") {
      const laneId = this.lane.id;
      this.editToolCall(laneId, (call) => ({ ...call, args: call.args + delta }));
    } else {
      this.appendContent(`m:${this.lane.id}`, delta);
    }
  }

  private closeLane(): void {
    if (!this.lane) return;
    const { kind, id } = this.lane;
    this.lane = undefined;
    if (kind === "tool") this.editToolCall(id, (call) => ({ ...call, open: false }));
    else this.close(`m:${id}`);
  }

  // ── state ───────────────────────────────────────────────────────────────────────────────

  private applyDelta(delta: unknown, eventId: number | null): void {
    const operations = Array.isArray(delta) ? (delta as PatchOperation[]) : [];
    try {
      this.state = applyPatch(this.state, operations);
      this.latestChange = { eventId, kind: "delta", operations };
    } catch (error) {
      const reason = error instanceof PatchError ? error.message : String(error);
      this.latestChange = { eventId, kind: "delta", operations, error: reason };
    }
  }
}
