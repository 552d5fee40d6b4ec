/** Latency samples (milliseconds) and their summaries. */

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** A growable list of samples that keeps at most `cap` of them (reservoir sampling beyond). */
export class Samples {
  private data: Float64Array;
  private length = 0;
  private seen = 0;

  constructor(private readonly cap = 2_000_000) {
    this.data = new Float64Array(Math.min(cap, 65_536));
  }

  add(value: number): void {
    this.seen++;
    if (this.length < this.cap) {
      if (this.length === this.data.length) {
        const grown = new Float64Array(Math.min(this.cap, this.data.length * 2));
        grown.set(this.data);
        this.data = grown;
      }
      this.data[this.length++] = value;
      return;
    }
    const slot = Math.floor(Math.random() * this.seen);
    if (slot < this.cap) this.data[slot] = value;
  }

  get count(): number {
    return this.seen;
  }

  values(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

export function summarize(...parts: Float64Array[]): LatencySummary {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Float64Array(total);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  all.sort();
  const pick = (q: number) =>
    total === 0 ? Number.NaN : (all[Math.min(total - 1, Math.floor(q * total))] as number);
  let sum = 0;
  for (const v of all) sum += v;
  return {
    count: total,
    p50: pick(0.5),
    p90: pick(0.9),
    p99: pick(0.99),
    max: total === 0 ? Number.NaN : (all[total - 1] as number),
    mean: total === 0 ? Number.NaN : sum / total,
  };
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
