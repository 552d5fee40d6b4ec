/**
 * A page's `<h1>`: sets the document title and, after in-app navigation (not on first load),
 * moves focus to itself so keyboard and screen-reader users start at the new page's top.
 */
import { type ReactNode, useEffect, useRef } from "react";

let firstPage = true;

export function PageHeading(props: { title: string; children?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Runline Inspector`;
  }, [props.title]);
  useEffect(() => {
    if (firstPage) {
      firstPage = false;
      return;
    }
    ref.current?.focus({ preventScroll: false });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {props.children ?? props.title}
    </h1>
  );
}
