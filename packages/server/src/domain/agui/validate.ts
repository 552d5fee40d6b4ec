/**
 * Step 1 of an append (docs/api.md §4.3): fill in, normalise and validate each event of a batch
 * against the AG-UI schemas. Pure; a refused event comes back as an {@link EventRejection}, which
 * the ledger tells the client as a problem (HTTP is not this layer's business).
 */
import { EventSchema } from "@ag-ui/core/schemas";
import type { AguiEvent } from "./types.ts";

/** The largest single event accepted, in bytes of its JSON. */
export const MAX_EVENT_BYTES = 240 * 1024;

export interface RunIdentity {
  conversationId: string;
  runId: string;
}

export interface NormalisedEvent {
  event: AguiEvent;
  /** The event's JSON, computed once: sized here, compared on retries, stored as is. */
  json: string;
}

/** Why an event of a batch was refused; `index` is its position in the batch. */
export type EventRejection =
  | { reason: "invalid"; index: number; detail: string }
  | { reason: "terminal"; index: number; type: string }
  | { reason: "too_large"; index: number; limitBytes: number };

export type NormalisedBatch =
  | { ok: true; events: NormalisedEvent[] }
  | { ok: false; rejection: EventRejection };

/** Thrown inside this module only: the first refusal ends the batch. */
class Rejected {
  constructor(readonly rejection: EventRejection) {}
}

/**
 * Returns the batch as it will be stored (or why its first refused event was refused): RUN_STARTED gets `threadId`/`runId` when missing, a
 * REASONING_MESSAGE_START with `role: "assistant"` (Veryfront's encoder) becomes `"reasoning"`.
 * Extra fields are kept. Terminal events are refused: a run ends only through complete/cancel.
 */
export function normaliseBatch(events: readonly unknown[], run: RunIdentity): NormalisedBatch {
  try {
    return { ok: true, events: events.map((raw, index) => normaliseEvent(raw, index, run)) };
  } catch (error) {
    if (error instanceof Rejected) return { ok: false, rejection: error.rejection };
    throw error;
  }
}

function normaliseEvent(raw: unknown, index: number, run: RunIdentity): NormalisedEvent {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Rejected({
      reason: "invalid",
      index,
      detail: `Event at index ${index} must be a JSON object`,
    });
  }
  let event = raw as AguiEvent;
  if (event.type === "RUN_STARTED") {
    event = {
      ...event,
      threadId: event.threadId ?? run.conversationId,
      runId: event.runId ?? run.runId,
    };
  } else if (event.type === "REASONING_MESSAGE_START" && event.role === "assistant") {
    event = { ...event, role: "reasoning" };
  }
  if (event.type === "RUN_FINISHED" || event.type === "RUN_ERROR") {
    throw new Rejected({ reason: "terminal", index, type: event.type });
  }
  const parsed = EventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
    throw new Rejected({
      reason: "invalid",
      index,
      detail: `Event at index ${index} is not a valid AG-UI event${where}: ${issue?.message ?? "invalid"}`,
    });
  }
  const json = JSON.stringify(event);
  if (Buffer.byteLength(json, "utf8") > MAX_EVENT_BYTES) {
    throw new Rejected({ reason: "too_large", index, limitBytes: MAX_EVENT_BYTES });
  }
  return { event, json };
}
