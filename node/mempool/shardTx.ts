/**
 * The mempool's view of a shard transaction (shards/transaction.ts): decode
 * canonically, apply the stateless rules of shards/tx-validation.ts, and map
 * their errors to mempool codes (and so to gossip verdicts).
 */
import { NATIVE_ASSET_ID } from '../../shards/assets.js';
import { TransactionError, type TransactionErrorCode } from '../../shards/errors.js';
import { decodeSignedTransaction, type SignedTransaction } from '../../shards/transaction.js';
import { checkTransaction, type TxCheckContext } from '../../shards/tx-validation.js';
import { toHex } from '../../core/bytes.js';
import { MempoolError, type MempoolErrorCode } from './errors.js';
import type { Debit, MergedDebit, PoolTx, TxDecoder } from './types.js';
import { txVerifyItem } from '../verify/transactions.js';
import type { HashedVerifyItem } from '../verify/cache.js';

const CODE: Readonly<Record<TransactionErrorCode, MempoolErrorCode>> = {
  MALFORMED: 'MALFORMED',
  TOO_LARGE: 'TOO_LARGE',
  WRONG_CHAIN: 'WRONG_CHAIN',
  WRONG_SHARD: 'WRONG_SHARD',
  FEE_TOO_LOW: 'FEE_TOO_LOW',
  ZERO_AMOUNT: 'BAD_AMOUNT',
  AMOUNT_TOO_LARGE: 'BAD_AMOUNT',
  UNKNOWN_KIND: 'MALFORMED',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
};

function mempoolError(err: TransactionError, txHash?: Uint8Array): MempoolError {
  return new MempoolError(
    CODE[err.code],
    err.message.replace(/^[A-Z_]+: /, ''),
    { ...(txHash === undefined ? {} : { txHash: '0x' + toHex(txHash) }), shardCode: err.code },
    { cause: err },
  );
}

/**
 * The PoolTx of a decoded signed transaction: its debits are the fee (native)
 * and the amount (its asset). It reads the transaction's own fields rather
 * than copying them, and builds the verification item when asked: thousands
 * of these live in the pool for seconds, so each object less counts.
 */
class ShardPoolTx implements PoolTx<SignedTransaction> {
  readonly debits: readonly Debit[];
  merged: readonly MergedDebit[] | undefined = undefined;

  constructor(readonly tx: SignedTransaction) {
    this.debits = [
      { asset: NATIVE_ASSET_ID, amount: tx.tx.fee },
      { asset: tx.tx.asset, amount: tx.tx.amount },
    ];
  }

  get bytes(): Uint8Array {
    return this.tx.bytes;
  }

  get hash(): Uint8Array {
    return this.tx.hash;
  }

  get sender(): Uint8Array {
    return this.tx.sender;
  }

  get hashKey(): string {
    return this.tx.hashKey;
  }

  get senderKey(): string {
    return this.tx.senderKey;
  }

  get nonce(): bigint {
    return this.tx.tx.nonce;
  }

  get fee(): bigint {
    return this.tx.tx.fee;
  }

  get expiry(): number {
    return this.tx.tx.expiry;
  }

  get signature(): HashedVerifyItem {
    return txVerifyItem(this.tx);
  }
}

export function poolTxOf(stx: SignedTransaction): PoolTx<SignedTransaction> {
  return new ShardPoolTx(stx);
}

/** A TxDecoder for the shard described by `ctx` (chain id, shard id, shard map, genesis fee parameters). */
export function shardTxDecoder(ctx: TxCheckContext): TxDecoder<SignedTransaction> {
  return (bytes) => {
    let stx: SignedTransaction;
    try {
      stx = decodeSignedTransaction(bytes);
    } catch (err) {
      if (err instanceof TransactionError) throw mempoolError(err);
      throw new MempoolError(
        'MALFORMED',
        `cannot decode the transaction: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
    const problem = checkTransaction(stx, ctx);
    if (problem !== null) throw mempoolError(problem, stx.hash);
    return poolTxOf(stx);
  };
}
