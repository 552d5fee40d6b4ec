/**
 * The event payloads every scenario appends (Runline and the peer get the same bytes): token
 * deltas of a streaming assistant message, the bulk of a real agent run's log, and a CUSTOM
 * event carrying its send time for latency measurements.
 */
import { randomUUID } from "node:crypto";

export const BENCH_KEY = "vf_bench_0123456789abcdefghijklmnop";

/** About what an LLM streams per chunk: a few tokens. */
const DELTA = "The quick brown fox jumps over the lazy dog, then checks the log. ";

export const MESSAGE_ID = "msg-bench-1";

export function textStart(messageId = MESSAGE_ID): Record<string, unknown> {
  return { type: "TEXT_MESSAGE_START", messageId, role: "assistant" };
}

export function textDelta(messageId = MESSAGE_ID): Record<string, unknown> {
  return { type: "TEXT_MESSAGE_CONTENT", messageId, delta: DELTA };
}

export function deltas(count: number, messageId = MESSAGE_ID): Record<string, unknown>[] {
  return Array.from({ length: count }, () => textDelta(messageId));
}

/** A CUSTOM event whose `value.sentAt` is filled in by the paced sender (wall-clock ms). */
export const TICK_EVENT_TEMPLATE =
  '{"type":"CUSTOM","name":"bench.tick","value":{"sentAt":"__SENT_AT__"}}';

export const authHeaders = {
  authorization: `Bearer ${BENCH_KEY}`,
  "content-type": "application/json",
};

export function appendBody(events: Record<string, unknown>[]): string {
  return JSON.stringify({ events });
}

export const newConversationId = (): string => randomUUID();
