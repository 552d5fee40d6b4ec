/** The runs of one page as a table: id (link), status, agent, conversation, parent, times. */
import type { RunSummary } from "@runline/client";
import { formatDuration, formatTime } from "../lib/format.ts";
import { Link, runByIdHref, runHref } from "../lib/router.tsx";
import { StatusBadge } from "./status-badge.tsx";

export function RunsTable(props: {
  runs: readonly RunSummary[];
  agentOf: (runId: string) => string | undefined;
  onFilterConversation: (conversationId: string) => void;
}) {
  if (props.runs.length === 0) return <p className="empty">No runs match these filters.</p>;
  return (
    <div className="table-wrap">
      <table className="runs">
        <caption className="visually-hidden">Runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Status</th>
            <th scope="col">Agent</th>
            <th scope="col">Conversation</th>
            <th scope="col">Parent</th>
            <th scope="col">Created</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((run) => (
            <tr key={run.run_id} data-run-id={run.run_id}>
              <th scope="row">
                <Link href={runHref(run.owner.id, run.run_id)} className="mono">
                  {run.run_id}
                </Link>
              </th>
              <td>
                <StatusBadge status={run.status} />
                {run.waiting_reason && <span className="muted"> ({run.waiting_reason})</span>}
              </td>
              <td className="mono">{props.agentOf(run.run_id) ?? "…"}</td>
              <td>
                <button
                  type="button"
                  className="link-button mono"
                  title="Show only this conversation's runs"
                  onClick={() => props.onFilterConversation(run.owner.id)}
                >
                  {run.owner.id.slice(0, 8)}…
                  <span className="visually-hidden">
                    {" "}
                    show only runs of conversation {run.owner.id}
                  </span>
                </button>
              </td>
              <td>
                {run.parent_run_id ? (
                  <Link href={runByIdHref(run.parent_run_id)} className="mono">
                    {run.parent_run_id}
                  </Link>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td>
                <time dateTime={run.created_at} title={run.created_at}>
                  {formatTime(run.created_at)}
                </time>
              </td>
              <td>{run.started_at ? formatDuration(run.started_at, run.completed_at) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
