/** Metrics of the chain layer (names carry units; created on the registry passed in). */
import type { Counter, Gauge, Histogram, MetricsRegistry } from '../metrics/registry.js';

export interface ChainMetrics {
  readonly committedHeight: Gauge;
  readonly committedBlocks: Counter;
  readonly committedTransactions: Counter;
  readonly executeSeconds: Histogram<'source'>;
  readonly buildSeconds: Histogram;
  readonly commitSeconds: Histogram;
  readonly verifySeconds: Histogram;
  readonly signatures: Counter<'result'>;
  readonly invalidBlocks: Counter<'code'>;
  readonly uncommittedBlocks: Gauge;
}

const BLOCK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createChainMetrics(r: MetricsRegistry): ChainMetrics {
  return {
    committedHeight: r.gauge({
      name: 'hotshard_chain_committed_height',
      help: 'Height of the last committed block',
    }),
    committedBlocks: r.counter({
      name: 'hotshard_chain_committed_blocks_total',
      help: 'Blocks committed (by consensus or by sync)',
    }),
    committedTransactions: r.counter({
      name: 'hotshard_chain_committed_transactions_total',
      help: 'Transactions in committed blocks',
    }),
    executeSeconds: r.histogram({
      name: 'hotshard_chain_execute_seconds',
      help: 'Time to execute a block before the vote (signatures, apply, state tree), by source: own proposal or peer',
      labelNames: ['source'],
      buckets: BLOCK_BUCKETS,
    }),
    buildSeconds: r.histogram({
      name: 'hotshard_chain_build_seconds',
      help: 'Time to build a proposal payload from the mempool',
      buckets: BLOCK_BUCKETS,
    }),
    commitSeconds: r.histogram({
      name: 'hotshard_chain_commit_seconds',
      help: 'Time to write a commit (blocks, certificate, state, receipts, indexes) in one atomic batch',
      buckets: BLOCK_BUCKETS,
    }),
    verifySeconds: r.histogram({
      name: 'hotshard_chain_verify_batch_seconds',
      help: 'Time to verify the signatures of a block that the verification cache did not know, in one batch',
      buckets: BLOCK_BUCKETS,
    }),
    signatures: r.counter({
      name: 'hotshard_chain_block_signatures_total',
      help: 'Transaction signatures of executed blocks, by result: cached (verified at admission) or verified now',
      labelNames: ['result'],
    }),
    invalidBlocks: r.counter({
      name: 'hotshard_chain_invalid_blocks_total',
      help: 'Blocks refused by execution, by error code',
      labelNames: ['code'],
    }),
    uncommittedBlocks: r.gauge({
      name: 'hotshard_chain_uncommitted_blocks',
      help: 'Executed blocks waiting for their commit (overlays held in memory)',
    }),
  };
}
