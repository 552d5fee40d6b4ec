/**
 * `/ui/conversations/{conversation_id}`: a conversation as a timeline of its runs, followed
 * live over one connection (the conversation stream, §8): runs created while the page is
 * open appear, bars grow and change colour with their run's status, marks appear as tool
 * calls, waits, input requests and interrupts happen. Each run links to its own page.
 */
import { useEffect, useState, useSyncExternalStore } from "react";
import { useApi } from "../lib/api.tsx";
import { ConversationFollower } from "../lib/conversation-follower.ts";
import { Link, runsHref } from "../lib/router.tsx";
import { FollowIndicator } from "./follow-indicator.tsx";
import { PageHeading } from "./page-heading.tsx";
import { Timeline } from "./timeline.tsx";

/** How often open bars grow while a run is active. */
const TICK_MS = 1000;

export function ConversationPage(props: { conversationId: string }) {
  const api = useApi();
  const { conversationId } = props;
  const [follower, setFollower] = useState<ConversationFollower | undefined>();

  useEffect(() => {
    const next = new ConversationFollower(api.clientWith, conversationId, api.describe);
    setFollower(next);
    void next.start();
    return () => next.stop();
  }, [api, conversationId]);

  return (
    <div className="page conversation-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link href={runsHref({})}>Runs</Link> › <span aria-current="page">Conversation</span>
      </nav>
      <PageHeading title={`Conversation ${conversationId}`}>
        Conversation <span className="mono">{conversationId}</span>
      </PageHeading>
      {follower && <ConversationView follower={follower} conversationId={conversationId} />}
    </div>
  );
}

function ConversationView(props: { follower: ConversationFollower; conversationId: string }) {
  const { follower, conversationId } = props;
  const follow = useSyncExternalStore(follower.subscribe, follower.getState);
  const [now, setNow] = useState(Date.now);
  const rows = follower.timeline.rows(now);
  const active = rows.some(({ run }) => run.endedAt === undefined);

  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => setNow(Date.now()), TICK_MS);
    return () => window.clearInterval(timer);
  }, [active]);
  // A change brought by the stream is drawn against the current time, not the last tick's.
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow.version is the trigger
  useEffect(() => setNow(Date.now()), [follow.version]);

  return (
    <>
      <div className="run-header-line">
        <FollowIndicator state={follow} />
        <span className="muted">
          {rows.length} {rows.length === 1 ? "run" : "runs"} · frame{" "}
          <span className="mono">{follower.timeline.lastFrameId}</span>
        </span>
        <Link href={runsHref({ conversation_id: conversationId })}>List its runs</Link>
      </div>
      <section aria-labelledby="timeline-heading" className="panel">
        <h2 id="timeline-heading">Timeline</h2>
        <Timeline
          conversationId={conversationId}
          rows={rows}
          span={follower.timeline.span(rows, now)}
          now={now}
        />
      </section>
    </>
  );
}
