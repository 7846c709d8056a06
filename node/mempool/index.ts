/** node/mempool: admission, selection for blocks, commits, and transaction batches for gossip (docs/mempool.md). */
export { Mempool, type MempoolDeps, type SelectOptions, type RemovalReason } from './mempool.js';
export {
  MempoolError,
  MempoolConfigError,
  MEMPOOL_ERROR_VERDICT,
  verdictOf,
  type MempoolErrorCode,
  type GossipVerdict,
} from './errors.js';
export type {
  AccountReader,
  AdmitResult,
  CommittedTx,
  Debit,
  PoolTx,
  SelectedTx,
  TxDecoder,
} from './types.js';
export { accountReaderOf } from './accounts.js';
export { poolTxOf, shardTxDecoder } from './shardTx.js';
export { encodeTxBatch, decodeTxBatch, TX_BATCH_VERSION } from './batch.js';
export { TxBatcher, type PublishBatch, type BatcherTimers, type TxBatcherDeps } from './batcher.js';
export { batchVerdict, admitGossipBatch } from './verdict.js';
export {
  DEFAULT_MEMPOOL_OPTIONS,
  DEFAULT_TX_BATCHER_OPTIONS,
  MAX_GOSSIP_BYTES,
  MAX_TX_BYTES,
  MAX_BLOCK_TXS,
  MAX_BLOCK_TX_BYTES,
  type MempoolOptions,
  type TxBatcherOptions,
} from './options.js';

import type { SignedTransaction } from '../../shards/transaction.js';
import type { TxCheckContext } from '../../shards/tx-validation.js';
import type { CachedTxVerifier } from '../verify/cache.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { Mempool } from './mempool.js';
import type { MempoolOptions } from './options.js';
import { shardTxDecoder } from './shardTx.js';
import type { AccountReader } from './types.js';

/** The mempool of one shard, wired to the shard's transaction rules. */
export function createShardMempool(
  shard: TxCheckContext,
  deps: {
    verifier: CachedTxVerifier;
    state: AccountReader;
    now?: () => number;
    metrics?: MetricsRegistry | null;
  },
  options: Partial<MempoolOptions> = {},
): Mempool<SignedTransaction> {
  return new Mempool<SignedTransaction>(
    { ...deps, decode: shardTxDecoder(shard) },
    { ...options, chainId: shard.chainId, shardId: shard.shardId },
  );
}
