/** Formatting of times, durations and counts for display (the user's locale, UTC on hover). */

const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** A timestamp for people, or an em dash when unset. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : timeFormat.format(date);
}

/** Only the time of day (for "updated at"). */
export function formatClock(date: Date): string {
  return clockFormat.format(date);
}

/** `1.2 s`, `3 min 4 s`, `2 h 5 min` between two timestamps (or until now when `to` is unset). */
export function formatDuration(from: string | null | undefined, to?: string | null): string {
  if (!from) return "—";
  const start = Date.parse(from);
  const end = to ? Date.parse(to) : Date.now();
  if (Number.isNaN(start) || Number.isNaN(end)) return "—";
  return formatMs(Math.max(0, end - start));
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export const formatCount = (n: number): string => n.toLocaleString();

/** Pretty JSON for display; strings that hold JSON (tool arguments) are parsed first. */
export function prettyJson(value: unknown): string {
  if (typeof value === "string") {
    const trimmed = value.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return JSON.stringify(JSON.parse(trimmed), null, 2);
      } catch {
        return value; // still streaming, or not JSON after all
      }
    }
    return value;
  }
  return JSON.stringify(value, null, 2) ?? String(value);
}
