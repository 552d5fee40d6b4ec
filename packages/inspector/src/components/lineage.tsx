/**
 * A run's lineage: its ancestors up to the root (each a link), the tool call it was spawned
 * from, its child runs as a tree (each child's own children load when expanded; a child without
 * children gets no toggle), and the other runs spawned from this run's conversation (children
 * by parent conversation, minus this run and its children, which are shown already).
 */
import type { AgentRunRecord, RunSummary, RunWithSnapshot } from "@runline/client";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { isAbort, useApi } from "../lib/api.tsx";
import { Link, runHref } from "../lib/router.tsx";
import { usePolling } from "../lib/use-poll.ts";
import { StatusBadge } from "./status-badge.tsx";

const CHILDREN_REFRESH_MS = 5000;
const MAX_ANCESTORS = 32;

export interface ChildrenState {
  items: readonly AgentRunRecord[];
  byToolCall: ReadonlyMap<string, readonly AgentRunRecord[]>;
  hasMore: boolean;
  error: string | undefined;
  loadMore: () => void;
  refresh: () => void;
}

/** The run's children (oldest first), refreshed while the run is active. */
export function useChildren(conversationId: string, runId: string, active: boolean): ChildrenState {
  const { client, describe } = useApi();
  const [items, setItems] = useState<readonly AgentRunRecord[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const pages = useRef(1);

  const refresh = useCallback(async () => {
    try {
      const all: AgentRunRecord[] = [];
      let cursor: string | undefined;
      let nextCursor: string | null = null;
      for (let i = 0; i < pages.current; i += 1) {
        const page = await client.listChildren(conversationId, runId, { limit: 100, cursor });
        all.push(...page.data);
        nextCursor = page.page_info.next;
        if (!nextCursor) break;
        cursor = nextCursor;
      }
      setItems(all);
      setNext(nextCursor);
      setError(undefined);
    } catch (caught) {
      if (!isAbort(caught)) setError(describe(caught));
    }
  }, [client, describe, conversationId, runId]);

  useEffect(() => {
    void refresh();
  }, [refresh]);
  usePolling(refresh, CHILDREN_REFRESH_MS, active);

  const byToolCall = useMemo(() => {
    const map = new Map<string, AgentRunRecord[]>();
    for (const child of items) {
      const id = child.spawned_from_tool_call_id;
      if (id) map.set(id, [...(map.get(id) ?? []), child]);
    }
    return map;
  }, [items]);

  return {
    items,
    byToolCall,
    hasMore: next !== null,
    error,
    loadMore: () => {
      pages.current += 1;
      void refresh();
    },
    refresh: () => void refresh(),
  };
}

export function Lineage(props: { record: AgentRunRecord; childRuns: ChildrenState }) {
  const { record, childRuns: children } = props;
  return (
    <section aria-labelledby="lineage-heading" className="panel lineage">
      <h2 id="lineage-heading">Lineage</h2>
      <Ancestors record={record} />
      {record.spawned_from_tool_call_id && (
        <p>
          Spawned from tool call <span className="mono">{record.spawned_from_tool_call_id}</span>
          {record.spawned_from_message_id && (
            <>
              {" "}
              (message <span className="mono">{record.spawned_from_message_id}</span>)
            </>
          )}{" "}
          of its parent run.
        </p>
      )}
      <h3>Child runs</h3>
      {children.error && (
        <p className="error" role="alert">
          {children.error}
        </p>
      )}
      {children.items.length === 0 ? (
        <p className="muted">No child runs.</p>
      ) : (
        <ChildList items={children.items} />
      )}
      {children.hasMore && (
        <button type="button" onClick={children.loadMore}>
          More child runs
        </button>
      )}
      <ConversationChildren
        conversationId={record.conversation_id}
        runId={record.run_id}
        childIds={children.items.map((child) => child.run_id)}
      />
    </section>
  );
}

/** root → … → parent → this run, read by walking `parent_run_id`. */
function Ancestors(props: { record: AgentRunRecord }) {
  const { client, describe } = useApi();
  const [chain, setChain] = useState<RunSummary[]>([]);
  const [error, setError] = useState<string | undefined>();
  const parentId = props.record.parent_run_id;

  useEffect(() => {
    if (!parentId) {
      setChain([]);
      return;
    }
    const controller = new AbortController();
    (async () => {
      const found: RunSummary[] = [];
      let next: string | null = parentId;
      while (next && found.length < MAX_ANCESTORS) {
        const run: RunSummary = await client.getRun(next, { signal: controller.signal });
        found.unshift(run);
        next = run.parent_run_id;
      }
      setChain(found);
    })().catch((caught: unknown) => {
      if (!isAbort(caught)) setError(describe(caught));
    });
    return () => controller.abort();
  }, [client, describe, parentId]);

  if (!parentId) return <p>A root run: it has no parent.</p>;
  return (
    <nav aria-label="Ancestors">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ol className="ancestors">
        {chain.map((run, i) => (
          <li key={run.run_id}>
            <span className="muted">{i === chain.length - 1 ? "parent" : "ancestor"} </span>
            <Link href={runHref(run.owner.id, run.run_id)} className="mono">
              {run.run_id}
            </Link>{" "}
            <StatusBadge status={run.status} />
          </li>
        ))}
        <li aria-current="page">
          <span className="muted">this run </span>
          <span className="mono">{props.record.run_id}</span>
        </li>
      </ol>
    </nav>
  );
}

/** One level of the child tree. */
function ChildList(props: { items: readonly AgentRunRecord[] }) {
  return (
    <ul className="tree">
      {props.items.map((child) => (
        <ChildNode key={child.run_id} child={child} />
      ))}
    </ul>
  );
}

/** A child run, with a disclosure button that loads its own children when it has any. */
function ChildNode(props: { child: AgentRunRecord }) {
  const { client, describe } = useApi();
  const { child } = props;
  const [open, setOpen] = useState(false);
  const [grandchildren, setGrandchildren] = useState<readonly AgentRunRecord[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  // Whether it has children at all (one-item page): a leaf gets no toggle that would only say
  // "No child runs". Unknown (undefined) until asked.
  const [hasChildren, setHasChildren] = useState<boolean | undefined>();

  useEffect(() => {
    const controller = new AbortController();
    client
      .listChildren(
        child.conversation_id,
        child.run_id,
        { limit: 1 },
        { signal: controller.signal },
      )
      .then((page) => setHasChildren(page.data.length > 0))
      .catch(() => setHasChildren(true)); // unknown: keep the toggle, which reports any error
    return () => controller.abort();
  }, [client, child.conversation_id, child.run_id]);

  const toggle = () => {
    const next = !open;
    setOpen(next);
    if (next) {
      client
        .listChildren(child.conversation_id, child.run_id, { limit: 100 })
        .then((page) => setGrandchildren(page.data))
        .catch((caught: unknown) => setError(describe(caught)));
    }
  };

  return (
    <li>
      <div className="tree-row">
        {hasChildren ? (
          <button
            type="button"
            className="disclosure"
            aria-expanded={open}
            onClick={toggle}
            aria-label={`${open ? "Hide" : "Show"} child runs of ${child.run_id}`}
          >
            {open ? "▾" : "▸"}
          </button>
        ) : (
          <span className="disclosure-spacer" aria-hidden="true" />
        )}
        <Link href={runHref(child.conversation_id, child.run_id)} className="mono">
          {child.run_id}
        </Link>
        <StatusBadge status={child.status} />
        <span className="muted mono">{child.agent_id}</span>
        {child.spawned_from_tool_call_id && (
          <span className="muted">
            from tool call <span className="mono">{child.spawned_from_tool_call_id}</span>
          </span>
        )}
      </div>
      {open && error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {open &&
        (grandchildren === undefined ? (
          <p className="muted">Loading…</p>
        ) : grandchildren.length === 0 ? (
          <p className="muted tree-empty">No child runs.</p>
        ) : (
          <ChildList items={grandchildren} />
        ))}
    </li>
  );
}

/**
 * Runs whose parent conversation is this one (any run of it may have spawned them), except this
 * run and its own children (listed above): the list adds only what the page does not show.
 */
function ConversationChildren(props: {
  conversationId: string;
  runId: string;
  childIds: readonly string[];
}) {
  const { client, describe } = useApi();
  const [items, setItems] = useState<RunWithSnapshot[] | undefined>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(
    async (cursor?: string) => {
      try {
        const page = await client.listChildrenByParentConversation(props.conversationId, {
          limit: 50,
          cursor,
        });
        setItems((before) => (cursor ? [...(before ?? []), ...page.data] : page.data));
        setNext(page.page_info.next);
      } catch (caught) {
        if (!isAbort(caught)) setError(describe(caught));
      }
    },
    [client, describe, props.conversationId],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const shown = new Set([props.runId, ...props.childIds]);
  const others = items?.filter(
    (run) => !shown.has(run.run_id) && run.parent_run_id !== props.runId,
  );

  return (
    <>
      <h3>Other runs spawned from this conversation</h3>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {others === undefined ? (
        <p className="muted">Loading…</p>
      ) : others.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="plain by-conversation">
          {others.map((run) => (
            <li key={run.run_id}>
              <Link href={runHref(run.conversation_id, run.run_id)} className="mono">
                {run.run_id}
              </Link>{" "}
              <StatusBadge status={run.status} />{" "}
              <span className="muted">
                agent <span className="mono">{run.run_snapshot.project_agent.agent_id}</span>
                {run.parent_run_id && (
                  <>
                    , parent <span className="mono">{run.parent_run_id}</span>
                  </>
                )}
                {run.spawned_from_tool_call_id && (
                  <>
                    , tool call <span className="mono">{run.spawned_from_tool_call_id}</span>
                  </>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" onClick={() => void load(next)}>
          More
        </button>
      )}
    </>
  );
}
