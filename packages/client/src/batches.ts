/**
 * Splitting an append into requests the server accepts: at most 100 events each
 * (docs/api.md §4.3) and a body under a byte cap. Events are serialised once, when `append` is called, and
 * a batch's body is assembled from those exact strings — so a retry resends the same bytes.
 */
import type { AguiEvent } from "./contract.ts";

/** The server's per-request event limit. */
export const MAX_EVENTS_PER_REQUEST = 100;
/** Default body cap: 1 MiB, well under the server's 10 MiB default limit. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
/** Room for the envelope: `{"events":[…],"expected_previous_event_id":…,…}`. */
const ENVELOPE_BYTES = 160;

export interface Batch {
  /** Each event as JSON. */
  events: string[];
}

export interface ExpectedCursors {
  latestEventId: number;
  latestExternalEventSequence: number;
}

/** Serialises each event; refuses what is not a JSON object. */
export function serialiseEvents(events: readonly AguiEvent[]): string[] {
  return events.map((event, index) => {
    if (typeof event !== "object" || event === null || Array.isArray(event)) {
      throw new TypeError(`Event at index ${index} is not an object`);
    }
    return JSON.stringify(event);
  });
}

/**
 * Groups serialised events in order into batches of at most `maxEvents` whose request body
 * stays under `maxBytes`. An event too big to share a batch goes alone (the server judges it).
 */
export function splitBatches(
  serialised: readonly string[],
  maxEvents: number = MAX_EVENTS_PER_REQUEST,
  maxBytes: number = DEFAULT_MAX_BATCH_BYTES,
): Batch[] {
  const limit = Math.max(1, Math.min(MAX_EVENTS_PER_REQUEST, Math.floor(maxEvents)));
  const batches: Batch[] = [];
  let current: string[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const json of serialised) {
    const size = utf8Length(json) + 1; // the separating comma
    if (current.length > 0 && (current.length >= limit || bytes + size > maxBytes)) {
      batches.push({ events: current });
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    current.push(json);
    bytes += size;
  }
  if (current.length > 0) batches.push({ events: current });
  return batches;
}

/** The request body of a batch, with the cursors it expects. */
export function batchBody(batch: Batch, expected: ExpectedCursors): string {
  return (
    `{"events":[${batch.events.join(",")}],` +
    `"expected_previous_event_id":${expected.latestEventId},` +
    `"expected_previous_external_event_sequence":${expected.latestExternalEventSequence}}`
  );
}

/** UTF-8 byte length of a string, without allocating an encoded copy. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
