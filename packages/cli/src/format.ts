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
