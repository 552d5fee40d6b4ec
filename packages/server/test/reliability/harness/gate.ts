/**
 * Coordination between a test's controller and its producers, without sleeps:
 *
 * - `Gate`: producers pass it before every request. The controller closes it before it breaks
 *   the server (kill, fault) and opens it once the server is back; `whenAllParked()` resolves
 *   when every producer is waiting at the closed gate (or has finished), so the controller can
 *   check the stored state while nothing moves.
 * - `Trigger`: fires an action at the n-th tick (an acknowledged append, a request sent), which
 *   is how faults land at random moments of the load instead of after a timer.
 */

export class Gate {
  private isOpen = true;
  private waiters: (() => void)[] = [];
  private members = 0;
  private parked = 0;
  private watchers: (() => void)[] = [];

  get opened(): boolean {
    return this.isOpen;
  }

  /** A producer joins (counted by `whenAllParked`) … */
  join(): void {
    this.members++;
  }

  /** … and leaves when it has finished. */
  leave(): void {
    this.members--;
    this.notify();
  }

  close(): void {
    this.isOpen = false;
  }

  open(): void {
    this.isOpen = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at once while open; else when the controller opens the gate. */
  async pass(): Promise<void> {
    if (this.isOpen) return;
    this.parked++;
    this.notify();
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.parked--;
  }

  /** Resolves when every member is parked at the closed gate (or none is left). */
  whenAllParked(): Promise<void> {
    return new Promise((resolve) => {
      this.watchers.push(resolve);
      this.notify();
    });
  }

  private notify(): void {
    if (this.isOpen || this.parked < this.members) return;
    const watchers = this.watchers;
    this.watchers = [];
    for (const resolve of watchers) resolve();
  }
}

export class Trigger {
  private remaining = 0;
  private action: (() => void) | undefined;
  private resolve: (() => void) | undefined;

  /** Runs `action` synchronously at the `count`-th tick from now; resolves after it ran. */
  arm(count: number, action: () => void): Promise<void> {
    this.remaining = Math.max(1, count);
    this.action = action;
    return new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  get armed(): boolean {
    return this.action !== undefined;
  }

  /** Fires the armed action now, whatever the count (e.g. when the load has finished). */
  fireNow(): void {
    this.remaining = 1;
    this.tick();
  }

  tick(): void {
    if (!this.action) return;
    this.remaining--;
    if (this.remaining > 0) return;
    const action = this.action;
    const resolve = this.resolve;
    this.action = undefined;
    this.resolve = undefined;
    action();
    resolve?.();
  }
}
