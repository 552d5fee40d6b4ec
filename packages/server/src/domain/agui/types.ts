/**
 * An AG-UI protocol event as Runline stores it: a JSON object with a `type`, kept verbatim
 * (camelCase, extra fields preserved). Validation against `@ag-ui/core/schemas` happens at the
 * edge (see `validate.ts`); past that point events are plain JSON objects.
 */
export type AguiEvent = { type: string; [key: string]: unknown };

/** One entry of a run's log. */
export interface LoggedEvent {
  event_id: number;
  event_type: string;
  event: AguiEvent;
}
