/** The run status machine: pending → running ⇄ waiting_for_tool → completed | failed | cancelled. */
import {
  ActiveRunStatusSchema,
  type RunStatus,
  type RunSummaryStatus,
  type TerminalRunStatus,
  TerminalRunStatusSchema,
} from "@runline/contract";

export const TERMINAL_STATUSES = TerminalRunStatusSchema.options;
export type TerminalStatus = TerminalRunStatus;
/** The statuses of a run that has not ended (cascading cancel, listings of live runs). */
export const ACTIVE_STATUSES = ActiveRunStatusSchema.options;

const TERMINAL: ReadonlySet<RunStatus> = new Set(TERMINAL_STATUSES);

export function isTerminal(status: RunStatus): status is TerminalStatus {
  return TERMINAL.has(status);
}

/** The canonical summary spells `waiting_for_tool` as `waiting` (`RunSummaryStatusSchema`). */
export type CanonicalStatus = RunSummaryStatus;

export function toCanonicalStatus(status: RunStatus): CanonicalStatus {
  return status === "waiting_for_tool" ? "waiting" : status;
}

/** Accepts either spelling in query filters. */
export function fromStatusFilter(value: string): RunStatus {
  return value === "waiting" ? "waiting_for_tool" : (value as RunStatus);
}
