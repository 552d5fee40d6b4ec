/**
 * The bytes of a run's SSE stream (docs/api.md §4.5): the `retry:` preamble, one frame per event
 * (`id:`, `event:` in PascalCase, `data:` with the event JSON), and the `: ping` heartbeat.
 * Lines end in `\n` only and every frame ends with a blank line.
 *
 * A frame is rendered once per event and shared by every stream that sends it: the hub hands
 * the same row objects to all of a run's subscribers, and the rendering is memoised per row.
 */
import type { StoredEvent } from "../store/types.ts";

/** The first frame of every stream: how long a client waits before reconnecting. */
export const RETRY_FRAME = "retry: 2000\n\n";

/** A comment line that every SSE parser skips; keeps proxies from timing the stream out. */
export const PING_FRAME = ": ping\n\n";

const TERMINAL_TYPES: ReadonlySet<string> = new Set(["RUN_FINISHED", "RUN_ERROR"]);

/** Event names by type: there are a few dozen types, and replays ask for every event's. */
const names = new Map<string, string>();
/** Bound on the memo (types are client-chosen only within the schemas; this is a safety net). */
const MAX_NAMES = 1000;

/** `TEXT_MESSAGE_CONTENT` → `TextMessageContent`. */
export function eventName(type: string): string {
  let name = names.get(type);
  if (name === undefined) {
    name = type
      .split("_")
      .filter((word) => word.length > 0)
      .map((word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase())
      .join("");
    if (names.size < MAX_NAMES) names.set(type, name);
  }
  return name;
}

/** Whether an event ends its run (the stream closes right after sending it). */
export function isTerminal(event: StoredEvent): boolean {
  return TERMINAL_TYPES.has(event.event_type);
}

const frames = new WeakMap<StoredEvent, string>();

/**
 * `id: <event_id>\nevent: <Name>\ndata: <json>\n\n`, with the event's JSON as stored (no parse,
 * no re-serialisation). It was written by JSON.stringify, which escapes every CR and LF inside
 * strings, so the data always fits on one line.
 */
export function eventFrame(event: StoredEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = `id: ${event.event_id}\nevent: ${eventName(event.event_type)}\ndata: ${event.json}\n\n`;
    frames.set(event, frame);
  }
  return frame;
}

const conversationFrames = new WeakMap<StoredEvent, string>();

/**
 * A conversation stream's frame (docs/api.md §8): `id: <frame id>`, `event:` the name the row
 * carries (already the PascalCase AG-UI type or the lifecycle name), `data:` its JSON. Rows are
 * `store/conversation-frames.ts` frames; memoised per row like `eventFrame`.
 */
export function conversationFrame(row: StoredEvent): string {
  let frame = conversationFrames.get(row);
  if (frame === undefined) {
    frame = `id: ${row.event_id}\nevent: ${row.event_type}\ndata: ${row.json}\n\n`;
    conversationFrames.set(row, frame);
  }
  return frame;
}
