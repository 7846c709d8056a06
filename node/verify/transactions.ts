/**
 * Signatures of a block's transactions, verified before the serial apply
 * (DESIGN.md, Execution of a block): one batched call on the pool for what
 * the cache does not know, then a synchronous answer per transaction for
 * shards/execute.ts (`ExecuteOptions.isSignatureValid`).
 */
import type { SignedTransaction } from '../../shards/transaction.js';
import type { CachedTxVerifier, HashedVerifyItem } from './cache.js';

/**
 * The cache-keyed verification item of a signed transaction. Its signed
 * message (a copy of most of the transaction) is built when a verifier first
 * reads it, not before: the cache answers by hash alone, and an item kept
 * with a pooled transaction does not hold a second copy of its bytes.
 */
class TxVerifyItem implements HashedVerifyItem {
  private signedMessage: Uint8Array | undefined;

  constructor(private readonly stx: SignedTransaction) {}

  get txHash(): Uint8Array {
    return this.stx.hash;
  }

  get txKey(): string {
    return this.stx.hashKey;
  }

  get signature(): Uint8Array {
    return this.stx.signature;
  }

  get publicKey(): Uint8Array {
    return this.stx.tx.senderPublicKey;
  }

  get message(): Uint8Array {
    return (this.signedMessage ??= this.stx.signingBytes());
  }
}

export function txVerifyItem(stx: SignedTransaction): HashedVerifyItem {
  return new TxVerifyItem(stx);
}

/**
 * Verifies every transaction's signature (cached ones are not verified
 * again) and returns the `isSignatureValid` function for executeBlock /
 * buildBlock. The answer is kept per hash here, so an eviction between
 * verification and execution cannot change it.
 */
export async function verifyTransactionSignatures(
  verifier: CachedTxVerifier,
  txs: readonly SignedTransaction[],
): Promise<(stx: SignedTransaction) => boolean> {
  const results = await verifier.verifyBatch(txs.map(txVerifyItem));
  const valid = new Set<string>();
  txs.forEach((stx, i) => {
    if (results[i] === true) valid.add(stx.hashKey);
  });
  return (stx) => valid.has(stx.hashKey);
}
