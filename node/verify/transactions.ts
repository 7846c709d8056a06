/**
 * Signatures of a block's transactions, verified before the serial apply
 * (DESIGN.md, Execution of a block): one batched call on the pool for what
 * the cache does not know, then a synchronous answer per transaction for
 * shards/execute.ts (`ExecuteOptions.isSignatureValid`).
 */
import { byteKey as key } from '../../core/bytes.js';
import type { SignedTransaction } from '../../shards/transaction.js';
import type { CachedTxVerifier, HashedVerifyItem } from './cache.js';

/** The cache-keyed verification item of a signed transaction. */
export function txVerifyItem(stx: SignedTransaction): HashedVerifyItem {
  return { txHash: stx.hash, ...stx.signatureTriple() };
}

/**
 * Verifies every transaction's signature (cached ones are not verified
 * again) and returns the `isSignatureValid` function for executeBlock /
 * buildBlock. The answer is kept per hash here, so an LRU eviction between
 * verification and execution cannot change it.
 */
export async function verifyTransactionSignatures(
  verifier: CachedTxVerifier,
  txs: readonly SignedTransaction[],
): Promise<(stx: SignedTransaction) => boolean> {
  const results = await verifier.verifyBatch(txs.map(txVerifyItem));
  const valid = new Set<string>();
  txs.forEach((stx, i) => {
    if (results[i] === true) valid.add(key(stx.hash));
  });
  return (stx) => valid.has(key(stx.hash));
}
