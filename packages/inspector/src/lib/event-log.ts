/**
 * The raw event log of one run, held as a sparse array indexed by event id and loaded lazily:
 * pages of `GET …/events` are fetched only for the rows someone looks at (a 100,000-event run
 * costs a few requests, not a hundred thousand rows), live events from the stream land
 * directly. Filtering by category needs every row, so asking for a filter loads the rest of
 * the log in the background, page after page, and filters what has arrived so far.
 */
import { type Category, categoryOf } from "./event-types.ts";
import type { AguiEvent } from "./run-model.ts";

export interface LogRow {
  id: number;
  type: string;
  event: AguiEvent;
  /** Known for rows read from the log; live rows from the stream carry none. */
  createdAt?: string;
}

export type FetchPage = (afterEventId: number, limit: number) => Promise<LogRow[]>;

export interface FilterResult {
  /** Ids of loaded rows in the chosen categories, ascending. */
  ids: number[];
  /** Loaded rows per category (all categories, for the filter labels). */
  counts: Record<Category, number>;
}

export const PAGE_SIZE = 500;
const PARALLEL_PAGES = 3;

export class EventLogStore {
  private readonly rows: (LogRow | undefined)[] = [];
  private highest = 0;
  private loadedRows = 0;
  private readonly complete = new Set<number>();
  private readonly inflight = new Set<number>();
  private wanted: number[] = [];
  private everything = false;
  private failure: string | undefined;
  private version = 0;
  private filterCache: { key: string; version: number; result: FilterResult } | undefined;

  constructor(
    private readonly fetchPage: FetchPage,
    private readonly changed: () => void,
    private readonly describe: (error: unknown) => string,
  ) {}

  /** The highest event id known (the log holds ids 1..total). */
  get total(): number {
    return this.highest;
  }

  get loaded(): number {
    return this.loadedRows;
  }

  get error(): string | undefined {
    return this.failure;
  }

  /** Whether every row up to `total` is here. */
  get fullyLoaded(): boolean {
    return this.loadedRows >= this.highest;
  }

  get changes(): number {
    return this.version;
  }

  row(id: number): LogRow | undefined {
    return this.rows[id - 1];
  }

  /** The log is known to reach this id (e.g. the snapshot's `after_event_id`). */
  extendTo(id: number): void {
    if (id > this.highest) {
      this.highest = id;
      this.touch();
    }
  }

  /** A row from the stream or a page; a row with `createdAt` replaces one without. */
  add(row: LogRow): void {
    const index = row.id - 1;
    const existing = this.rows[index];
    if (existing && (existing.createdAt || !row.createdAt)) return;
    if (!existing) this.loadedRows += 1;
    this.rows[index] = row;
    if (row.id > this.highest) this.highest = row.id;
    this.touch();
  }

  /** Loads the pages holding ids `from..to` that are missing rows (the visible ones first). */
  ensure(from: number, to: number): void {
    const first = pageOf(Math.max(1, from));
    const last = pageOf(Math.max(1, Math.min(to, this.highest)));
    const pages: number[] = [];
    for (let page = first; page <= last; page += 1) if (this.missing(page)) pages.push(page);
    this.wanted = pages;
    this.pump();
  }

  /** Loads the whole log in the background (for filters). */
  loadEverything(): void {
    if (this.everything) return;
    this.everything = true;
    this.pump();
  }

  /** Rows of the chosen categories among those loaded (memoised until the log changes). */
  filter(categories: ReadonlySet<Category>): FilterResult {
    const key = [...categories].sort().join(",");
    if (this.filterCache?.key === key && this.filterCache.version === this.version) {
      return this.filterCache.result;
    }
    const ids: number[] = [];
    const counts: Record<Category, number> = {
      lifecycle: 0,
      text: 0,
      reasoning: 0,
      tool: 0,
      state: 0,
      other: 0,
    };
    for (let i = 0; i < this.highest; i += 1) {
      const row = this.rows[i];
      if (!row) continue;
      const category = categoryOf(row.type);
      counts[category] += 1;
      if (categories.has(category)) ids.push(row.id);
    }
    const result = { ids, counts };
    this.filterCache = { key, version: this.version, result };
    return result;
  }

  private touch(): void {
    this.version += 1;
    this.changed();
  }

  private missing(page: number): boolean {
    if (this.complete.has(page)) return false;
    const end = Math.min((page + 1) * PAGE_SIZE, this.highest);
    for (let id = page * PAGE_SIZE + 1; id <= end; id += 1) if (!this.rows[id - 1]) return true;
    return false;
  }

  private next(): number | undefined {
    while (this.wanted.length > 0) {
      const page = this.wanted.shift()!;
      if (!this.inflight.has(page) && this.missing(page)) return page;
    }
    if (!this.everything) return undefined;
    for (let page = 0; page <= pageOf(Math.max(1, this.highest)); page += 1) {
      if (!this.inflight.has(page) && this.missing(page)) return page;
    }
    return undefined;
  }

  private pump(): void {
    while (this.inflight.size < PARALLEL_PAGES) {
      const page = this.next();
      if (page === undefined) return;
      this.inflight.add(page);
      this.fetchPage(page * PAGE_SIZE, PAGE_SIZE)
        .then((rows) => {
          this.failure = undefined;
          for (const row of rows) this.add(row);
          if (rows.length === PAGE_SIZE) this.complete.add(page);
          this.touch();
        })
        .catch((error: unknown) => {
          this.failure = this.describe(error);
          this.everything = false; // stop the background load; scrolling retries pages
          this.touch();
        })
        .finally(() => {
          this.inflight.delete(page);
          if (!this.failure) this.pump();
        });
    }
  }
}

/** The page holding an event id (ids start at 1). */
export const pageOf = (id: number): number => Math.floor((id - 1) / PAGE_SIZE);
