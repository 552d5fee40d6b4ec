/**
 * The conversation's runs as a waterfall, as trace viewers draw spans: one row per run in tree
 * order (children indented under their parent), a bar from the run's creation to its end —
 * the part before it started (pending, or queued behind another run) outlined only, the rest
 * in its status colour (the status badge palette), open-ended while active — and marks on
 * the bar for tool calls, waits, input requests and interrupts (hover for what each is).
 *
 * The bars are decoration (`aria-hidden`): each row's text says the same — run, agent,
 * status, duration and how many marks of each kind.
 */
import { formatMs, formatTime } from "../lib/format.ts";
import { Link, runHref } from "../lib/router.tsx";
import type { MarkKind, PlacedMark, TimelineRow } from "../lib/timeline.ts";
import { StatusBadge } from "./status-badge.tsx";

const MARK_NAMES: Readonly<Record<MarkKind, [string, string]>> = {
  tool: ["tool call", "tool calls"],
  wait: ["wait", "waits"],
  input: ["input request", "input requests"],
  interrupt: ["interrupt", "interrupts"],
};
const TICKS = [0, 0.25, 0.5, 0.75, 1];

export function Timeline(props: {
  conversationId: string;
  rows: readonly TimelineRow[];
  span: { from: number; to: number };
  now: number;
}) {
  const { rows, span, now } = props;
  if (rows.length === 0) return <p className="empty">No runs in this conversation yet.</p>;
  const width = span.to - span.from;
  const x = (t: number) => `${(((t - span.from) / width) * 100).toFixed(3)}%`;
  const w = (a: number, b: number) => `${((Math.max(0, b - a) / width) * 100).toFixed(3)}%`;
  return (
    <div className="timeline">
      <div className="timeline-axis" aria-hidden="true">
        <span className="timeline-start">{formatTime(new Date(span.from).toISOString())}</span>
        <div className="timeline-ticks">
          {TICKS.map((f) => (
            <span key={f} className="timeline-tick" style={{ left: `${f * 100}%` }}>
              +{formatMs(width * f)}
            </span>
          ))}
        </div>
      </div>
      <ol className="timeline-rows" aria-label="Runs of this conversation, oldest first">
        {rows.map(({ run, depth, marks }) => {
          const end = run.endedAt ?? now;
          const started = run.startedAt ?? (run.endedAt === undefined ? undefined : run.endedAt);
          const queuedTo = started ?? end;
          const active = run.endedAt === undefined;
          return (
            <li
              key={run.runId}
              className="timeline-row"
              data-run-id={run.runId}
              data-parent-run-id={run.parentRunId ?? undefined}
              data-depth={depth}
            >
              <div className="timeline-label" style={{ paddingLeft: `${depth * 1.25}rem` }}>
                {depth > 0 && (
                  <span className="timeline-elbow" aria-hidden="true">
                    ↳
                  </span>
                )}
                <Link href={runHref(props.conversationId, run.runId)} className="mono">
                  {run.runId}
                </Link>
                <span className="timeline-meta">
                  {run.agentId && <span className="mono muted">{run.agentId}</span>}{" "}
                  <StatusBadge status={run.status} />
                  {run.waitingReason && <span className="muted"> ({run.waitingReason})</span>}{" "}
                  <span className="muted">
                    {formatMs(end - (run.startedAt ?? run.createdAt))}
                    {active ? " so far" : ""}
                  </span>
                  {run.queuedBehind && (
                    <span className="muted">
                      {" "}
                      · queued behind <span className="mono">{run.queuedBehind}</span>
                    </span>
                  )}
                  <span className="visually-hidden">{describeMarks(marks)}</span>
                </span>
              </div>
              <div className="timeline-track" aria-hidden="true">
                {queuedTo > run.createdAt && (
                  <span
                    className="timeline-queued"
                    style={{ left: x(run.createdAt), width: w(run.createdAt, queuedTo) }}
                    title={started ? "pending" : run.status}
                  />
                )}
                {started !== undefined && (
                  <span
                    className={`timeline-bar bar-${tone(run.status)}${active ? " open" : ""}`}
                    data-status={run.status}
                    style={{ left: x(started), width: w(started, end) }}
                    title={`${run.status} · ${formatMs(end - started)}`}
                  />
                )}
                {started === undefined && (
                  <span
                    className={`timeline-bar bar-${tone(run.status)} not-started`}
                    data-status={run.status}
                    style={{ left: x(run.createdAt), width: w(run.createdAt, end) }}
                    title={run.status}
                  />
                )}
                {marks.map((mark) => (
                  <span
                    key={mark.key}
                    className={`timeline-mark mark-${mark.kind}${mark.point ? " point" : ""}${mark.open ? " open" : ""}`}
                    data-mark-kind={mark.kind}
                    style={{
                      left: x(mark.from),
                      width: mark.point ? undefined : w(mark.from, mark.to),
                    }}
                    title={`${mark.label}${mark.point ? "" : ` · ${formatMs(mark.to - mark.from)}`}`}
                  />
                ))}
              </div>
            </li>
          );
        })}
      </ol>
      <ul className="timeline-legend" aria-label="Legend">
        <li>
          <span className="legend-swatch timeline-queued" aria-hidden="true" /> pending or queued
        </li>
        {(Object.keys(MARK_NAMES) as MarkKind[]).map((kind) => (
          <li key={kind}>
            <span className={`legend-swatch timeline-mark mark-${kind}`} aria-hidden="true" />{" "}
            {MARK_NAMES[kind][0]}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The badge palette's tone for a status (waiting_for_tool is a wait). */
function tone(status: string): string {
  return status === "waiting_for_tool" ? "waiting" : status;
}

function describeMarks(marks: readonly PlacedMark[]): string {
  const counts = new Map<MarkKind, number>();
  for (const mark of marks) counts.set(mark.kind, (counts.get(mark.kind) ?? 0) + 1);
  const parts = [...counts].map(([kind, n]) => `${n} ${MARK_NAMES[kind][n === 1 ? 0 : 1]}`);
  return parts.length > 0 ? `, ${parts.join(", ")}` : "";
}
