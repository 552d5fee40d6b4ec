/**
 * One message of the conversation (role, text, its tool calls) and one reasoning block
 * (collapsed by default). Memoised: an item re-renders only when it changed.
 */
import type { AgentRunRecord } from "@runline/client";
import { memo } from "react";
import type { ConversationItem, MessageItem } from "../lib/run-model.ts";
import { ToolCallView } from "./tool-call-view.tsx";

const ROLE_LABELS: Readonly<Record<string, string>> = {
  user: "User",
  assistant: "Assistant",
  system: "System",
  developer: "Developer",
};

export const MessageView = memo(function MessageView(props: {
  message: MessageItem;
  waitingToolCallId: string | null;
  childrenByToolCall: ReadonlyMap<string, readonly AgentRunRecord[]>;
}) {
  const { message } = props;
  const role = ROLE_LABELS[message.role] ?? message.role;
  return (
    <article
      className={`msg msg-${message.role}`}
      aria-label={`${role} message`}
      data-message-id={message.id}
      aria-busy={message.open || undefined}
    >
      <div className="msg-role">
        {role}
        {message.open && <span className="streaming"> · streaming…</span>}
      </div>
      {(message.content || message.toolCalls.length === 0) && (
        <div className="msg-text">{message.content || <span className="muted">(empty)</span>}</div>
      )}
      {message.toolCalls.map((call) => (
        <ToolCallView
          key={call.id}
          call={call}
          waiting={call.id === props.waitingToolCallId}
          spawned={props.childrenByToolCall.get(call.id) ?? []}
        />
      ))}
    </article>
  );
});

export const ReasoningView = memo(function ReasoningView(props: {
  item: Extract<ConversationItem, { kind: "reasoning" }>;
}) {
  const { item } = props;
  const preview = item.content.replace(/\s+/g, " ").slice(0, 90);
  return (
    <details className="reasoning" data-message-id={item.id}>
      <summary>
        Reasoning{item.open ? " · thinking…" : ""}
        {preview && (
          <span className="muted">
            {" "}
            — {preview}
            {item.content.length > 90 ? "…" : ""}
          </span>
        )}
      </summary>
      <div className="msg-text">{item.content}</div>
    </details>
  );
});
