/**
 * Small AbortSignal helpers that work the same in Node 20+ and browsers: linking several
 * signals into one (with explicit cleanup, so a long-lived caller signal does not collect a
 * listener per request) and an abortable sleep.
 */

export interface LinkedSignal {
  signal: AbortSignal;
  /** Aborts the linked signal itself (e.g. an idle timeout), with this reason. */
  abort(reason: unknown): void;
  /** Detaches from the source signals; call when the operation is over. */
  dispose(): void;
}

/** A signal that aborts when any source aborts (or when `abort` is called). */
export function linkSignals(...sources: (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const detach: (() => void)[] = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = () => controller.abort(source.reason);
    source.addEventListener("abort", onAbort, { once: true });
    detach.push(() => source.removeEventListener("abort", onAbort));
  }
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose: () => {
      for (const d of detach.splice(0)) d();
    },
  };
}

/** The reason a signal carries, as something throwable. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
