/**
 * The runs list's filters: status (applies at once), agent id and conversation id (apply on
 * submit; a conversation id must be a UUID), and the page size. Clearing resets all.
 */
import type { RunSummary } from "@runline/client";
import { type FormEvent, useEffect, useId, useState } from "react";

export interface RunFilters {
  status: string;
  agent_id: string;
  conversation_id: string;
  limit: string;
}

/** The summary's statuses, in menu order: a record over the contract's type (drift won't compile). */
const STATUS_MENU: Readonly<Record<RunSummary["status"], true>> = {
  pending: true,
  running: true,
  waiting: true,
  completed: true,
  failed: true,
  cancelled: true,
};
const STATUSES = Object.keys(STATUS_MENU);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AGENT = /^[A-Za-z0-9_-]{1,128}$/;

export function RunsFilters(props: { value: RunFilters; onChange: (next: RunFilters) => void }) {
  const { value, onChange } = props;
  const [agent, setAgent] = useState(value.agent_id);
  const [conversation, setConversation] = useState(value.conversation_id);
  const [problem, setProblem] = useState<{ field: "agent" | "conversation"; text: string }>();
  const ids = { status: useId(), agent: useId(), conversation: useId(), limit: useId() };
  const errorId = useId();

  useEffect(() => {
    setAgent(value.agent_id);
    setConversation(value.conversation_id);
  }, [value.agent_id, value.conversation_id]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const agentId = agent.trim();
    const conversationId = conversation.trim();
    if (agentId && !AGENT.test(agentId)) {
      setProblem({ field: "agent", text: "An agent id is 1–128 letters, digits, _ or -." });
      return;
    }
    if (conversationId && !UUID.test(conversationId)) {
      setProblem({ field: "conversation", text: "A conversation id is a UUID." });
      return;
    }
    setProblem(undefined);
    onChange({ ...value, agent_id: agentId, conversation_id: conversationId });
  };

  const invalid = (field: "agent" | "conversation") =>
    problem?.field === field ? { "aria-invalid": true, "aria-describedby": errorId } : {};

  return (
    <form className="filters" onSubmit={submit} aria-label="Filter runs">
      <div className="field">
        <label htmlFor={ids.status}>Status</label>
        <select
          id={ids.status}
          value={value.status}
          onChange={(e) => onChange({ ...value, status: e.target.value })}
        >
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.agent}>Agent</label>
        <input
          id={ids.agent}
          value={agent}
          onChange={(e) => setAgent(e.target.value)}
          placeholder="agent id"
          spellCheck={false}
          {...invalid("agent")}
        />
      </div>
      <div className="field wide">
        <label htmlFor={ids.conversation}>Conversation</label>
        <input
          id={ids.conversation}
          value={conversation}
          onChange={(e) => setConversation(e.target.value)}
          placeholder="conversation UUID"
          spellCheck={false}
          {...invalid("conversation")}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.limit}>Per page</label>
        <select
          id={ids.limit}
          value={value.limit || "20"}
          onChange={(e) =>
            onChange({ ...value, limit: e.target.value === "20" ? "" : e.target.value })
          }
        >
          {["10", "20", "50", "100"].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <div className="field-actions">
        <button type="submit" className="primary">
          Apply
        </button>
        <button
          type="button"
          onClick={() => {
            setProblem(undefined);
            onChange({ status: "", agent_id: "", conversation_id: "", limit: value.limit });
          }}
        >
          Clear
        </button>
      </div>
      {problem && (
        <p id={errorId} className="error" role="alert">
          {problem.text}
        </p>
      )}
    </form>
  );
}
