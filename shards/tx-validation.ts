/**
 * Stateless checks of a signed transaction (docs/transactions.md, Checks):
 * what a node can reject on receipt, before reading any state. The signature
 * is checked separately (the node verifies on its worker pool, see
 * SignedTransaction.signatureTriple); nonce, expiry and balances need state
 * and are checked by execution.
 */
import { U128_MAX } from '../core/codec.js';
import type { FeeParams } from '../genesis/types.js';
import { isNativeAsset } from './assets.js';
import type { ShardMap } from './buckets.js';
import { TransactionError } from './errors.js';
import { MAX_TX_BYTES, TxKind, type SignedTransaction, type Transaction } from './transaction.js';

/** What the stateless checks need to know about the shard. */
export interface TxCheckContext {
  readonly chainId: number;
  readonly shardId: number;
  readonly shardMap: ShardMap;
  readonly fees: FeeParams;
}

/** True when a transfer's recipient lives on another shard. */
export function isCrossShard(tx: Transaction, ctx: Pick<TxCheckContext, 'shardId' | 'shardMap'>): boolean {
  return tx.kind === TxKind.transfer && ctx.shardMap.shardOf(tx.recipient) !== ctx.shardId;
}

/** The fee floor of `tx` (docs/transactions.md, Fees). */
export function minimumFee(
  tx: Transaction,
  ctx: Pick<TxCheckContext, 'shardId' | 'shardMap' | 'fees'>,
): bigint {
  if (tx.kind === TxKind.withdraw) return ctx.fees.minWithdrawFee;
  return isCrossShard(tx, ctx) ? ctx.fees.minCrossShardFee : ctx.fees.minTransferFee;
}

/** Null when `stx` passes every stateless check, else the first failure as a typed error. */
export function checkTransaction(stx: SignedTransaction, ctx: TxCheckContext): TransactionError | null {
  const tx = stx.tx;
  if (stx.bytes.length > MAX_TX_BYTES)
    return new TransactionError(
      'TOO_LARGE',
      `transaction of ${stx.bytes.length} bytes exceeds ${MAX_TX_BYTES}`,
    );
  if (tx.chainId !== ctx.chainId)
    return new TransactionError(
      'WRONG_CHAIN',
      `transaction is for chain ${tx.chainId}, this is chain ${ctx.chainId}`,
    );
  if (tx.shardId !== ctx.shardId)
    return new TransactionError(
      'WRONG_SHARD',
      `transaction names shard ${tx.shardId}, this is shard ${ctx.shardId}`,
    );
  const home = ctx.shardMap.shardOf(stx.sender);
  if (home !== ctx.shardId) {
    return new TransactionError(
      'WRONG_SHARD',
      `the sender's account lives on shard ${home}; send the transaction there`,
      { senderShard: home },
    );
  }
  if (tx.kind !== TxKind.transfer && tx.kind !== TxKind.withdraw)
    return new TransactionError('UNKNOWN_KIND', `unknown transaction kind ${tx.kind}`);
  if (tx.amount === 0n) return new TransactionError('ZERO_AMOUNT', 'the amount must be positive');
  if (tx.amount > U128_MAX || tx.fee > U128_MAX)
    return new TransactionError('AMOUNT_TOO_LARGE', 'amounts are at most 2^128 - 1');
  // Fee and amount in the same asset come out of one balance: their sum must fit too.
  if (isNativeAsset(tx.asset) && tx.amount + tx.fee > U128_MAX) {
    return new TransactionError('AMOUNT_TOO_LARGE', 'amount + fee exceeds 2^128 - 1: no balance can pay it');
  }
  const min = minimumFee(tx, ctx);
  if (tx.fee < min)
    return new TransactionError(
      'FEE_TOO_LOW',
      `fee ${tx.fee} is below the minimum ${min} for this transaction`,
      { minimum: min.toString() },
    );
  return null;
}
