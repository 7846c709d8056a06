/**
 * Collects transactions admitted locally (RPC submissions) and hands them to
 * the network layer in batches: every `maxDelayMs` after the first pending
 * transaction, or as soon as `maxTxs` are pending, or before the encoding
 * would pass `maxBytes`. Transactions admitted from gossip are not re-batched:
 * gossipsub forwards their batch as it came.
 */
import { BATCH_ITEM_OVERHEAD_BYTES, BATCH_OVERHEAD_BYTES, encodeTxBatch } from './batch.js';
import { DEFAULT_TX_BATCHER_OPTIONS, MAX_TX_BYTES, type TxBatcherOptions } from './options.js';
import { MempoolConfigError, MempoolError } from './errors.js';

/** Publishes one encoded batch (the network layer). May be async; its failure is reported to `onError`. */
export type PublishBatch = (batch: Uint8Array, txs: readonly Uint8Array[]) => void | Promise<void>;

/** Timer functions, injectable so that tests and the simulator control time. */
export interface BatcherTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: BatcherTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface TxBatcherDeps {
  readonly publish: PublishBatch;
  /** Called when `publish` throws or rejects (the batch is dropped; its transactions stay pooled). */
  readonly onError?: (err: unknown) => void;
  readonly timers?: BatcherTimers;
}

export class TxBatcher {
  readonly options: TxBatcherOptions;
  private pending: Uint8Array[] = [];
  private pendingBytes = BATCH_OVERHEAD_BYTES;
  private timer: unknown = null;
  private closed = false;
  private readonly timers: BatcherTimers;
  /** Batches handed to `publish`, and the transactions in them. */
  readonly stats = { batches: 0, txs: 0 };

  constructor(
    private readonly deps: TxBatcherDeps,
    options: Partial<TxBatcherOptions> = {},
  ) {
    const opts = { ...DEFAULT_TX_BATCHER_OPTIONS, ...options };
    if (!(opts.maxDelayMs >= 0) || !Number.isSafeInteger(opts.maxTxs) || opts.maxTxs < 1) {
      throw new MempoolConfigError('BAD_OPTIONS', 'maxDelayMs must be >= 0 and maxTxs a positive integer', {
        ...opts,
      });
    }
    if (opts.maxBytes < BATCH_OVERHEAD_BYTES + MAX_TX_BYTES + BATCH_ITEM_OVERHEAD_BYTES) {
      throw new MempoolConfigError(
        'BAD_OPTIONS',
        'maxBytes cannot hold one transaction of the maximum size',
        { ...opts },
      );
    }
    this.options = opts;
    this.timers = deps.timers ?? realTimers;
  }

  /** Number of transactions waiting for the next flush. */
  get size(): number {
    return this.pending.length;
  }

  /** Queues one signed transaction (already admitted, at most 4 KiB). */
  add(tx: Uint8Array): void {
    if (this.closed) return;
    if (tx.length > MAX_TX_BYTES)
      throw new MempoolError('TOO_LARGE', `transaction of ${tx.length} bytes exceeds ${MAX_TX_BYTES}`);
    const cost = tx.length + BATCH_ITEM_OVERHEAD_BYTES;
    if (this.pending.length > 0 && this.pendingBytes + cost > this.options.maxBytes) this.flush();
    this.pending.push(tx);
    this.pendingBytes += cost;
    if (this.pending.length >= this.options.maxTxs) this.flush();
    else if (this.timer === null)
      this.timer = this.timers.setTimeout(() => this.flush(), this.options.maxDelayMs);
  }

  /** Publishes what is pending now (nothing when empty). */
  flush(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const txs = this.pending;
    this.pending = [];
    this.pendingBytes = BATCH_OVERHEAD_BYTES;
    this.stats.batches++;
    this.stats.txs += txs.length;
    try {
      const batch = encodeTxBatch(txs, this.options.maxBytes);
      const r = this.deps.publish(batch, txs);
      if (r instanceof Promise) r.catch((err: unknown) => this.deps.onError?.(err));
    } catch (err) {
      this.deps.onError?.(err);
    }
  }

  /** Flushes what is pending and stops; later `add` calls are dropped. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
