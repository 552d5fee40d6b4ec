/**
 * Reads (contract §4.2, §4.4, §4.6): runs, listings with signed keyset cursors, the event log
 * and the snapshot. Reads see committed data only and never block writers.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { buildSnapshot, type RunSnapshot } from "../domain/agui/snapshot.ts";
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
