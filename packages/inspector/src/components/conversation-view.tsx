/**
 * The conversation as people read it: messages (assistant text assembled from its deltas as
 * they stream in), collapsible reasoning, tool calls with arguments and results, and step/end
 * markers. The panel keeps to the bottom while new text arrives, unless the reader scrolled up.
 * Very long conversations show their latest items first, with earlier ones a click away.
 */
import type { AgentRunRecord } from "@runline/client";
import { useLayoutEffect, useRef, useState } from "react";
import type { ConversationItem } from "../lib/run-model.ts";
import { MessageView, ReasoningView } from "./message-view.tsx";

const SHOWN_AT_FIRST = 300;

export function ConversationView(props: {
  items: readonly ConversationItem[];
  waitingToolCallId: string | null;
  childrenByToolCall: ReadonlyMap<string, readonly AgentRunRecord[]>;
}) {
  const { items } = props;
  const [shown, setShown] = useState(SHOWN_AT_FIRST);
  const scroller = useRef<HTMLElement>(null);
  const atBottom = useRef(true);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  });

  if (items.length === 0) return <p className="empty">No messages yet.</p>;
  const hidden = Math.max(0, items.length - shown);
  return (
    <section
      ref={scroller}
      className="conversation"
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 24;
      }}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
      tabIndex={0}
      aria-label="Conversation messages"
    >
      {hidden > 0 && (
        <button type="button" className="show-earlier" onClick={() => setShown(shown + 500)}>
          Show {Math.min(hidden, 500)} earlier of {hidden}
        </button>
      )}
      {items.slice(hidden).map((item) => {
        switch (item.kind) {
          case "message":
            return (
              <MessageView
                key={item.key}
                message={item}
                waitingToolCallId={props.waitingToolCallId}
                childrenByToolCall={props.childrenByToolCall}
              />
            );
          case "reasoning":
            return <ReasoningView key={item.key} item={item} />;
          case "tool-result":
            return (
              <article key={item.key} className="msg msg-tool" aria-label="Tool result">
                <div className="msg-role">
                  Tool result for <span className="mono">{item.toolCallId}</span>
                </div>
                <pre className="code">{item.content}</pre>
              </article>
            );
          case "marker":
            return (
              <p key={item.key} className={`marker marker-${item.tone}`}>
                {item.label}
              </p>
            );
          default:
            return null;
        }
      })}
    </section>
  );
}
