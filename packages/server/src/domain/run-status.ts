/** The run status machine: pending → running ⇄ waiting_for_tool → completed | failed | cancelled. */
import type { RunStatus } from "../store/types.ts";

export const TERMINAL_STATUSES = ["completed", "failed", "cancelled"] as const;
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminal(status: RunStatus): status is TerminalStatus {
  return status === "completed" || status === "failed" || status === "cancelled";
}

/** The canonical summary spells `waiting_for_tool` as `waiting`. */
export type CanonicalStatus = Exclude<RunStatus, "waiting_for_tool"> | "waiting";

export function toCanonicalStatus(status: RunStatus): CanonicalStatus {
  return status === "waiting_for_tool" ? "waiting" : status;
}

/** Accepts either spelling in query filters. */
export function fromStatusFilter(value: string): RunStatus {
  return value === "waiting" ? "waiting_for_tool" : (value as RunStatus);
}
