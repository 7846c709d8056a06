/**
 * Tuning of the verification pool, with the reason of each default
 * (measured figures: TOOLCHAIN.md and bench/verify.ts).
 */
import { availableParallelism } from 'node:os';

export interface PooledVerifierOptions {
  /**
   * Worker threads. Default: one per core, at most 8. Verification is the
   * bulk of the CPU of block execution and of gossip admission, and the main
   * thread waits for it anyway; on 2 cores, 2 workers verify 1.9 to 2.1
   * times as fast as one thread.
   */
  readonly threads: number;
  /**
   * Largest number of signatures in one task. 256 signatures take about
   * 35-40 ms on one core, far above the 40-200 µs of a piscina round trip,
   * yet small enough that a block's 2,000 signatures spread over every worker.
   */
  readonly maxChunk: number;
  /**
   * Smallest chunk when a batch is split across workers: below about 32
   * signatures (~5 ms) splitting further gains less than it costs in round
   * trips.
   */
  readonly minChunk: number;
}

export const DEFAULT_MAX_CHUNK = 256;
export const DEFAULT_MIN_CHUNK = 32;

export function defaultPooledVerifierOptions(): PooledVerifierOptions {
  return {
    threads: Math.max(1, Math.min(8, availableParallelism())),
    maxChunk: DEFAULT_MAX_CHUNK,
    minChunk: DEFAULT_MIN_CHUNK,
  };
}

/**
 * Splits `n` items into chunk sizes: as many chunks as threads when that
 * keeps them within [minChunk, maxChunk], more chunks of maxChunk when the
 * batch is large, one chunk when it is small.
 */
export function chunkSizes(n: number, opts: PooledVerifierOptions): number[] {
  if (n <= 0) return [];
  const perThread = Math.ceil(n / opts.threads);
  const size = Math.min(opts.maxChunk, Math.max(opts.minChunk, perThread));
  const out: number[] = [];
  for (let left = n; left > 0; left -= size) out.push(Math.min(size, left));
  return out;
}
