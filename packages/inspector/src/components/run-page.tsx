/**
 * One run: header (status, live indicator, actions), lineage (first, where it is seen), the
 * conversation, state and details beside the raw event log. Actions are offered only to a key
 * that may take them (`runs:write`). The run is followed live (snapshot, then the stream from its
 * `after_event_id`, resuming by itself); the record is re-read every few seconds while the run
 * is active and whenever the stream brings an event that changes it.
 */
import type { AgentRunRecord } from "@runline/client";
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { isAbort, useApi } from "../lib/api.tsx";
import { mayDeleteRuns, useCanWrite, useCredential } from "../lib/credential.ts";
import { RunFollower } from "../lib/follower.ts";
import { conversationHref, Link, runsHref } from "../lib/router.tsx";
import { usePolling } from "../lib/use-poll.ts";
import { CancelAction } from "./cancel-action.tsx";
import { ConversationView } from "./conversation-view.tsx";
import { DeleteAction } from "./delete-action.tsx";
import { EventLogView } from "./event-log-view.tsx";
import { FollowIndicator } from "./follow-indicator.tsx";
import { InputRequestsPanel } from "./input-requests.tsx";
import { Lineage, useChildren } from "./lineage.tsx";
import { PageHeading } from "./page-heading.tsx";
import { RunDetails, RunSummaryLine } from "./run-details.tsx";
import { StateView } from "./state-view.tsx";
import { ACTIVE_STATUSES, StatusBadge } from "./status-badge.tsx";
import { ToolResultAction } from "./tool-result-action.tsx";

const RECORD_REFRESH_MS = 3000;
/** Events after which the run record (status, waiting fields, cursors) has changed. */
const RECORD_EVENTS = new Set(["RUN_STARTED", "RUN_FINISHED", "RUN_ERROR", "TOOL_CALL_RESULT"]);

export function RunPage(props: { conversationId: string; runId: string }) {
  const api = useApi();
  const { conversationId, runId } = props;
  const [follower, setFollower] = useState<RunFollower | undefined>();
  const [deleted, setDeleted] = useState(false);

  useEffect(() => {
    if (deleted) return;
    const next = new RunFollower(api.clientWith, conversationId, runId, api.describe);
    setFollower(next);
    void next.start();
    return () => next.stop();
  }, [api, conversationId, runId, deleted]);

  return (
    <div className="page run-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link href={runsHref({})}>Runs</Link> ›{" "}
        <Link href={conversationHref(conversationId)}>
          Conversation <span className="mono">{conversationId.slice(0, 8)}…</span>
        </Link>{" "}
        › <span aria-current="page">Run</span>
      </nav>
      {deleted ? (
        <p className="notice" role="status">
          Run <span className="mono">{runId}</span> was deleted.{" "}
          <Link href={runsHref({ conversation_id: conversationId })}>
            Back to the conversation's runs
          </Link>
        </p>
      ) : (
        follower && (
          <RunView
            follower={follower}
            conversationId={conversationId}
            runId={runId}
            onDeleted={() => setDeleted(true)}
          />
        )
      )}
    </div>
  );
}

function RunView(props: {
  follower: RunFollower;
  conversationId: string;
  runId: string;
  onDeleted: () => void;
}) {
  const { client, describe } = useApi();
  const credential = useCredential();
  const { follower, conversationId, runId } = props;
  const follow = useSyncExternalStore(follower.subscribe, follower.getState);
  const [record, setRecord] = useState<AgentRunRecord | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const sequence = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++sequence.current;
    try {
      const next = await client.getConversationRun(conversationId, runId);
      if (mine === sequence.current) {
        setRecord(next);
        setError(undefined);
      }
    } catch (caught) {
      if (mine === sequence.current && !isAbort(caught)) setError(describe(caught));
    }
  }, [client, describe, conversationId, runId]);

  useEffect(() => {
    void refresh();
  }, [refresh]);
  useEffect(
    () =>
      follower.onEvent((row) => {
        if (RECORD_EVENTS.has(row.type)) void refresh();
      }),
    [follower, refresh],
  );
  const active = record === undefined || ACTIVE_STATUSES.has(record.status);
  usePolling(refresh, RECORD_REFRESH_MS, active);
  const children = useChildren(conversationId, runId, active);
  const canWrite = useCanWrite();

  const view = follower.model.view();
  const afterAction = (text: string) => {
    setMessage(text);
    void refresh();
    children.refresh();
  };

  return (
    <>
      <header className="run-header">
        <PageHeading title={`Run ${runId}`}>
          Run <span className="mono">{runId}</span>
        </PageHeading>
        <div className="run-header-line">
          {record && <StatusBadge status={record.status} />}
          <FollowIndicator state={follow} />
          {record && <RunSummaryLine record={record} events={follower.log.total} />}
          <div className="actions">
            {record && ACTIVE_STATUSES.has(record.status) && canWrite && (
              <CancelAction
                record={record}
                activeChildren={children.items.filter((c) => ACTIVE_STATUSES.has(c.status)).length}
                onDone={afterAction}
              />
            )}
            {record && !ACTIVE_STATUSES.has(record.status) && mayDeleteRuns(credential) && (
              <DeleteAction
                record={record}
                childRuns={children.items.length}
                onDeleted={props.onDeleted}
              />
            )}
          </div>
        </div>
      </header>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {record && ACTIVE_STATUSES.has(record.status) && canWrite === false && (
        <p className="muted read-only-note" data-testid="read-only-note">
          This key can only read: cancelling and submitting tool results need{" "}
          <span className="mono">runs:write</span>.
        </p>
      )}
      {record?.status === "waiting_for_tool" && record.waiting_tool_call_id && canWrite && (
        <ToolResultAction record={record} onDone={afterAction} />
      )}
      <InputRequestsPanel conversationId={conversationId} runId={runId} />
      <div className="run-body">
        <div className="run-main">
          {record && <Lineage record={record} childRuns={children} />}
          <section aria-labelledby="conversation-heading" className="panel">
            <h2 id="conversation-heading">Conversation</h2>
            <ConversationView
              items={view.items}
              waitingToolCallId={
                record?.status === "waiting_for_tool" ? record.waiting_tool_call_id : null
              }
              childrenByToolCall={children.byToolCall}
            />
          </section>
          <section aria-labelledby="state-heading" className="panel">
            <h2 id="state-heading">State</h2>
            <StateView state={view.state} change={view.latestChange} log={follower.log} />
          </section>
          {record && <RunDetails record={record} follow={follow} logTotal={follower.log.total} />}
        </div>
        <section aria-labelledby="log-heading" className="panel run-log">
          <h2 id="log-heading">Event log</h2>
          <EventLogView log={follower.log} version={follow.version} />
        </section>
      </div>
    </>
  );
}
