/**
 * A run's record for people: timings, cursors, identities, targets, waiting and error fields,
 * and its metadata. Every field of the record is also available as raw JSON.
 */
import type { AgentRunRecord } from "@runline/client";
import type { ReactNode } from "react";
import type { FollowState } from "../lib/follower.ts";
import { formatCount, formatDuration, formatTime } from "../lib/format.ts";
import { Link, runByIdHref, runsHref } from "../lib/router.tsx";

function Item(props: { term: string; children: ReactNode }) {
  return (
    <div className="dl-item">
      <dt>{props.term}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

const orDash = (value: string | null | undefined) =>
  value ? <span className="mono">{value}</span> : <span className="muted">—</span>;

const Time = (props: { at: string | null }) =>
  props.at ? (
    <time dateTime={props.at} title={props.at}>
      {formatTime(props.at)}
    </time>
  ) : (
    <span className="muted">—</span>
  );

function target(kind: string | null, environment: string | null, branch: string | null): string {
  return [kind, environment && `env ${environment}`, branch && `branch ${branch}`]
    .filter(Boolean)
    .join(" · ");
}

/** The few facts worth seeing at a glance, for the page header. */
export function RunSummaryLine(props: { record: AgentRunRecord; events: number }) {
  const { record: r } = props;
  return (
    <span className="summary-line">
      agent <span className="mono">{r.agent_id}</span>
      {r.status === "waiting_for_tool" ? (
        <>
          {" "}
          · waiting for{" "}
          {r.waiting_reason === "tool" || !r.waiting_reason ? "a tool result" : r.waiting_reason}
          {r.waiting_tool_name && (
            <>
              {" "}
              (<span className="mono">{r.waiting_tool_name}</span>)
            </>
          )}
          {r.started_at && <> · started {formatDuration(r.started_at)} ago</>}
        </>
      ) : (
        r.started_at && (
          <>
            {" "}
            · {r.finished_at ? "ran" : "running for"} {formatDuration(r.started_at, r.finished_at)}
          </>
        )
      )}{" "}
      · {formatCount(Math.max(r.latest_event_id, props.events))} events
      {r.parent_run_id && (
        <>
          {" "}
          · child of{" "}
          <Link href={runByIdHref(r.parent_run_id)} className="mono">
            {r.parent_run_id}
          </Link>
        </>
      )}
    </span>
  );
}

export function RunDetails(props: {
  record: AgentRunRecord;
  follow: FollowState;
  logTotal: number;
}) {
  const { record: r, follow } = props;
  const metadata = r.metadata && Object.keys(r.metadata).length > 0 ? r.metadata : null;
  return (
    <section aria-labelledby="details-heading" className="panel details">
      <h2 id="details-heading">Details</h2>
      {(r.terminal_error_code || r.terminal_error_message) && (
        <div className="run-error" role="note">
          <strong>Error</strong> <span className="mono">{r.terminal_error_code ?? ""}</span>{" "}
          {r.terminal_error_message}
        </div>
      )}
      <dl className="dl-grid">
        <Item term="Agent">{orDash(r.agent_id)}</Item>
        <Item term="Conversation">
          <Link href={runsHref({ conversation_id: r.conversation_id })} className="mono">
            {r.conversation_id}
          </Link>
        </Item>
        <Item term="Created">
          <Time at={r.created_at} />
        </Item>
        <Item term="Started">
          <Time at={r.started_at} />
        </Item>
        <Item term="Finished">
          <Time at={r.finished_at} />
        </Item>
        <Item term="Duration">
          {r.started_at ? formatDuration(r.started_at, r.finished_at) : "—"}
          {r.started_at && !r.finished_at && <span className="muted"> so far</span>}
        </Item>
        <Item term="Latest event id">
          <span data-testid="latest-event-id">
            {formatCount(Math.max(r.latest_event_id, props.logTotal))}
          </span>
        </Item>
        <Item term="External sequence">{formatCount(r.latest_external_event_sequence)}</Item>
        <Item term="Snapshot / stream">
          {follow.snapshotEventId === undefined
            ? "—"
            : `snapshot to #${follow.snapshotEventId}, stream after it`}
        </Item>
        <Item term="Runtime target">
          {target(
            r.runtime_target_kind,
            r.runtime_target_environment_id,
            r.runtime_target_branch_id,
          )}
        </Item>
        <Item term="Source target">
          {target(
            r.source_target_kind,
            r.source_target_environment_id,
            r.source_target_branch_id,
          ) || "—"}
        </Item>
        {r.waiting_reason && (
          <Item term="Waiting for">
            {r.waiting_reason}
            {r.waiting_tool_name && (
              <>
                {" "}
                · <span className="mono">{r.waiting_tool_name}</span>
              </>
            )}
            {r.waiting_tool_call_id && (
              <>
                {" "}
                · <span className="mono">{r.waiting_tool_call_id}</span>
              </>
            )}
          </Item>
        )}
        <Item term="Message">{orDash(r.message_id)}</Item>
        <Item term="Requested by">{orDash(r.requested_by_user_id)}</Item>
        <Item term="Implementation">
          {r.implementation_kind ? (
            <span className="mono">
              {r.implementation_kind}
              {r.worker_key ? ` · ${r.worker_key}` : ""}
            </span>
          ) : (
            <span className="muted">—</span>
          )}
        </Item>
        <Item term="Deployment">{orDash(r.resolved_deployment_id)}</Item>
      </dl>
      {metadata && (
        <details>
          <summary>Metadata</summary>
          <pre className="code">{JSON.stringify(metadata, null, 2)}</pre>
        </details>
      )}
      <details>
        <summary>Raw record</summary>
        <pre className="code">{JSON.stringify(r, null, 2)}</pre>
      </details>
    </section>
  );
}
