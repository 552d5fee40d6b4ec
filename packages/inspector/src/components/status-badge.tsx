/** A run's status as a labelled badge (text, not colour alone, carries the meaning). */
import type { RunStatus, RunSummary } from "@runline/client";

/** Either spelling of a status (records say `waiting_for_tool`, summaries `waiting`). */
export type AnyRunStatus = RunStatus | RunSummary["status"];

// Records over the contract's status types (its one enum, `RunStatusSchema`): a status the
// contract adds or drops is a compile error here. (The client carries no zod at runtime.)
const LABELS: Readonly<Record<AnyRunStatus, string>> = {
  pending: "pending",
  running: "running",
  waiting: "waiting",
  waiting_for_tool: "waiting for tool",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};

const ACTIVE: Readonly<Record<AnyRunStatus, boolean>> = {
  pending: true,
  running: true,
  waiting: true,
  waiting_for_tool: true,
  completed: false,
  failed: false,
  cancelled: false,
};

export const ACTIVE_STATUSES: ReadonlySet<string> = new Set(
  Object.keys(ACTIVE).filter((status) => ACTIVE[status as AnyRunStatus]),
);

export function StatusBadge(props: { status: string }) {
  const tone = props.status === "waiting_for_tool" ? "waiting" : props.status;
  return (
    <span className={`badge badge-${tone}`} data-status={props.status}>
      {LABELS[props.status as AnyRunStatus] ?? props.status}
    </span>
  );
}
