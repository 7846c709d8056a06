/**
 * Mempool limits and batching defaults (DESIGN.md, Defaults). Each carries
 * its reason; docs/mempool.md lists them.
 */

import { MAX_TX_BYTES } from '../../shards/transaction.js';
import { MAX_BLOCK_TRANSACTIONS, MAX_PAYLOAD_BYTES } from '../../shards/payload.js';

/** Largest signed transaction, the same on every node (DESIGN.md: 4 KiB; shards/transaction.ts). */
export { MAX_TX_BYTES };
/** Largest gossip message, the same on every node (DESIGN.md: 2 MiB); a batch never exceeds it. */
export const MAX_GOSSIP_BYTES = 2 * 1024 * 1024;
/** Block limits (DESIGN.md; shards/payload.ts): 2,000 transactions or a 1 MiB payload. */
export const MAX_BLOCK_TXS = MAX_BLOCK_TRANSACTIONS;
/**
 * Budget of selection: the payload cap less the room that shards/execute.ts
 * `buildBlock` keeps for the payload header (4 KiB); each transaction counts
 * its signed bytes plus 3 bytes of msgpack framing, as buildBlock counts.
 */
export const MAX_BLOCK_TX_BYTES = MAX_PAYLOAD_BYTES - 4096;
export const BLOCK_TX_FRAMING_BYTES = 3;

export interface MempoolOptions {
  /** Chain id transactions must carry. */
  readonly chainId: number;
  /** The shard this mempool serves. */
  readonly shardId: number;
  /** Most transactions held (DESIGN.md: 50,000, about 12 MB at 250 bytes each). */
  readonly maxTxs: number;
  /** Most pooled transactions per sender (DESIGN.md: 64). */
  readonly maxPerSender: number;
  /** A nonce is admitted only below committed nonce + this (DESIGN.md: 64 ahead). */
  readonly maxNonceAhead: bigint;
  /**
   * A transaction replaces a pooled one with the same sender and nonce only
   * when its fee is at least the old fee times (100 + this) / 100: without a
   * bump, a sender could churn the pool and gossip for free.
   */
  readonly replacementBumpPercent: bigint;
}

export const DEFAULT_MEMPOOL_OPTIONS: Omit<MempoolOptions, 'chainId' | 'shardId'> = {
  maxTxs: 50_000,
  maxPerSender: 64,
  maxNonceAhead: 64n,
  replacementBumpPercent: 10n,
};

export interface TxBatcherOptions {
  /**
   * Flush at most this long after the first transaction of a batch. 25 ms:
   * half the minimum interval between proposals (50 ms), so a submitted
   * transaction reaches the next leader in time, while a busy node still
   * sends a few dozen batches per second instead of one message per tx.
   * Measured with `hotshard bench`: 50 ms saved at most 3% of CPU at
   * saturation (within the noise) and added latency at half rate; 10 ms
   * changed nothing measurable.
   */
  readonly maxDelayMs: number;
  /**
   * Flush as soon as a batch holds this many transactions. 256: one chunk
   * of the verification pool on the receiving side, about 64 KB at 250 bytes
   * per transaction.
   */
  readonly maxTxs: number;
  /** Flush before a batch's encoding would exceed this (the gossip cap, 2 MiB). */
  readonly maxBytes: number;
}

export const DEFAULT_TX_BATCHER_OPTIONS: TxBatcherOptions = {
  maxDelayMs: 25,
  maxTxs: 256,
  maxBytes: MAX_GOSSIP_BYTES,
};
