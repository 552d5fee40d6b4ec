/**
 * What a webhook hears (docs/api.md §10): the change journal's records (`store/changes.ts`) as
 * webhook event types, and the body each delivery sends — `{type, timestamp, data}`, where
 * `data` is the canonical run summary, the input-request record with secret values removed, or
 * (for `interrupt.opened`) the interrupt item with its conversation. The body is built once,
 * when the change commits, and stored whole: it never reads the run again, so a run deleted
 * meanwhile changes nothing about its deliveries.
 */
import type { WebhookEventType } from "@runline/contract";
import { toRunSummary } from "../domain/records.ts";
import { toInputRequestRecord, toInterruptItem, withoutSecrets } from "../human-input/records.ts";
import type { RecordedChange } from "../store/changes.ts";
import type { RunStatus } from "../store/types.ts";

/** The event a run entering `status` is reported as (none for `pending`). */
const RUN_STATUS_EVENTS: Record<RunStatus, WebhookEventType | undefined> = {
  pending: undefined,
  running: "run.running",
  waiting_for_tool: "run.waiting",
  completed: "run.completed",
  failed: "run.failed",
  cancelled: "run.cancelled",
};

/** The webhook event type a change is delivered as, if webhooks hear it at all. */
export function webhookEventOf(change: RecordedChange): WebhookEventType | undefined {
  switch (change.type) {
    case "run.created":
      return "run.created";
    case "run.status":
      return RUN_STATUS_EVENTS[change.run.status];
    case "input_request.created":
    case "input_request.submitted":
    case "input_request.cancelled":
    case "input_request.expired":
    case "interrupt.opened":
      return change.type;
    default:
      // interrupt.closed: no webhook event (the run that answered it is reported instead).
      return undefined;
  }
}

/** The project a change belongs to. */
export function projectOf(change: RecordedChange): string {
  if ("run" in change) return change.run.project_id;
  if ("inputRequest" in change) return change.inputRequest.project_id;
  return change.interrupt.project_id;
}

/** The `data` of a change's webhook body. */
function dataOf(change: RecordedChange, at: string): unknown {
  if ("run" in change) return toRunSummary(change.run);
  if ("inputRequest" in change) return toInputRequestRecord(withoutSecrets(change.inputRequest));
  return {
    conversation_id: change.interrupt.conversation_id,
    ...toInterruptItem(change.interrupt, at),
  };
}

/** The JSON body delivered for a change, exactly as it is sent and signed. */
export function webhookBody(type: WebhookEventType, change: RecordedChange, at: string): string {
  return JSON.stringify({ type, timestamp: at, data: dataOf(change, at) });
}
