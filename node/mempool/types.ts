/**
 * What the mempool needs from the rest of the node, and what it hands back.
 */
import type { HashedVerifyItem } from '../verify/cache.js';
import type { MempoolError } from './errors.js';

/**
 * Reads accounts of a state (committed state for admission, the parent
 * block's state for selection). Synchronous on purpose: admission and
 * selection mutate the pool in one synchronous step, so the state they
 * checked cannot change under them (the shard's state view reads its
 * in-memory overlay or classic-level `getSync`).
 */
export interface AccountReader {
  /** The next nonce the account must use (0 for an unknown account). */
  getNonce(address: Uint8Array): bigint;
  /** The account's balance of `asset` (20-byte token address; the native token's id for fees). */
  getBalance(address: Uint8Array, asset: Uint8Array): bigint;
}

/** One asset debited from the sender by a transaction (the fee included, in the native asset). */
export interface Debit {
  readonly asset: Uint8Array;
  readonly amount: bigint;
}

/**
 * The mempool's view of one decoded, statelessly valid signed transaction.
 * `Tx` is the decoded transaction type of shards/, carried along for the
 * block builder.
 */
export interface PoolTx<Tx = unknown> {
  readonly tx: Tx;
  /** The whole signed bytes, as gossiped and included in blocks. */
  readonly bytes: Uint8Array;
  /** Tagged hash of the whole signed bytes. */
  readonly hash: Uint8Array;
  /** The sender's address (first 20 bytes of SHA-256 of its public key). */
  readonly sender: Uint8Array;
  readonly nonce: bigint;
  readonly fee: bigint;
  /** The transaction is invalid once the clock (or block timestamp) passes this. */
  readonly expiry: number;
  readonly debits: readonly Debit[];
  /** The signature triple and the tx hash, for the cached verifier. */
  readonly signature: HashedVerifyItem;
  /** byteKey(hash) and byteKey(sender): the pool's map keys, made once per transaction. */
  readonly hashKey: string;
  readonly senderKey: string;
  /** The debits summed per asset, worked out by the mempool on first use (a decoder leaves it undefined). */
  merged?: readonly MergedDebit[];
}

/** A transaction's debits of one asset, summed, with the asset's map key. */
export interface MergedDebit {
  readonly key: string;
  readonly asset: Uint8Array;
  readonly amount: bigint;
}

/** Decodes and checks a signed transaction without state: throws MempoolError (TOO_LARGE, MALFORMED, WRONG_CHAIN, ...). */
export type TxDecoder<Tx> = (bytes: Uint8Array) => PoolTx<Tx>;

export type AdmitResult =
  | {
      readonly ok: true;
      readonly hash: Uint8Array;
      /** The pooled tx this one replaced (same sender and nonce, higher fee). */ readonly replaced: Uint8Array | null;
    }
  | { readonly ok: false; readonly error: MempoolError };

/** A transaction chosen for a block. */
export interface SelectedTx<Tx = unknown> {
  readonly tx: Tx;
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
}

/** A transaction of a committed block, as far as the mempool cares. */
export interface CommittedTx {
  readonly hash: Uint8Array;
  readonly sender: Uint8Array;
  /** byteKey(hash) and byteKey(sender) when the caller has them already. */
  readonly hashKey?: string;
  readonly senderKey?: string;
}
