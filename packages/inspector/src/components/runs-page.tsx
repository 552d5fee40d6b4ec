/**
 * The project's runs, newest first: filters (status, agent, conversation) and the page cursor
 * live in the URL, the list refreshes every few seconds while the tab is visible and whenever
 * it regains focus (the server has no list-level push).
 */
import type { Page, RunListParams, RunSummary } from "@runline/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { isAbort, useApi } from "../lib/api.tsx";
import { formatClock } from "../lib/format.ts";
import { conversationHref, Link, navigate, runsHref } from "../lib/router.tsx";
import { usePolling } from "../lib/use-poll.ts";
import { PageHeading } from "./page-heading.tsx";
import { Pager } from "./pager.tsx";
import { type RunFilters, RunsFilters } from "./runs-filters.tsx";
import { RunsTable } from "./runs-table.tsx";

const REFRESH_MS = 5000;

/** Agent ids by run id: the list's summaries do not carry them, and they never change. */
const agentIds = new Map<string, string>();

export function RunsPage(props: { query: URLSearchParams }) {
  const { client, describe } = useApi();
  const filters: RunFilters = {
    status: props.query.get("status") ?? "",
    agent_id: props.query.get("agent_id") ?? "",
    conversation_id: props.query.get("conversation_id") ?? "",
    limit: props.query.get("limit") ?? "",
  };
  const cursor = props.query.get("cursor") ?? "";
  const queryKey = props.query.toString();
  const [page, setPage] = useState<Page<RunSummary> | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [updatedAt, setUpdatedAt] = useState<Date | undefined>();
  const [, setAgentsSeen] = useState(0);
  const sequence = useRef(0);

  const refresh = useCallback(async () => {
    const query = new URLSearchParams(queryKey);
    const mine = ++sequence.current;
    try {
      const result = await client.listRuns({
        // The select offers only the contract's statuses; the server rejects anything else (400).
        status: (query.get("status") || undefined) as RunListParams["status"],
        agent_id: query.get("agent_id") || undefined,
        conversation_id: query.get("conversation_id") || undefined,
        cursor: query.get("cursor") || undefined,
        limit: Number(query.get("limit")) || 20,
      });
      if (mine !== sequence.current) return; // a newer request owns the page
      setPage(result);
      setError(undefined);
      setUpdatedAt(new Date());
      const unknown = result.data.filter((run) => !agentIds.has(run.run_id));
      if (unknown.length > 0) {
        await Promise.all(
          unknown.map(async (run) => {
            try {
              const record = await client.getConversationRun(run.owner.id, run.run_id);
              agentIds.set(run.run_id, record.agent_id);
            } catch {
              // shown as unknown; tried again on the next refresh
            }
          }),
        );
        setAgentsSeen(agentIds.size);
      }
    } catch (caught) {
      if (mine === sequence.current && !isAbort(caught)) setError(describe(caught));
    }
  }, [client, describe, queryKey]);

  useEffect(() => {
    setPage(undefined);
    void refresh();
  }, [refresh]);
  usePolling(refresh, REFRESH_MS);

  const go = (next: RunFilters & { cursor?: string }) => navigate(runsHref({ ...next }));

  return (
    <div className="page">
      <PageHeading title="Runs" />
      <RunsFilters value={filters} onChange={(next) => go(next)} />
      {filters.conversation_id && (
        <p>
          <Link href={conversationHref(filters.conversation_id)}>
            Timeline of conversation{" "}
            <span className="mono">{filters.conversation_id.slice(0, 8)}…</span>
          </Link>
        </p>
      )}
      <div className="list-status">
        <p>
          {updatedAt
            ? `Updated ${formatClock(updatedAt)} · refreshes every ${REFRESH_MS / 1000} s`
            : "Loading…"}
        </p>
        <button type="button" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {page && (
        <>
          <RunsTable
            runs={page.data}
            agentOf={(runId) => agentIds.get(runId)}
            onFilterConversation={(id) => go({ ...filters, conversation_id: id })}
          />
          <Pager
            pageInfo={page.page_info}
            atStart={!cursor}
            onPage={(nextCursor) => go({ ...filters, ...(nextCursor && { cursor: nextCursor }) })}
          />
        </>
      )}
    </div>
  );
}
