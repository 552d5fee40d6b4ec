/**
 * A windowed list: only the rows in view (plus a few either side) exist in the DOM, so a list
 * of 100,000 rows scrolls like one of 50. Rows have one fixed height.
 *
 * Accessible as a `listbox`: it takes focus, the arrow keys, Page Up/Down, Home and End move the
 * active row (kept in view, announced through `aria-activedescendant`, with `aria-setsize` /
 * `aria-posinset` telling the full size). With `stickToEnd`, a list scrolled to its end stays
 * there as rows are added (a live tail).
 */
import {
  type KeyboardEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from "react";

const OVERSCAN = 8;

export interface VirtualListProps {
  count: number;
  rowHeight: number;
  label: string;
  idPrefix: string;
  activeIndex: number | undefined;
  onActiveChange: (index: number) => void;
  renderRow: (index: number) => ReactNode;
  /** Told which rows are rendered (start inclusive, end exclusive), e.g. to load them. */
  onRangeChange?: (start: number, end: number) => void;
  stickToEnd?: boolean;
  /** Told whether the list sits at its end (after the user scrolls). */
  onAtEndChange?: (atEnd: boolean) => void;
  className?: string;
}

export function VirtualList(props: VirtualListProps) {
  const { count, rowHeight, activeIndex, onActiveChange, onRangeChange, stickToEnd } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const atEnd = useRef(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Turning the tail on jumps to the end.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !stickToEnd) return;
    atEnd.current = true;
    el.scrollTop = el.scrollHeight;
    setScrollTop(el.scrollTop);
  }, [stickToEnd]);

  // A live tail: stay at the end while rows arrive, if the list was at its end.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !stickToEnd || !atEnd.current || count === 0) return;
    el.scrollTop = el.scrollHeight;
    setScrollTop(el.scrollTop);
  }, [count, stickToEnd]);

  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - OVERSCAN);
  const end = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + OVERSCAN);

  useEffect(() => {
    if (end > start) onRangeChange?.(start, end);
  }, [start, end, onRangeChange]);

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    const nowAtEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight / 2;
    if (nowAtEnd !== atEnd.current) {
      atEnd.current = nowAtEnd;
      props.onAtEndChange?.(nowAtEnd);
    }
  };

  const reveal = useCallback(
    (index: number) => {
      const el = ref.current;
      if (!el) return;
      const top = index * rowHeight;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + rowHeight > el.scrollTop + el.clientHeight) {
        el.scrollTop = top + rowHeight - el.clientHeight;
      }
      setScrollTop(el.scrollTop);
    },
    [rowHeight],
  );

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (count === 0) return;
    const page = Math.max(1, Math.floor(height / rowHeight) - 1);
    const current = activeIndex ?? -1;
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: count - 1,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const next = Math.min(count - 1, Math.max(0, target));
    onActiveChange(next);
    reveal(next);
  };

  const rows: ReactNode[] = [];
  for (let index = start; index < end; index += 1) {
    const active = index === activeIndex;
    rows.push(
      // biome-ignore lint/a11y/useKeyWithClickEvents: the listbox handles the keyboard for all rows
      // biome-ignore lint/a11y/useFocusableInteractive: options of an aria-activedescendant listbox take no focus themselves
      <div
        key={index}
        id={`${props.idPrefix}-${index}`}
        role="option"
        aria-selected={active}
        aria-setsize={count}
        aria-posinset={index + 1}
        className={`vrow${active ? " vrow-active" : ""}`}
        style={{ transform: `translateY(${index * rowHeight}px)`, height: rowHeight }}
        onClick={() => onActiveChange(index)}
      >
        {props.renderRow(index)}
      </div>,
    );
  }
  const activeRendered = activeIndex !== undefined && activeIndex >= start && activeIndex < end;
  return (
    <div
      ref={ref}
      className={`vlist ${props.className ?? ""}`}
      role="listbox"
      tabIndex={0}
      aria-label={props.label}
      aria-activedescendant={activeRendered ? `${props.idPrefix}-${activeIndex}` : undefined}
      // As tall as its rows (plus the border), up to the stylesheet's max-height: a short log
      // leaves no blank area, a long one scrolls.
      style={{ height: Math.max(count, 1) * rowHeight + 2 }}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
    >
      <div className="vlist-spacer" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
