/**
 * Why the mempool refused a transaction, and what that means for the peer
 * that sent it (STYLE.md: typed errors carrying IGNORE or REJECT, mapped once
 * to the gossip verdict).
 *
 * REJECT: the transaction (or batch) is provably invalid on every honest
 * node, whatever its state or clock: an honest peer never relays it, so the
 * sender is penalised. IGNORE: stale, duplicate, ahead of our state, or
 * refused by local policy or capacity: an honest peer may relay it.
 */
import { HotshardError } from '../../core/errors.js';

export type MempoolErrorCode =
  /** Larger than the transaction size cap (4 KiB) or, for a batch, the gossip cap (2 MiB). */
  | 'TOO_LARGE'
  /** Not the canonical encoding of a transaction (or of a batch), or an unknown transaction kind. */
  | 'MALFORMED'
  /** Signed for another chain id. */
  | 'WRONG_CHAIN'
  /** Signed for another shard than this mempool's. */
  | 'WRONG_SHARD'
  /** An amount no execution can accept (zero, or amount + fee beyond u128). */
  | 'BAD_AMOUNT'
  /** Fee below the minimum of its kind fixed by genesis (the same on every node). */
  | 'FEE_TOO_LOW'
  /** Expiry already past at admission, or the transaction expired while pooled. */
  | 'EXPIRED'
  /** The same signed bytes are pooled already. */
  | 'DUPLICATE'
  /** Nonce below the sender's committed nonce: already used (a replay). */
  | 'NONCE_TOO_LOW'
  /** Nonce 64 or more ahead of the sender's committed nonce. */
  | 'NONCE_GAP_TOO_LARGE'
  /** Another transaction with this sender and nonce is pooled, and this one does not pay the replacement bump. */
  | 'NONCE_TAKEN'
  /** The sender's committed balance does not cover its pooled transactions plus this one. */
  | 'INSUFFICIENT_BALANCE'
  /** The signature does not verify under THE rule of core/ed25519.ts. */
  | 'BAD_SIGNATURE'
  /** The pool holds its maximum and this transaction pays no more than the cheapest evictable one. */
  | 'MEMPOOL_FULL'
  /** The sender already has its maximum of pooled transactions. */
  | 'SENDER_LIMIT';

export type GossipVerdict = 'ACCEPT' | 'IGNORE' | 'REJECT';

/** The one mapping from a mempool error to a gossip verdict. */
export const MEMPOOL_ERROR_VERDICT: Readonly<Record<MempoolErrorCode, Exclude<GossipVerdict, 'ACCEPT'>>> = {
  TOO_LARGE: 'REJECT',
  MALFORMED: 'REJECT',
  WRONG_CHAIN: 'REJECT',
  WRONG_SHARD: 'REJECT',
  BAD_AMOUNT: 'REJECT',
  BAD_SIGNATURE: 'REJECT',
  FEE_TOO_LOW: 'REJECT',
  // Clocks differ by a little between nodes.
  EXPIRED: 'IGNORE',
  DUPLICATE: 'IGNORE',
  // State-dependent: the peer may be behind or ahead of our committed state.
  NONCE_TOO_LOW: 'IGNORE',
  NONCE_GAP_TOO_LARGE: 'IGNORE',
  NONCE_TAKEN: 'IGNORE',
  INSUFFICIENT_BALANCE: 'IGNORE',
  // Capacity of this node.
  MEMPOOL_FULL: 'IGNORE',
  SENDER_LIMIT: 'IGNORE',
};

export interface MempoolErrorContext {
  /** 0x-hex tx hash, when the bytes decoded. */
  txHash?: string;
  [k: string]: unknown;
}

export class MempoolError extends HotshardError<MempoolErrorCode, MempoolErrorContext> {
  /** The gossip verdict this error stands for. */
  get verdict(): 'IGNORE' | 'REJECT' {
    return MEMPOOL_ERROR_VERDICT[this.code];
  }
}

/** The verdict of any error met while validating gossip: a MempoolError's own, IGNORE for anything unexpected (never penalise a peer for our own fault). */
export function verdictOf(err: unknown): 'IGNORE' | 'REJECT' {
  return err instanceof MempoolError ? err.verdict : 'IGNORE';
}

/** A mempool or batcher option out of range (a configuration error, raised at construction). */
export class MempoolConfigError extends HotshardError<'BAD_OPTIONS'> {}
