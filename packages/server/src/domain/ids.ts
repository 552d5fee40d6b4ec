/** Identifier generation: time-ordered (UUIDv7) so ids sort roughly by creation. */
import { v7 as uuidv7 } from "uuid";

/** A server-generated run id: `run_` + a UUIDv7 without dashes. */
export function newRunId(): string {
  return `run_${uuidv7().replaceAll("-", "")}`;
}

export function newUuid(): string {
  return uuidv7();
}

/** Run ids (client-chosen `public_id` or generated): 1–128 of `[A-Za-z0-9_.:-]`. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Agent ids: 1–128 of `[A-Za-z0-9_-]`. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export const UUID_PATTERN =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
