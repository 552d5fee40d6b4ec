/** The wire shapes of webhooks and their deliveries (docs/api.md §10), from stored rows. */
import type { WebhookEventType } from "@runline/contract";
import type { DeliveryRow, DeliveryStatus, WebhookRow } from "../store/webhooks.ts";

/** A webhook as listed: never its secret. */
export function toWebhookRecord(row: WebhookRow) {
  return {
    id: row.id,
    url: row.url,
    events: row.events as WebhookEventType[],
    description: row.description,
    created_at: row.created_at,
  };
}

export function toDeliveryRecord(row: DeliveryRow) {
  return {
    id: row.id,
    type: row.type as WebhookEventType,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    next_attempt_at: row.next_attempt_at,
    created_at: row.created_at,
  };
}
