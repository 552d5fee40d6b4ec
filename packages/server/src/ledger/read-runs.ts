/**
 * Reads (contract §4.2, §4.4, §4.6): runs, listings with signed keyset cursors, the event log
 * and the snapshot. Reads see committed data only and never block writers.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { buildSnapshot, type RunSnapshot } from "../domain/agui/snapshot.ts";
import { CursorCodec } from "../domain/cursor.ts";
import { Problems } from "../errors.ts";
import type { RunFilter, RunRow, StoredEvent } from "../store/types.ts";
import { findRun, type RunAddress } from "./access.ts";
import type { LedgerContext } from "./context.ts";

export interface PageInfo {
  self: string | null;
  first: null;
  next: string | null;
  prev: string | null;
}

export interface Page<T> {
  data: T[];
  page_info: PageInfo;
}

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
  const listing = CursorCodec.listing({ l: request.listing, p: auth.projectId, ...request.filter });
  const position = request.cursor ? ctx.cursors.decode(listing, request.cursor) : undefined;
  if (request.cursor && !position) {
    throw Problems.invalidCursor(
      "The cursor is malformed, was altered, or belongs to another listing",
    );
  }
  const backwards = position?.direction === "prev";
  const order = backwards ? (request.order === "asc" ? "desc" : "asc") : request.order;
  const rows = await ctx.store.listRuns(filter, {
    order,
    limit: request.limit + 1,
    ...(position && { afterPk: position.pk }),
  });
  const more = rows.length > request.limit;
  const page = rows.slice(0, request.limit);
  if (backwards) page.reverse();
  const first = page[0];
  const last = page[page.length - 1];
  // Going forward, "more" means a next page; going back, it means a previous one.
  const hasNext = backwards ? true : more;
  const hasPrev = backwards ? more : position !== undefined;
  return {
    data: page,
    page_info: {
      self: request.cursor ?? null,
      first: null,
      next:
        hasNext && last ? ctx.cursors.encode(listing, { pk: last.pk, direction: "next" }) : null,
      prev:
        hasPrev && first ? ctx.cursors.encode(listing, { pk: first.pk, direction: "prev" }) : null,
    },
  };
}

export interface EventPageRequest {
  afterEventId: number | undefined;
  cursor: string | undefined;
  limit: number;
}

/** A page of a run's log; cursors are event ids as strings (contract §4.4). */
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

/** The compact picture of a run's log (contract §4.4). */
export async function readSnapshot(
  ctx: LedgerContext,
  auth: AuthContext,
  address: RunAddress,
): Promise<RunSnapshot> {
  const run = await findRun(ctx.store, auth, address);
  const log: StoredEvent[] = [];
  const pageSize = 5000;
  for (;;) {
    const page = await ctx.store.readEvents(run.pk, log.length, pageSize);
    log.push(...page);
    if (page.length < pageSize) break;
  }
  return buildSnapshot(log);
}
