/** The results file and the tables printed from it (plain text for the terminal, Markdown). */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FsyncProbe } from "../procs/driver-baseline.ts";
import type { Figure, Settings, Skip } from "./harness.ts";

export interface Results {
  version: 1;
  startedAt: string;
  finishedAt: string;
  mode: "quick" | "full";
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    platform: string;
    kernel: string;
    memoryGiB: number;
    openFilesLimit: string;
    /** 4 KiB write + fdatasync in the temp directory (ms), at the start and the end of the run. */
    fsyncMs: { start?: FsyncProbe; end?: FsyncProbe };
  };
  setup: {
    stores: string[];
    /** SQLite synchronous mode(s) measured (per figure in `figures[].synchronous`). */
    sqliteSynchronous: string[];
    defaultSynchronous: string;
    logLevel: string;
    git: { commit: string; dirty: boolean };
    settings: Settings;
  };
  figures: Figure[];
  skips: Skip[];
  notes: string[];
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "n/a";
  if (unit === "bytes") {
    return Math.abs(value) >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${value.toFixed(0)} B`;
  }
  if (unit === "ms") return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
  return `${Math.round(value).toLocaleString("en-US")} ${unit}`;
}

function storeLabel(f: Figure): string {
  if (f.store === "sqlite") return `sqlite ${f.synchronous ?? ""}`.trim();
  return f.store;
}

function goalLabel(f: Figure): string {
  if (!f.goal) return "";
  return `${f.goal.met ? "met" : "NOT met"}: ${f.goal.text}`;
}

function rows(results: Results): string[][] {
  return results.figures.map((f) => [
    f.scenario,
    f.name,
    storeLabel(f),
    formatValue(f.value, f.unit),
    `${f.baseline.name}: ${formatValue(f.baseline.value, f.unit)}`,
    Number.isFinite(f.ratio) ? `${f.ratio.toFixed(2)} (${f.better} is better)` : "n/a",
    goalLabel(f),
  ]);
}

const HEADERS = ["scenario", "figure", "store", "value", "baseline (same run)", "ratio", "goal"];

export function textTable(results: Results): string {
  const all = [HEADERS, ...rows(results)];
  const widths = HEADERS.map((_, i) =>
    Math.min(60, Math.max(...all.map((r) => (r[i] ?? "").length))),
  );
  const line = (r: string[]) =>
    r.map((cell, i) => cell.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join(" │ ");
  const out = [
    line(HEADERS),
    widths.map((w) => "─".repeat(w)).join("─┼─"),
    ...rows(results).map(line),
  ];
  const { start, end } = results.machine.fsyncMs;
  if (start || end) {
    const show = (p?: FsyncProbe) =>
      p ? `p50 ${p.p50.toFixed(2)} / p99 ${p.p99.toFixed(2)} ms` : "n/a";
    out.push(`disk: 4 KiB write + fdatasync at start ${show(start)}, at end ${show(end)}`);
  }
  for (const s of results.skips) out.push(`skipped: ${s.scenario}: ${s.reason}`);
  for (const n of results.notes) out.push(`note: ${n}`);
  return out.join("\n");
}

export function markdownTable(results: Results): string {
  const escapeCell = (s: string) => s.replaceAll("|", "\\|");
  const out = [
    `| ${HEADERS.join(" | ")} |`,
    `|${HEADERS.map(() => "---").join("|")}|`,
    ...rows(results).map((r) => `| ${r.map(escapeCell).join(" | ")} |`),
  ];
  const { start, end } = results.machine.fsyncMs ?? {};
  const show = (p?: FsyncProbe) =>
    p ? `p50 ${p.p50.toFixed(2)} / p99 ${p.p99.toFixed(2)} ms` : "n/a";
  out.push(
    "",
    `Machine: ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}, ${results.mode} run of ${results.startedAt}. Disk (4 KiB write + fdatasync): ${show(start)} at the start, ${show(end)} at the end.`,
  );
  if (results.skips.length > 0) {
    out.push("", ...results.skips.map((s) => `- skipped: ${s.scenario}: ${s.reason}`));
  }
  if (results.notes.length > 0) out.push("", ...results.notes.map((n) => `- note: ${n}`));
  return out.join("\n");
}

const BIOME = fileURLToPath(new URL("../../node_modules/.bin/biome", import.meta.url));

/**
 * Writes `value` as JSON and formats it with the repository's Biome settings, so a results
 * file that gets committed passes `biome check` as written (best effort: left as written by
 * JSON.stringify when Biome cannot run).
 */
export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  try {
    execFileSync(BIOME, ["format", "--write", file], { stdio: "ignore", timeout: 30_000 });
  } catch {
    // Unformatted but valid JSON.
  }
}
