/** A run's status as a labelled badge (text, not colour alone, carries the meaning). */

const LABELS: Readonly<Record<string, string>> = {
  pending: "pending",
  running: "running",
  waiting: "waiting",
  waiting_for_tool: "waiting for tool",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};

export const ACTIVE_STATUSES: ReadonlySet<string> = new Set([
  "pending",
  "running",
  "waiting",
  "waiting_for_tool",
]);

export function StatusBadge(props: { status: string }) {
  const tone = props.status === "waiting_for_tool" ? "waiting" : props.status;
  return (
    <span className={`badge badge-${tone}`} data-status={props.status}>
      {LABELS[props.status] ?? props.status}
    </span>
  );
}
