/**
 * Callers waiting for the committed height to reach a given height
 * (`hs_waitForBlock`): a client learns of a commit as soon as it is written,
 * in one request, instead of polling `hs_status` and paying half a polling
 * interval on every commit it waits for.
 *
 * Waits are bounded in number and in time; their timers do not keep the
 * process alive, and `close()` (the RPC server stopping) ends every wait.
 */
import { HotshardError } from '../../core/errors.js';

export type HeightWaitErrorCode = 'TOO_MANY_WAITERS' | 'CLOSED';
export class HeightWaitError extends HotshardError<HeightWaitErrorCode> {}

export interface HeightWaitersOptions {
  /** Waits pending at once, over all clients; one more is refused with TOO_MANY_WAITERS. */
  readonly maxWaiters: number;
}

export const DEFAULT_HEIGHT_WAITERS_OPTIONS: HeightWaitersOptions = { maxWaiters: 1024 };

interface Waiter {
  readonly height: number;
  readonly resolve: (reached: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

export class HeightWaiters {
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  constructor(
    private readonly committedHeight: () => number,
    private readonly options: HeightWaitersOptions = DEFAULT_HEIGHT_WAITERS_OPTIONS,
  ) {}

  /** Waits pending now. */
  get size(): number {
    return this.waiters.size;
  }

  /**
   * Resolves to true once the committed height is at least `height` (at
   * once when it is already), or to false when `timeoutMs` passes first or
   * the waiters are closed.
   */
  wait(height: number, timeoutMs: number): Promise<boolean> {
    if (this.committedHeight() >= height) return Promise.resolve(true);
    if (this.closed) return Promise.reject(new HeightWaitError('CLOSED', 'the node is stopping'));
    if (this.waiters.size >= this.options.maxWaiters)
      return Promise.reject(
        new HeightWaitError(
          'TOO_MANY_WAITERS',
          `${this.options.maxWaiters} waits are pending on this node; retry later or poll hs_status`,
          { maxWaiters: this.options.maxWaiters },
        ),
      );
    return new Promise((resolve) => {
      const waiter: Waiter = {
        height,
        resolve,
        timer: setTimeout(() => this.settle(waiter, false), timeoutMs).unref(),
      };
      this.waiters.add(waiter);
    });
  }

  /** A commit was written: releases every wait its height reaches. */
  notify(): void {
    if (this.waiters.size === 0) return;
    const height = this.committedHeight();
    for (const w of this.waiters) if (w.height <= height) this.settle(w, true);
  }

  /** Ends every wait (false) and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters) this.settle(w, false);
  }

  private settle(w: Waiter, reached: boolean): void {
    if (!this.waiters.delete(w)) return;
    clearTimeout(w.timer);
    w.resolve(reached);
  }
}
