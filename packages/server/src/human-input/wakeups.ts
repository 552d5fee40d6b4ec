/**
 * Wakes long-polling reads of an input request (`GET …/input-requests/{id}?wait_seconds=`)
 * when it changes. A reader `watch`es its request id first, then reads, then `wait`s: a wake-up
 * that arrives after `watch` — even while it was reading — ends the wait at once, so none falls
 * between the read and the wait. `server.ts` wakes ids from the human-input hub and, with
 * PostgreSQL, from other instances' NOTIFY.
 */

export interface RequestWatch {
  /**
   * Resolves true when woken since `watch()` or the previous wait, false after `ms` or when
   * `signal` aborts.
   */
  wait(ms: number, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

export class InputRequestWakeups {
  readonly #watches = new Map<string, Set<() => void>>();

  watch(id: string): RequestWatch {
    let woken = false;
    let settle: ((woken: boolean) => void) | undefined;
    const wake = () => {
      if (settle) settle(true);
      else woken = true;
    };
    let set = this.#watches.get(id);
    if (!set) {
      set = new Set();
      this.#watches.set(id, set);
    }
    set.add(wake);
    const close = () => {
      settle?.(false);
      const current = this.#watches.get(id);
      current?.delete(wake);
      if (current?.size === 0) this.#watches.delete(id);
    };
    return {
      close,
      wait: (ms, signal) => {
        if (woken) {
          woken = false;
          return Promise.resolve(true);
        }
        if (signal?.aborted) return Promise.resolve(false);
        return new Promise<boolean>((resolve) => {
          const onAbort = () => finish(false);
          const finish = (outcome: boolean) => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            settle = undefined;
            resolve(outcome);
          };
          const timer = setTimeout(() => finish(false), Math.min(Math.max(ms, 0), 2 ** 31 - 1));
          signal?.addEventListener("abort", onAbort, { once: true });
          settle = finish;
        });
      },
    };
  }

  /** Wakes every reader waiting on `id`. */
  wake(id: string): void {
    for (const wake of this.#watches.get(id) ?? []) wake();
  }

  /** Readers watching right now (tests, metrics). */
  get watching(): number {
    let count = 0;
    for (const set of this.#watches.values()) count += set.size;
    return count;
  }
}
