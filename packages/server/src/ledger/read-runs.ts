/**
 * Reads (docs/api.md §4.2, §4.4, §4.6): runs, listings with signed keyset cursors, the event log
 * and the snapshot. Reads see committed data only and never block writers.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { type RunSnapshot, SnapshotBuilder } from "../domain/agui/snapshot/builder.ts";
import { Problems } from "../errors.ts";
import type { RunFilter, RunRow, StoredEvent } from "../store/types.ts";
import { findRun, type RunAddress } from "./access.ts";
import type { LedgerContext } from "./context.ts";
import { keysetPage, type Page } from "./keyset-page.ts";

export type { Page, PageInfo } from "./keyset-page.ts";

export interface ListRequest {
  /** Names the listing (route) so its cursors are refused on any other listing. */
  listing: string;
  filter: Omit<RunFilter, "project_id">;
  order: "asc" | "desc";
  cursor: string | undefined;
  limit: number;
}

export { findRun as getRun };

/** One page of runs, keyset-paged in `order`, with cursors bound to this listing. */
export async function listRuns(
  ctx: LedgerContext,
  auth: AuthContext,
  request: ListRequest,
): Promise<Page<RunRow>> {
  const filter: RunFilter = { ...request.filter, project_id: auth.projectId };
  return keysetPage(
    ctx,
    auth,
    {
      listing: { l: request.listing, ...request.filter },
      order: request.order,
      cursor: request.cursor,
      limit: request.limit,
    },
    (page) => ctx.store.listRuns(filter, page),
  );
}

export interface EventPageRequest {
  afterEventId: number | undefined;
  cursor: string | undefined;
  limit: number;
}

/** A page of a run's log; cursors are event ids as strings (docs/api.md §4.4). */
export async function readEventLog(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  request: EventPageRequest,
): Promise<Page<StoredEvent>> {
  const run = await findRun(ctx.store, auth, address);
  let after = request.afterEventId ?? 0;
  if (request.cursor !== undefined) {
    if (!/^\d{1,15}$/.test(request.cursor)) {
      throw Problems.invalidCursor("An event cursor is an event id: a non-negative integer");
    }
    after = Number(request.cursor);
  }
  const rows = await ctx.store.readEvents(run.pk, after, request.limit + 1);
  const data = rows.slice(0, request.limit);
  const last = data[data.length - 1];
  const self =
    request.cursor ?? (request.afterEventId !== undefined ? String(request.afterEventId) : null);
  return {
    data,
    page_info: {
      self,
      first: null,
      next: rows.length > request.limit && last ? String(last.event_id) : null,
      prev: null,
    },
  };
}

export interface SnapshotLimits {
  /** A log whose events exceed this many bytes of JSON → 400 `snapshot_too_large`. */
  maxBytes: number;
}

/** Most events read from the log per page while folding a snapshot. */
const SNAPSHOT_PAGE = 500;
/**
 * About how many bytes of JSON one page should hold: a store read is one synchronous step on
 * SQLite, so pages of big events (200 KiB deltas) are made shorter — 500 of those would be
 * 100 MiB read in one go, stalling every other request.
 */
const SNAPSHOT_PAGE_BYTES = 2 * 1024 * 1024;
/** The longest the fold runs before it lets the event loop serve others (docs/api.md §12). */
const SLICE_MS = 20;

/**
 * The compact picture of a run's log (docs/api.md §4.4), folded page by page: only the fold's
 * state is held, not the whole log, and the fold yields to the event loop every `SLICE_MS`, so
 * a snapshot of a large run never stalls other requests (issue 16 finding 3: one snapshot of a
 * run holding 184 MiB of text took 1.3 GiB and stalled `/healthz` for 1.5 s). A log larger
 * than `limits.maxBytes` is refused before it can exhaust memory: page it with `…/events`.
 */
export async function readSnapshot(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
  limits: SnapshotLimits,
): Promise<RunSnapshot> {
  const run = await findRun(ctx.store, auth, address);
  const builder = new SnapshotBuilder();
  let bytes = 0;
  let after = 0;
  // A short first page: how big this run's events are is not known yet.
  let pageSize = 32;
  let slice = performance.now();
  for (;;) {
    const page = await ctx.store.readEvents(run.pk, after, pageSize);
    let pageBytes = 0;
    for (const entry of page) {
      const size = Buffer.byteLength(entry.json);
      pageBytes += size;
      bytes += size;
      if (bytes > limits.maxBytes) {
        throw Problems.snapshotTooLarge(
          `The log of run ${run.run_id} is larger than the ${limits.maxBytes} bytes a snapshot may fold; page through …/events instead`,
          { max_bytes: limits.maxBytes },
        );
      }
      builder.add(entry);
      if (performance.now() - slice > SLICE_MS) {
        await yieldToEventLoop();
        slice = performance.now();
      }
    }
    after += page.length;
    if (page.length < pageSize) break;
    // The next page sized by this one's events (at least one event, at most SNAPSHOT_PAGE).
    const average = pageBytes / page.length;
    pageSize = Math.max(1, Math.min(SNAPSHOT_PAGE, Math.floor(SNAPSHOT_PAGE_BYTES / average)));
  }
  return builder.snapshot();
}

export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));
