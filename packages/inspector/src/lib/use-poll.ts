/**
 * Runs `refresh` now, then every `intervalMs` while the tab is visible, and again whenever the
 * window regains focus or the tab becomes visible. The server has no list-level push, so this
 * is how lists stay current; a hidden tab costs nothing.
 */
import { useEffect, useRef } from "react";

export function usePolling(refresh: () => void, intervalMs: number, enabled = true): void {
  const latest = useRef(refresh);
  latest.current = refresh;

  useEffect(() => {
    if (!enabled) return;
    const run = () => latest.current();
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") run();
    }, intervalMs);
    const onVisible = () => {
      if (document.visibilityState === "visible") run();
    };
    window.addEventListener("focus", run);
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener("focus", run);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [intervalMs, enabled]);
}
