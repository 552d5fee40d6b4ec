/**
 * A logged event as read from a store: its JSON text exactly as stored (`json`, which replay and
 * paging send as is), parsed into `event` only if something reads it (the snapshot, tool
 * results, tests). Serving a log then costs no JSON.parse and no JSON.stringify per event.
 */
import type { AguiEvent } from "../domain/agui/types.ts";
import type { StoredEvent } from "./types.ts";

export class StoredEventRow implements StoredEvent {
  #event: AguiEvent | undefined;

  constructor(
    readonly event_id: number,
    readonly event_type: string,
    readonly json: string,
    readonly created_at: string,
  ) {}

  get event(): AguiEvent {
    this.#event ??= JSON.parse(this.json) as AguiEvent;
    return this.#event;
  }

  /** The wire shape (docs/api.md §4.4), should a row ever be serialised whole. */
  toJSON(): { event_id: number; event_type: string; event: AguiEvent; created_at: string } {
    const { event_id, event_type, event, created_at } = this;
    return { event_id, event_type, event, created_at };
  }
}
