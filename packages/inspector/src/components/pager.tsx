/** Cursor paging for a newest-first list: back to the newest, newer (prev), older (next). */
import type { PageInfo } from "@runline/client";

export function Pager(props: {
  pageInfo: PageInfo;
  atStart: boolean;
  onPage: (cursor: string | undefined) => void;
}) {
  const { pageInfo, atStart, onPage } = props;
  if (atStart && !pageInfo.next) return null;
  return (
    <nav className="pager" aria-label="Pages of runs">
      <button type="button" disabled={atStart} onClick={() => onPage(undefined)}>
        Newest
      </button>
      <button
        type="button"
        disabled={!pageInfo.prev}
        onClick={() => onPage(pageInfo.prev ?? undefined)}
      >
        ← Newer
      </button>
      <button
        type="button"
        disabled={!pageInfo.next}
        onClick={() => onPage(pageInfo.next ?? undefined)}
      >
        Older →
      </button>
    </nav>
  );
}
