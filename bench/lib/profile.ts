/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and summarises it: self time per
 * function, self time per package (or per Runline source file), and inclusive time of the
 * functions of Runline's own code. Samples can be cropped to a window (microseconds on the
 * profile's clock, which is `process.hrtime` in the profiled process).
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  where: string;
  category: string;
  ms: number;
  /** Share of busy (non-idle) time. */
  pct: number;
}

export interface ProfileSummary {
  windowMs: number;
  busyMs: number;
  /** Busy time as a share of the window on one core. */
  busyPct: number;
  topSelf: FunctionTime[];
  categories: { category: string; ms: number; pct: number }[];
  runlineInclusive: FunctionTime[];
}

const IDLE = new Set(["(idle)"]);

function shortUrl(url: string): string {
  const at = url.indexOf("/node_modules/");
  if (at >= 0) return url.slice(at + "/node_modules/".length);
  const src = url.indexOf("/packages/");
  if (src >= 0) return url.slice(src + 1);
  const bench = url.indexOf("/bench/");
  if (bench >= 0) return url.slice(bench + 1);
  return url.replace(/^file:\/\//, "");
}

export function categoryOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === "(garbage collector)") return "gc";
    if (functionName.startsWith("(")) return functionName;
    return "v8 builtins (JSON, RegExp, …)";
  }
  if (url.startsWith("node:")) return "node core";
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    const pkg = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] as string);
    return pkg;
  }
  const src = url.indexOf("/packages/server/src/");
  if (src >= 0) return `runline ${url.slice(src + "/packages/server/src/".length)}`;
  if (url.includes("/bench/")) return "bench harness";
  return "other";
}

/**
 * Maps a generated position (0-based line and column, as in the profile) to the original
 * source: tsx compiles TypeScript with minified whitespace, so without this every function of
 * a file seems to sit on line 1. Returns a 1-based line and that line's text.
 */
export type PositionMapper = (
  url: string,
  line: number,
  column: number,
) => { line: number; text: string } | undefined;

/** Every script URL the profile mentions. */
export function profileUrls(file: string): string[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  return [...new Set(profile.nodes.map((n) => n.callFrame.url).filter((u) => u !== ""))];
}

export function analyzeProfile(
  file: string,
  window?: { fromUs: number; toUs: number },
  top = 25,
  mapPosition?: PositionMapper,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  // Frames of Runline's TypeScript get their original line (and anonymous ones a name).
  if (mapPosition) {
    for (const node of profile.nodes) {
      const frame = node.callFrame;
      if (!frame.url.includes("/packages/server/src/")) continue;
      const original = mapPosition(frame.url, frame.lineNumber, frame.columnNumber);
      if (!original) continue;
      frame.lineNumber = original.line - 1;
      frame.columnNumber = 0;
      if (!frame.functionName) {
        frame.functionName = `(anon) ${original.text.trim().replace(/\s+/g, " ").slice(0, 40)}`;
      }
    }
  }
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  let windowUs = 0;
  const from = window?.fromUs ?? Number.NEGATIVE_INFINITY;
  const to = window?.toUs ?? Number.POSITIVE_INFINITY;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  // Sample i is attributed the time until the next sample.
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (t < from || t > to) continue;
    first = Math.min(first, t);
    last = Math.max(last, t);
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  windowUs = Number.isFinite(first) ? last - first : 0;

  const keyOf = (frame: CallFrame) =>
    `${frame.functionName || "(anonymous)"}|${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
  const self = new Map<string, { frame: CallFrame; us: number }>();
  const categories = new Map<string, number>();
  const inclusive = new Map<string, { frame: CallFrame; us: number }>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const frame = node.callFrame;
    if (IDLE.has(frame.functionName) && !frame.url) continue;
    busyUs += us;
    const key = keyOf(frame);
    const entry = self.get(key) ?? { frame, us: 0 };
    entry.us += us;
    self.set(key, entry);
    const category = categoryOf(frame);
    categories.set(category, (categories.get(category) ?? 0) + us);
    // Inclusive time of Runline's own functions: each distinct one on this sample's stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      if (f === undefined || !f.url.includes("/packages/server/src/")) continue;
      const k = keyOf(f);
      if (seen.has(k)) continue;
      seen.add(k);
      const e = inclusive.get(k) ?? { frame: f, us: 0 };
      e.us += us;
      inclusive.set(k, e);
    }
  }
  const toTime = ({ frame, us }: { frame: CallFrame; us: number }): FunctionTime => ({
    name: frame.functionName || "(anonymous)",
    where: frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : "",
    category: categoryOf(frame),
    ms: us / 1000,
    pct: busyUs > 0 ? (100 * us) / busyUs : 0,
  });
  return {
    windowMs: windowUs / 1000,
    busyMs: busyUs / 1000,
    busyPct: windowUs > 0 ? (100 * busyUs) / windowUs : 0,
    topSelf: [...self.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(toTime),
    categories: [...categories.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({
        category,
        ms: us / 1000,
        pct: busyUs > 0 ? (100 * us) / busyUs : 0,
      })),
    runlineInclusive: [...inclusive.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(toTime),
  };
}
