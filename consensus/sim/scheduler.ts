/**
 * Virtual time for the simulator: one event queue per scenario, ordered by
 * (time, insertion order), and a Clock per node on top of it. Nothing here
 * reads a real clock or sets a real timer.
 *
 * Every event runs to completion in zero virtual time: after each event the
 * loop lets all promise continuations it started settle (the engine, the
 * storage and the executor are promise-based but never wait on real I/O)
 * before the next event runs. The order is therefore a pure function of the
 * scenario seed.
 */
import type { Clock } from '../types.js';

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Resolves once every pending promise continuation has run (all are microtasks here). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class EventQueue {
  private heap: Event[] = [];
  private seq = 0;
  private current = 0;
  /** Events run so far (a cost measure for the sweep report). */
  executed = 0;

  /** Virtual milliseconds since the scenario started. */
  get now(): number {
    return this.current;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs `fn` at virtual time `at` (never earlier than now); returns a cancel function. */
  at(at: number, fn: () => void): () => void {
    const ev: Event = { at: Math.max(at, this.current), seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return () => {
      ev.cancelled = true;
    };
  }

  after(delayMs: number, fn: () => void): () => void {
    return this.at(this.current + Math.max(0, delayMs), fn);
  }

  /**
   * Runs events in order until `stop()` holds, the queue is empty or the next
   * event lies beyond `untilMs`. Exceptions thrown by an event propagate.
   */
  async run(untilMs: number, stop: () => boolean): Promise<void> {
    while (!stop()) {
      const ev = this.heap[0];
      if (ev === undefined || ev.at > untilMs) break;
      this.pop();
      if (ev.cancelled) continue;
      this.current = ev.at;
      this.executed++;
      ev.fn();
      await settle();
    }
  }

  private push(ev: Event): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Event | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A node's clock: the shared virtual time plus a fixed per-node skew, in
 * milliseconds since the Unix epoch. `halt()` cancels every timer the node
 * set (used when the node crashes), and timers set afterwards never fire.
 */
export class NodeClock implements Clock {
  private timers = new Set<() => void>();
  private halted = false;

  constructor(
    private readonly queue: EventQueue,
    private readonly epochMs: number,
    private readonly skewMs: number,
  ) {}

  now(): number {
    return this.epochMs + this.queue.now + this.skewMs;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    if (this.halted) return () => {};
    let cancel: () => void = () => {};
    const wrapped = (): void => {
      this.timers.delete(cancel);
      fn();
    };
    const cancelEvent = this.queue.after(delayMs, wrapped);
    cancel = () => {
      cancelEvent();
      this.timers.delete(cancel);
    };
    this.timers.add(cancel);
    return cancel;
  }

  halt(): void {
    this.halted = true;
    for (const c of [...this.timers]) c();
    this.timers.clear();
  }
}
