/**
 * How big the reliability tests run, and the randomness they run on.
 *
 * - `RELIABILITY_SCALE` (default 1) multiplies every count (kills, cycles, fuzz cases, model
 *   runs). The default keeps `npm test` modest; `npm run test:reliability` runs larger.
 * - `RELIABILITY_SEED` replays a run: every test prints the seed it used.
 */

function readScale(): number {
  const raw = process.env.RELIABILITY_SCALE;
  if (raw === undefined || raw.trim() === "") return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 100) {
    throw new Error(`RELIABILITY_SCALE must be a number in (0, 100], got ${JSON.stringify(raw)}`);
  }
  return value;
}

function readSeed(): number {
  const raw = process.env.RELIABILITY_SEED;
  if (raw === undefined || raw.trim() === "") return Math.floor(Math.random() * 0x7fffffff);
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error("RELIABILITY_SEED must be an integer");
  return value;
}

export const SCALE = readScale();
export const SEED = readSeed();

/** `base` times the scale, at least `min`. */
export function scaled(base: number, min = 1): number {
  return Math.max(min, Math.round(base * SCALE));
}

/** A small seeded PRNG (mulberry32): the same seed replays the same choices. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** An independent generator derived from this one (for a producer, a sub-test). */
  fork(): Rng {
    return new Rng(this.int(0, 0x7fffffff));
  }
}
