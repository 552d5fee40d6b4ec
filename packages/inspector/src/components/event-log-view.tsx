/**
 * The raw event log beside the conversation: a windowed list of every event (id, type,
 * summary, time) that loads pages as they scroll into view and follows the live tail, filters
 * by category (loading the whole log in the background when a filter needs it), and the full
 * JSON of the selected event below it.
 */
import { useCallback, useId, useMemo, useState } from "react";
import { type EventLogStore, PAGE_SIZE } from "../lib/event-log.ts";
import { CATEGORIES, type Category, categoryOf, summarize } from "../lib/event-types.ts";
import { formatCount, formatTime } from "../lib/format.ts";
import { VirtualList } from "./virtual-list.tsx";

const ROW_HEIGHT = 28;
const ALL: ReadonlySet<Category> = new Set(CATEGORIES.map((c) => c.id));

/** Index of `id` in ascending `ids`, or -1. */
function indexOf(ids: readonly number[], id: number): number {
  let low = 0;
  let high = ids.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const value = ids[mid]!;
    if (value === id) return mid;
    if (value < id) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

export function EventLogView(props: { log: EventLogStore; version: number }) {
  const { log } = props;
  const [categories, setCategories] = useState<ReadonlySet<Category>>(ALL);
  const [selected, setSelected] = useState<number | undefined>();
  const [follow, setFollow] = useState(true);
  const listId = useId();
  const filtering = categories.size < ALL.size;

  // Recomputed when the log changes (`version`) or the filter does.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` stands for the log's contents
  const filtered = useMemo(
    () => log.filter(filtering ? categories : ALL),
    [log, categories, filtering, props.version],
  );
  const count = filtering ? filtered.ids.length : log.total;
  const idAt = useCallback(
    (index: number) => (filtering ? filtered.ids[index] : index + 1),
    [filtering, filtered],
  );

  const onRangeChange = useCallback(
    (start: number, end: number) => {
      if (!filtering) log.ensure(start + 1, end);
    },
    [log, filtering],
  );

  const toggle = (category: Category, on: boolean) => {
    const next = new Set(categories);
    if (on) next.add(category);
    else next.delete(category);
    setCategories(next);
    if (next.size < ALL.size) log.loadEverything();
  };

  const activeIndex =
    selected === undefined ? undefined : filtering ? indexOf(filtered.ids, selected) : selected - 1;
  const selectedRow = selected === undefined ? undefined : log.row(selected);

  return (
    <div className="event-log">
      <fieldset className="log-filters">
        <legend>Show</legend>
        {CATEGORIES.map((c) => (
          <label key={c.id} className="checkbox">
            <input
              type="checkbox"
              checked={categories.has(c.id)}
              onChange={(e) => toggle(c.id, e.target.checked)}
            />{" "}
            {c.label} <span className="muted">({formatCount(filtered.counts[c.id])})</span>
          </label>
        ))}
        {filtering && (
          <button type="button" className="link-button" onClick={() => setCategories(ALL)}>
            Show all
          </button>
        )}
      </fieldset>
      <div className="log-status">
        <span data-testid="log-count">
          {filtering
            ? `${formatCount(count)} matching of ${formatCount(log.total)} events`
            : `${formatCount(log.total)} events`}
        </span>
        {filtering && !log.fullyLoaded && (
          <span role="status">
            {" "}
            · loading the log to filter it: {formatCount(log.loaded)} of {formatCount(log.total)}
          </span>
        )}
        {log.error && (
          <span className="error" role="alert">
            {" "}
            · {log.error}
          </span>
        )}
        <label className="checkbox">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />{" "}
          Follow new events
        </label>
      </div>
      <VirtualList
        count={count}
        rowHeight={ROW_HEIGHT}
        label={`Events of this run, ${PAGE_SIZE} loaded per page as you scroll`}
        idPrefix={listId}
        activeIndex={activeIndex !== undefined && activeIndex >= 0 ? activeIndex : undefined}
        onActiveChange={(index) => setSelected(idAt(index))}
        onRangeChange={onRangeChange}
        stickToEnd={follow}
        onAtEndChange={(atEnd) => setFollow(atEnd)}
        className="log-list"
        renderRow={(index) => {
          const id = idAt(index);
          const row = id === undefined ? undefined : log.row(id);
          if (!row) {
            return (
              <>
                <span className="log-id">{id}</span>
                <span className="muted">loading…</span>
              </>
            );
          }
          return (
            <>
              <span className="log-id">{row.id}</span>
              <span className={`log-type cat-${categoryOf(row.type)}`}>{row.type}</span>
              <span className="log-summary">{summarize(row.event)}</span>
            </>
          );
        }}
      />
      <div className="log-detail" aria-live="off">
        {selectedRow ? (
          <>
            <div className="log-detail-head">
              Event <span className="mono">#{selectedRow.id}</span>{" "}
              <span className="mono">{selectedRow.type}</span>
              {selectedRow.createdAt && (
                <span className="muted"> · {formatTime(selectedRow.createdAt)}</span>
              )}
            </div>
            <pre className="code" data-testid="event-json">
              {JSON.stringify(selectedRow.event, null, 2)}
            </pre>
          </>
        ) : (
          <p className="muted">
            Select an event (click, or focus the list and use the arrow keys) to see its JSON.
          </p>
        )}
      </div>
    </div>
  );
}
