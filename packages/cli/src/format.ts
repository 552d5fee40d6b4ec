/** Small text formatting helpers for human-readable output: tables, truncation, statuses. */
import type { Style } from "./io.ts";

/** Left-aligned columns separated by two spaces; `cell` may add colour after padding. */
export function table(
  header: string[],
  rows: string[][],
  cell: (text: string, column: number) => string = (text) => text,
): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  return all
    .map((row, r) => {
      const cells = row.map((text, i) => {
        const padded = i === row.length - 1 ? text : text.padEnd(widths[i]!);
        return r === 0 ? padded : cell(padded, i);
      });
      return `${cells.join("  ").trimEnd()}\n`;
    })
    .join("");
}

/** At most `max` characters, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, " ");
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** An AG-UI event without its `type`, as one short line of JSON ("" when nothing is left). */
export function eventDetail(event: Record<string, unknown>, max: number): string {
  const { type: _type, ...rest } = event;
  return Object.keys(rest).length === 0 ? "" : truncate(JSON.stringify(rest), max);
}

/** A run status coloured by outcome (green done, red failed, yellow cancelled or waiting). */
export function colourStatus(status: string, style: Style): string {
  const bare = status.trim();
  if (bare === "completed") return style.green(status);
  if (bare === "failed") return style.red(status);
  if (bare === "cancelled" || bare.startsWith("waiting")) return style.yellow(status);
  return status;
}

/**
 * An id short enough for a table column. Server-made ids (UUIDv7, `run_` + UUIDv7) begin with a
 * timestamp that runs created together share, so what tells them apart is the random tail:
 * they keep it (`…3f9a2c1b`, `run_…3f9a2c1b`). Other long ids keep their head.
 */
export function shortId(id: string): string {
  if (id.length <= 14) return id;
  const uuid = /^([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}([0-9a-f]{8})$/i.exec(
    id,
  );
  if (uuid) return `…${uuid[2]}`;
  const runId = /^run_[0-9a-f]{24}([0-9a-f]{8})$/i.exec(id);
  if (runId) return `run_…${runId[1]}`;
  return truncate(id, 14);
}

/** An ISO timestamp as `YYYY-MM-DD HH:MMZ` (UTC, minutes): enough to place a run in a list. */
export function shortTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

/** A duration in its two largest units: `850ms`, `12s`, `6m 12s`, `2h 5m`, `3d 4h`. */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}
