/**
 * A tiny History API router under `/ui` (the server answers every `/ui/…` path with the app).
 *
 * Routes:
 * - `/ui/` — the runs list; filters and the page cursor live in the query string;
 * - `/ui/conversations/{conversation_id}` — a conversation: the timeline of its runs, live;
 * - `/ui/conversations/{conversation_id}/runs/{run_id}` — a run;
 * - `/ui/runs/{run_id}` — a run by id alone (resolved to its conversation, then replaced).
 */
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from "react";

export const BASE = "/ui";
const CHANGE = "runline:navigate";

export type Route =
  | { name: "runs"; query: URLSearchParams }
  | { name: "conversation"; conversationId: string }
  | { name: "run"; conversationId: string; runId: string }
  | { name: "run-by-id"; runId: string }
  | { name: "not-found"; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split("/").filter(Boolean).map(safeDecode);
  if (parts.length === 0) return { name: "runs", query: new URLSearchParams(search) };
  if (parts.length === 2 && parts[0] === "conversations") {
    return { name: "conversation", conversationId: parts[1]! };
  }
  if (parts.length === 4 && parts[0] === "conversations" && parts[2] === "runs") {
    return { name: "run", conversationId: parts[1]!, runId: parts[3]! };
  }
  if (parts.length === 2 && parts[0] === "runs") return { name: "run-by-id", runId: parts[1]! };
  return { name: "not-found", path: pathname };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The in-app URL of a run's page. */
export const runHref = (conversationId: string, runId: string): string =>
  `${BASE}/conversations/${encodeURIComponent(conversationId)}/runs/${encodeURIComponent(runId)}`;

/** The in-app URL of a conversation's page (the timeline of its runs). */
export const conversationHref = (conversationId: string): string =>
  `${BASE}/conversations/${encodeURIComponent(conversationId)}`;

/** The in-app URL of a run known only by id. */
export const runByIdHref = (runId: string): string => `${BASE}/runs/${encodeURIComponent(runId)}`;

/** The runs list with these query parameters (empty values left out). */
export function runsHref(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const search = query.toString();
  return `${BASE}/${search ? `?${search}` : ""}`;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.dispatchEvent(new Event(CHANGE));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(CHANGE, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(CHANGE, onChange);
  };
}

const currentUrl = () => location.pathname + location.search;

/** The current path and query; re-renders on navigation. */
export function useLocation(): { pathname: string; search: string } {
  const url = useSyncExternalStore(subscribe, currentUrl);
  const at = url.indexOf("?");
  return at < 0
    ? { pathname: url, search: "" }
    : { pathname: url.slice(0, at), search: url.slice(at) };
}

/** An `<a>` that navigates inside the app (modified clicks keep their browser meaning). */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { onClick, href, ...rest } = props;
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (props.target && props.target !== "_self") return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} {...rest} onClick={handle} />;
}
