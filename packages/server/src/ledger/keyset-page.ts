/**
 * One page of a keyset-paged listing (docs/api.md §4.6 `page_info`), whatever is listed: rows
 * carry an internal `pk`, cursors are signed and bound to the listing they came from.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { CursorCodec } from "../domain/cursor.ts";
import { Problems } from "../errors.ts";
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

export interface KeysetRequest {
  /** Names the listing (route and filters) so its cursors are refused on any other listing. */
  listing: Record<string, string | number | undefined>;
  order: "asc" | "desc";
  cursor: string | undefined;
  limit: number;
}

/** Reads up to `limit` rows in `order` strictly after `afterPk` (from the start when absent). */
export type KeysetFetch<T> = (page: {
  order: "asc" | "desc";
  limit: number;
  afterPk?: number;
}) => Promise<T[]>;

export async function keysetPage<T extends { pk: number }>(
  ctx: LedgerContext,
  auth: AuthContext,
  request: KeysetRequest,
  fetch: KeysetFetch<T>,
): Promise<Page<T>> {
  const listing = CursorCodec.listing({ ...request.listing, p: auth.projectId });
  const position = request.cursor ? ctx.cursors.decode(listing, request.cursor) : undefined;
  if (request.cursor && !position) {
    throw Problems.invalidCursor(
      "The cursor is malformed, was altered, or belongs to another listing",
    );
  }
  const backwards = position?.direction === "prev";
  const order = backwards ? (request.order === "asc" ? "desc" : "asc") : request.order;
  const rows = await fetch({
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
