/**
 * Snapshot stage 2: messages and state, as the client's `defaultApplyEvents` builds them
 * (without subscribers).
 */
import jsonpatch, { type Operation } from "fast-json-patch";
import type { AguiEvent } from "../types.ts";
import {
  absorbMetadata,
  findToolCall,
  isRecord,
  type MessageRecord,
  metadataOf,
  optional,
  type ToolCallRecord,
  text,
} from "./events.ts";

export class MessageReducer {
  messages: MessageRecord[] = [];
  state: unknown = {};

  /** What each event type does to the messages or state; other types change neither. */
  private readonly handlers: Readonly<Record<string, (event: AguiEvent) => void>> = {
    RUN_STARTED: (event) => this.runStarted(event),
    TEXT_MESSAGE_START: (event) =>
      this.messageStarted(event, event.role ?? "assistant", text(event, "name")),
    REASONING_MESSAGE_START: (event) => this.messageStarted(event, "reasoning", undefined),
    TEXT_MESSAGE_CONTENT: (event) => this.messageContent(event),
    REASONING_MESSAGE_CONTENT: (event) => this.messageContent(event),
    TEXT_MESSAGE_END: (event) => absorbMetadata(this.streamTarget(event), event),
    REASONING_MESSAGE_END: (event) => absorbMetadata(this.streamTarget(event), event),
    TOOL_CALL_START: (event) => this.toolCallStarted(event),
    TOOL_CALL_ARGS: (event) => this.toolCallArgs(event),
    TOOL_CALL_END: (event) =>
      absorbMetadata(findToolCall(this.messages, text(event, "toolCallId") ?? ""), event),
    TOOL_CALL_RESULT: (event) => this.toolCallResult(event),
    STATE_SNAPSHOT: (event) => {
      this.state = structuredClone(event.snapshot);
    },
    STATE_DELTA: (event) => this.stateDelta(event),
    MESSAGES_SNAPSHOT: (event) => this.messagesSnapshot(event),
    ACTIVITY_SNAPSHOT: (event) => this.activitySnapshot(event),
    ACTIVITY_DELTA: (event) => this.activityDelta(event),
    REASONING_ENCRYPTED_VALUE: (event) => this.encryptedValue(event),
  };

  apply(event: AguiEvent): void {
    this.handlers[event.type]?.(event);
  }

  private find(id: string | undefined): MessageRecord | undefined {
    return this.messages.find((message) => message.id === id);
  }

  private runStarted(event: AguiEvent): void {
    const input = event.input;
    if (!isRecord(input) || !Array.isArray(input.messages)) return;
    for (const raw of input.messages as MessageRecord[]) {
      const message = withoutNullOwner(structuredClone(raw));
      if (this.find(message.id) === undefined) this.messages.push(message);
    }
  }

  private messageStarted(event: AguiEvent, role: unknown, name: string | undefined): void {
    const id = text(event, "messageId") ?? "";
    let target = this.find(id);
    if (target?.role === "activity") return;
    if (target === undefined) {
      target = {
        id,
        role: String(role),
        content: "",
        ...optional("name", name),
        ...optional("subagentRunId", event.subagentRunId),
      };
      this.messages.push(target);
    }
    absorbMetadata(target, event);
  }

  /** The message a text/reasoning content or end event applies to, if the client has one. */
  private streamTarget(event: AguiEvent): MessageRecord | undefined {
    const target = this.find(text(event, "messageId"));
    return target?.role === "activity" ? undefined : target;
  }

  private messageContent(event: AguiEvent): void {
    const target = this.streamTarget(event);
    if (target === undefined) return;
    const existing = typeof target.content === "string" ? target.content : "";
    target.content = `${existing}${text(event, "delta") ?? ""}`;
    absorbMetadata(target, event);
  }

  private toolCallStarted(event: AguiEvent): void {
    const id = text(event, "toolCallId") ?? "";
    const name = text(event, "toolCallName") ?? "";
    const existing = findToolCall(this.messages, id);
    if (existing) {
      existing.function.name = name;
      absorbMetadata(existing, event);
      return;
    }
    const before = new Set(this.messages.map((message) => message.id));
    const holder = this.resolveHolder(text(event, "parentMessageId"), id);
    const owner = text(event, "subagentRunId");
    if (!before.has(holder.id) && owner !== undefined && holder.subagentRunId === undefined) {
      holder.subagentRunId = owner;
    }
    holder.toolCalls ??= [];
    const call: ToolCallRecord = { id, type: "function", function: { name, arguments: "" } };
    holder.toolCalls.push(call);
    absorbMetadata(call, event);
  }

  /** The client's `resolveOrCreateAssistantMessage`. */
  private resolveHolder(parentId: string | undefined, toolCallId: string): MessageRecord {
    const existing = parentId === undefined ? undefined : this.find(parentId);
    if (existing?.role === "assistant") return existing;
    const created: MessageRecord = {
      id: existing !== undefined || parentId === undefined ? toolCallId : parentId,
      role: "assistant",
      toolCalls: [],
    };
    this.messages.push(created);
    return created;
  }

  private toolCallArgs(event: AguiEvent): void {
    const call = findToolCall(this.messages, text(event, "toolCallId") ?? "");
    if (call === undefined) return;
    call.function.arguments += text(event, "delta") ?? "";
    absorbMetadata(call, event);
  }

  private toolCallResult(event: AguiEvent): void {
    const toolCallId = text(event, "toolCallId") ?? "";
    const message: MessageRecord = {
      id: text(event, "messageId") ?? "",
      toolCallId,
      role: text(event, "role") || "tool",
      content: structuredClone(event.content),
      ...optional("subagentRunId", event.subagentRunId),
    };
    absorbMetadata(message, event);
    const owner = this.messages.findIndex(
      (m) => m.role === "assistant" && m.toolCalls?.some((call) => call.id === toolCallId),
    );
    if (owner === -1) {
      this.messages.push(message);
      return;
    }
    let at = owner + 1;
    while (this.messages[at]?.role === "tool") at++;
    this.messages.splice(at, 0, message);
  }

  private stateDelta(event: AguiEvent): void {
    try {
      const patch = event.delta as Operation[];
      this.state = jsonpatch.applyPatch(this.state, patch, true, false).newDocument;
    } catch {
      // The client skips a patch that does not apply (it only warns); so do we.
    }
  }

  /** Replace semantics, keeping the client-only activity/reasoning messages the client keeps. */
  private messagesSnapshot(event: AguiEvent): void {
    const raw = Array.isArray(event.messages) ? (event.messages as MessageRecord[]) : [];
    const incoming = raw.map((message) => withoutNullOwner(structuredClone(message)));
    const byId = new Map(incoming.map((message) => [message.id, message]));
    const keepsLocal = localKeeper(event, incoming);
    const kept = this.messages
      .filter((message) => byId.has(message.id) || keepsLocal(message))
      .map((message) => byId.get(message.id) ?? message);
    const keptIds = new Set(kept.map((message) => message.id));
    for (const message of incoming) if (!keptIds.has(message.id)) kept.push(message);
    this.messages = kept;
  }

  private activitySnapshot(event: AguiEvent): void {
    const index = this.messages.findIndex((message) => message.id === event.messageId);
    const existing = this.messages[index];
    const fresh: MessageRecord = {
      id: text(event, "messageId") ?? "",
      role: "activity",
      activityType: event.activityType,
      content: structuredClone(event.content),
      ...optional("subagentRunId", event.subagentRunId),
    };
    const replace = event.replace !== false;
    let target: MessageRecord | undefined = fresh;
    if (existing === undefined) {
      this.messages.push(fresh);
    } else if (existing.role === "activity") {
      // A replacing snapshot keeps the metadata gathered so far but brings its own owner.
      const { subagentRunId: _previousOwner, ...rest } = existing;
      if (replace) this.messages[index] = { ...rest, ...fresh };
      target = this.messages[index];
    } else if (replace) {
      this.messages[index] = fresh;
    } else {
      target = undefined;
    }
    absorbMetadata(target, event);
  }

  private activityDelta(event: AguiEvent): void {
    const index = this.messages.findIndex((message) => message.id === event.messageId);
    const existing = this.messages[index];
    if (existing?.role !== "activity") return;
    absorbMetadata(existing, event);
    try {
      const patch = (event.patch ?? []) as Operation[];
      const content = jsonpatch.applyPatch(
        structuredClone(existing.content ?? {}),
        patch,
        true,
        false,
      );
      this.messages[index] = {
        ...existing,
        content: content.newDocument,
        activityType: event.activityType,
      };
    } catch {
      // As the client: a patch that does not apply leaves the content alone.
    }
  }

  private encryptedValue(event: AguiEvent): void {
    const entityId = text(event, "entityId");
    const value = event.encryptedValue;
    if (event.subtype === "tool-call") {
      for (const message of this.messages) {
        if (message.role !== "assistant") continue;
        const call = message.toolCalls?.find((candidate) => candidate.id === entityId);
        if (call) {
          call.encryptedValue = value;
          return;
        }
      }
      return;
    }
    const message = this.find(entityId);
    if (message !== undefined && message.role !== "activity") message.encryptedValue = value;
  }
}

/** A null `subagentRunId` reads as absent (the client drops it the same way). */
export function withoutNullOwner(message: MessageRecord): MessageRecord {
  if (message.subagentRunId !== null) return message;
  const { subagentRunId: _null, ...rest } = message;
  return rest as MessageRecord;
}

/** Which local messages a MESSAGES_SNAPSHOT leaves in place (the client's `isPreservedClientOnly`). */
function localKeeper(
  event: AguiEvent,
  incoming: readonly MessageRecord[],
): (message: MessageRecord) => boolean {
  const owned = authoritativeActivityTypes(event);
  const hasActivity = incoming.some((message) => message.role === "activity");
  const hasReasoning = incoming.some((message) => message.role === "reasoning");
  return (message) =>
    (message.role === "activity" &&
      (owned ? !owned.includes(String(message.activityType)) : owned !== null && !hasActivity)) ||
    (message.role === "reasoning" && !hasReasoning);
}

/** The client's `authoritativeActivityTypes` (from `metadata["@ag-ui/client"]`). */
function authoritativeActivityTypes(event: AguiEvent): string[] | null | undefined {
  const metadata = metadataOf(event);
  if (metadata === undefined || !Object.hasOwn(metadata, "@ag-ui/client")) return undefined;
  const value = metadata["@ag-ui/client"];
  if (!isRecord(value)) return [];
  if (!Object.hasOwn(value, "authoritativeActivityTypes")) return undefined;
  const types = value.authoritativeActivityTypes;
  if (types === null) return null;
  const valid = Array.isArray(types) && types.every((type) => typeof type === "string");
  return valid ? (types as string[]) : [];
}
