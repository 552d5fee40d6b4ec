/**
 * Waking long-polling claims (docs/api.md §5, `wait_seconds`) when a run may have become claimable,
 * instead of polling the database.
 *
 * A claim first `watch`es its (project, implementation kind, worker key), then looks for a run,
 * then `wait`s: a `notify` that arrived at any moment after `watch` — even while the claim was
 * querying — ends the next `wait` at once, so no wake-up falls between the query and the wait.
 *
 * Who notifies: the server's commit hook (`server.ts`), with `claimSignalFor` a committed run
 * (created with an `implementation_kind`, back to `running` without a live lease). Across
 * instances the PostgreSQL feed (`live/postgres-feed.ts`) carries the same `ClaimSignal` over
 * LISTEN/NOTIFY and calls `notify` on the other side.
 */
import type { RunRow } from "../store/types.ts";

/** What a waiting claim can take: runs of this project and kind, for any worker key or this one. */
export interface ClaimTarget {
  projectId: string;
  implementationKind: string;
  workerKey: string;
}

/** A run of this project and kind may be claimable now (`workerKey` null: by any worker). */
export interface ClaimSignal {
  projectId: string;
  implementationKind: string;
  workerKey: string | null;
}

/** How a wait ended. */
export type WaitOutcome = "notified" | "timeout" | "aborted";

export interface ClaimWatch {
  /**
   * Resolves "notified" as soon as a matching signal arrived since `watch()` or the previous
   * wait, "timeout" after `ms` milliseconds, "aborted" when `signal` aborts or the watch closes.
   */
  wait(ms: number, signal?: AbortSignal): Promise<WaitOutcome>;
  /** Stops watching: ends a pending wait ("aborted"), frees its timer and listeners. */
  close(): void;
}

export interface ClaimWakeups {
  watch(target: ClaimTarget): ClaimWatch;
  notify(signal: ClaimSignal): void;
  /** Open watches: claims between `watch()` and `close()` (metrics, tests). */
  readonly watching: number;
  /** Claims asleep in `wait()` right now (metrics, tests). */
  readonly waiting: number;
}

const keyOf = (projectId: string, implementationKind: string) =>
  `${projectId}\u0000${implementationKind}`;

/** In-process wake-ups: a map from (project, kind) to the claims watching it. */
export class LocalClaimWakeups implements ClaimWakeups {
  private readonly watches = new Map<string, Set<LocalWatch>>();

  watch(target: ClaimTarget): ClaimWatch {
    const key = keyOf(target.projectId, target.implementationKind);
    let set = this.watches.get(key);
    if (!set) {
      set = new Set();
      this.watches.set(key, set);
    }
    const watch = new LocalWatch(target.workerKey, (closed) => {
      const current = this.watches.get(key);
      current?.delete(closed);
      if (current?.size === 0) this.watches.delete(key);
    });
    set.add(watch);
    return watch;
  }

  notify(signal: ClaimSignal): void {
    const set = this.watches.get(keyOf(signal.projectId, signal.implementationKind));
    if (!set) return;
    for (const watch of set) {
      if (signal.workerKey === null || signal.workerKey === watch.workerKey) watch.wake();
    }
  }

  get watching(): number {
    let count = 0;
    for (const set of this.watches.values()) count += set.size;
    return count;
  }

  get waiting(): number {
    let count = 0;
    for (const set of this.watches.values()) {
      for (const watch of set) if (watch.asleep) count++;
    }
    return count;
  }
}

class LocalWatch implements ClaimWatch {
  private notified = false;
  private closed = false;
  /** Ends the pending wait, if one is pending. */
  private settle: ((outcome: WaitOutcome) => void) | undefined;

  constructor(
    readonly workerKey: string,
    private readonly onClose: (watch: LocalWatch) => void,
  ) {}

  get asleep(): boolean {
    return this.settle !== undefined;
  }

  wake(): void {
    if (this.settle) this.settle("notified");
    else this.notified = true;
  }

  wait(ms: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (this.closed || signal?.aborted) return Promise.resolve("aborted");
    if (this.notified) {
      this.notified = false;
      return Promise.resolve("notified");
    }
    if (this.settle) return Promise.reject(new Error("ClaimWatch.wait: a wait is already pending"));
    return new Promise((resolve) => {
      const onAbort = () => finish("aborted");
      const finish = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.settle = undefined;
        resolve(outcome);
      };
      // setTimeout treats delays beyond 2^31-1 ms as 1 ms: callers wait at most 30 s anyway.
      const timer = setTimeout(() => finish("timeout"), Math.min(Math.max(ms, 0), 2 ** 31 - 1));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.settle = finish;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.settle?.("aborted");
    this.onClose(this);
  }
}

/**
 * The signal a committed run gives, if it is claimable as committed: it has an implementation
 * kind and is `pending`, or `running` with no lease or an expired one.
 */
export function claimSignalFor(run: RunRow, now: string): ClaimSignal | undefined {
  if (run.implementation_kind === null) return undefined;
  const claimable =
    run.status === "pending" ||
    (run.status === "running" && (run.lease_expires_at === null || run.lease_expires_at <= now));
  if (!claimable) return undefined;
  return {
    projectId: run.project_id,
    implementationKind: run.implementation_kind,
    workerKey: run.worker_key,
  };
}
