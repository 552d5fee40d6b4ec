/**
 * Verified API keys, kept for a few seconds so that a request does not read its key from the
 * store (on PostgreSQL, a round trip per request). The secret is still compared on every request
 * (only rows are cached, never secrets). Revocation still takes effect at once:
 *
 * - the process that revokes a key forgets it before answering (the store tells it);
 * - with SQLite, a commit by another process (the CLI) empties the cache: `externalCommits`;
 * - on PostgreSQL the revoking statement also sends a NOTIFY, which every instance's live feed
 *   hears (`forget`); while a feed is not listening (reconnecting), `suspend` turns caching off,
 *   since a revocation could go unheard;
 * - a lookup that started before a revocation cannot cache what it read (the generation check).
 *
 * On PostgreSQL "at once" means as soon as the NOTIFY arrives (milliseconds after the commit).
 */
import { setBounded } from "../bounded-map.ts";
import type { ApiKeyRow } from "../store/types.ts";

/** How long a verified key is trusted without reading it again. */
export const TTL_MS = 5_000;
/** Most keys cached; the oldest entry is dropped first. */
const MAX_ENTRIES = 10_000;

interface Entry {
  row: ApiKeyRow;
  expiresAt: number;
}

export class ApiKeyCache {
  /** By prefix (how a presented key is looked up). */
  readonly #entries = new Map<string, Entry>();
  /** Bumped by every forget/suspend: a lookup that straddles one does not cache its result. */
  #generation = 0;
  #suspended = false;
  /** `externalCommits()` as of the entries cached. */
  #epoch: number;

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly externalCommits: () => number = () => 0,
  ) {
    this.#epoch = externalCommits();
  }

  /** The cached row for `prefix`, if still fresh. */
  get(prefix: string): ApiKeyRow | undefined {
    const epoch = this.externalCommits();
    if (epoch !== this.#epoch) {
      // Another process committed (it may have revoked a key): trust nothing cached before.
      this.#epoch = epoch;
      this.#generation++;
      this.#entries.clear();
      return undefined;
    }
    const entry = this.#entries.get(prefix);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock()) {
      this.#entries.delete(prefix);
      return undefined;
    }
    return entry.row;
  }

  /** Taken before reading a key from the store; hand it back to `set`. */
  ticket(): number {
    return this.#generation;
  }

  /** Caches an unrevoked row read under `ticket`, unless a revocation came in meanwhile. */
  set(row: ApiKeyRow, ticket: number): void {
    if (this.#suspended || ticket !== this.#generation || row.revoked_at !== null) return;
    setBounded(this.#entries, row.prefix, { row, expiresAt: this.clock() + TTL_MS }, MAX_ENTRIES);
  }

  /** A key was revoked (here or on another instance). */
  forget(keyId: string): void {
    this.#generation++;
    for (const [prefix, entry] of this.#entries) {
      if (entry.row.id === keyId) this.#entries.delete(prefix);
    }
  }

  /** Revocations cannot be heard right now: cache nothing, and drop what is cached. */
  suspend(): void {
    this.#suspended = true;
    this.#generation++;
    this.#entries.clear();
  }

  resume(): void {
    this.#suspended = false;
  }
}
