/** What the snapshot's stages share: the client's loose message shapes and field helpers. */
import type { AguiEvent, LoggedEvent } from "../types.ts";
import type { SnapshotEntry } from "./builder.ts";

export type Metadata = Record<string, unknown>;

export interface ToolCallRecord {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  metadata?: Metadata;
  [key: string]: unknown;
}

/** A message as the client holds it: loosely typed, since MESSAGES_SNAPSHOT passes any through. */
export interface MessageRecord {
  id: string;
  role: string;
  content?: unknown;
  toolCalls?: ToolCallRecord[];
  metadata?: Metadata;
  subagentRunId?: string;
  [key: string]: unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string field of an event, or undefined. */
export function text(event: AguiEvent, key: string): string | undefined {
  const value = event[key];
  return typeof value === "string" ? value : undefined;
}

export function metadataOf(event: AguiEvent): Metadata | undefined {
  return isRecord(event.metadata) ? event.metadata : undefined;
}

/** `mergeMetadata` from @ag-ui/core: key by key, last write wins, never recursing. */
export function mergeMetadata(existing?: Metadata, incoming?: Metadata): Metadata | undefined {
  return incoming === undefined ? existing : { ...existing, ...incoming };
}

/** The client's `applyEventMetadata`: folds the event's metadata into what it builds. */
export function absorbMetadata(
  target: { metadata?: Metadata } | undefined,
  event: AguiEvent,
): void {
  const metadata = metadataOf(event);
  if (target === undefined || metadata === undefined) return;
  target.metadata = mergeMetadata(target.metadata, structuredClone(metadata));
}

/** The fields of `source` named in `keys` that hold a value (null counts as no value). */
export function pick(source: AguiEvent, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined && value !== null) picked[key] = value;
  }
  return picked;
}

/** `{ [key]: value }` when there is a value, `{}` otherwise: for spreading optional fields. */
export function optional(key: string, value: unknown): Record<string, unknown> {
  return value === undefined || value === null ? {} : { [key]: value };
}

export function logged(entry: LoggedEvent): SnapshotEntry {
  return { event_id: entry.event_id, event_type: entry.event.type, event: entry.event };
}

export function synthesised(event: AguiEvent): SnapshotEntry {
  return { event_id: null, event_type: event.type, event };
}

export function findToolCall(
  messages: readonly MessageRecord[],
  id: string,
): ToolCallRecord | undefined {
  for (const message of messages) {
    const call = message.toolCalls?.find((candidate) => candidate.id === id);
    if (call) return call;
  }
  return undefined;
}
