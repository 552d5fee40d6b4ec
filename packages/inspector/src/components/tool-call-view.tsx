/**
 * A tool call inside a message: its name and id, arguments (pretty JSON once complete), its
 * result, whether the run waits on it, and the child runs it spawned.
 */
import type { AgentRunRecord } from "@runline/client";
import { prettyJson } from "../lib/format.ts";
import { Link, runHref } from "../lib/router.tsx";
import type { ToolCallView as ToolCall } from "../lib/run-model.ts";
import { StatusBadge } from "./status-badge.tsx";

export function ToolCallView(props: {
  call: ToolCall;
  waiting: boolean;
  spawned: readonly AgentRunRecord[];
}) {
  const { call, waiting, spawned } = props;
  const state = call.open
    ? "streaming arguments…"
    : call.result
      ? call.result.error
        ? "error"
        : "done"
      : waiting
        ? "the run waits for its result"
        : "no result yet";
  return (
    <section
      className={`tool-call${waiting ? " tool-waiting" : ""}`}
      aria-label={`Tool call ${call.name}`}
      data-tool-call-id={call.id}
    >
      <div className="tool-head">
        <span className="tool-name mono">{call.name || "(unnamed tool)"}</span>
        <span className="muted mono">{call.id}</span>
        <span className="tool-state">{state}</span>
      </div>
      <div className="tool-part">
        <div className="tool-label">Arguments</div>
        <pre className="code">
          {call.args ? (call.open ? call.args : prettyJson(call.args)) : "—"}
        </pre>
      </div>
      {call.result && (
        <div className="tool-part">
          <div className="tool-label">
            Result{call.result.error ? ` (error: ${call.result.error})` : ""}
          </div>
          <pre className="code">{prettyJson(call.result.content)}</pre>
        </div>
      )}
      {spawned.length > 0 && (
        <div className="tool-part">
          <div className="tool-label">Spawned runs</div>
          <ul className="plain">
            {spawned.map((child) => (
              <li key={child.run_id}>
                <Link href={runHref(child.conversation_id, child.run_id)} className="mono">
                  {child.run_id}
                </Link>{" "}
                <StatusBadge status={child.status} />
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
