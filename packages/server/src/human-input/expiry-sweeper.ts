/**
 * Writes expiry down (docs/api.md §7): reads already present an open request past its deadline
 * as expired; this sweeper marks it `expired` in storage within `intervalMs` (well inside the
 * contract's 5 s) and announces `input_request.expired` then. Several instances may sweep the
 * same database: the conditional UPDATE lets exactly one of them expire each request.
 */
import { inputRequestChange } from "../store/changes.ts";
import type { HumanInputContext } from "./context.ts";

/** Requests expired per transaction. */
const BATCH = 100;

export class InputRequestExpirySweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(
    private readonly ctx: HumanInputContext,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.sweep()
        .catch((error: unknown) => {
          this.onError(error);
          return 0;
        })
        .finally(() => {
          this.#running = undefined;
        });
    }, this.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Expires every request due now; returns how many this instance expired. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const due = await this.ctx.store.humanInput.dueInputRequests(this.ctx.now(), BATCH);
      if (due.length === 0) return total;
      const expiredCount = await this.ctx.store.transaction(async (tx) => {
        let count = 0;
        for (const row of due) {
          const expired = await tx.humanInput.closeInputRequest(row.pk, {
            status: "expired",
            at: row.expires_at,
          });
          if (expired) {
            tx.record(inputRequestChange("input_request.expired", expired));
            count += 1;
          }
        }
        return count;
      });
      total += expiredCount;
      if (due.length < BATCH) return total;
    }
  }
}
