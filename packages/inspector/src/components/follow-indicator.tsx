/** Whether the page follows the run live, has resumed after drops, or has stopped (and why). */
import type { FollowState } from "../lib/follower.ts";

export function FollowIndicator(props: { state: FollowState }) {
  const { status, connections, error } = props.state;
  const resumed = connections > 1 ? ` · resumed ${connections - 1}×` : "";
  const text =
    status === "loading"
      ? "Loading…"
      : status === "live"
        ? `Live${resumed}`
        : status === "ended"
          ? "Log complete"
          : status === "error"
            ? `Not following: ${error ?? "error"}`
            : "Stopped";
  return (
    <span className={`follow follow-${status}`} role="status" data-follow={status}>
      {text}
    </span>
  );
}
