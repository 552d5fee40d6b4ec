/** Identifier generation: time-ordered (UUIDv7) so ids sort roughly by creation. */
import { v7 as uuidv7 } from "uuid";

/** A server-generated run id: `run_` + a UUIDv7 without dashes. */
export function newRunId(): string {
  return `run_${uuidv7().replaceAll("-", "")}`;
}

export function newUuid(): string {
  return uuidv7();
}

/** A webhook's id: `wh_` + a UUIDv7 without dashes. */
export function newWebhookId(): string {
  return `wh_${uuidv7().replaceAll("-", "")}`;
}

/** A webhook delivery's id, its `webhook-id` header: `msg_` + a UUIDv7 without dashes. */
export function newDeliveryId(): string {
  return `msg_${uuidv7().replaceAll("-", "")}`;
}
