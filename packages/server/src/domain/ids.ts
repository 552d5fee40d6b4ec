/** Identifier generation: time-ordered (UUIDv7) so ids sort roughly by creation. */
import { v7 as uuidv7 } from "uuid";

/** A server-generated run id: `run_` + a UUIDv7 without dashes. */
export function newRunId(): string {
  return `run_${uuidv7().replaceAll("-", "")}`;
}

export function newUuid(): string {
  return uuidv7();
}
