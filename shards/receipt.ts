/**
 * Receipts: the outcome of each transaction of a block, committed to by the
 * receipts root of the block (docs/transactions.md, Receipts).
 *
 *   Receipt = [version 1, txHash bytes32, status u8, feeCharged u128]
 *   receiptsRoot = core merkleRoot over the encoded receipts, in block order
 */
import { bytes32, decode, encode, struct, u8, u128 } from '../core/codec.js';
import { merkleRoot } from '../core/merkle.js';
import type { Hash32 } from '../core/hash.js';

/** Status codes (u8 on the wire). Every receipted transaction consumed its nonce and paid its fee. */
export const ReceiptStatus = {
  SUCCESS: 0,
  /** The sender's balance of the asset is below the amount (after the fee). */
  INSUFFICIENT_BALANCE: 1,
  /** Transfers to another shard need cross-shard lanes, not built yet. */
  CROSS_SHARD_NOT_SUPPORTED: 2,
  /** Withdrawals to Ethereum need the bridge lane, not built yet. */
  WITHDRAW_NOT_SUPPORTED: 3,
  /** The recipient's balance would exceed 2^128 - 1. */
  RECIPIENT_OVERFLOW: 4,
  /** The recipient already holds the most assets an account may hold. */
  RECIPIENT_TOO_MANY_ASSETS: 5,
} as const;
export type ReceiptStatusCode = (typeof ReceiptStatus)[keyof typeof ReceiptStatus];

export const RECEIPT_STATUS_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ReceiptStatus).map(([k, v]) => [v, k]),
);

export interface Receipt {
  readonly txHash: Hash32;
  readonly status: number;
  readonly feeCharged: bigint;
}

export const receiptCodec = struct(
  'Receipt',
  [
    ['txHash', bytes32],
    ['status', u8],
    ['feeCharged', u128],
  ],
  1,
);

export function encodeReceipt(r: Receipt): Uint8Array {
  return encode(receiptCodec, r);
}

export function decodeReceipt(bytes: Uint8Array): Receipt {
  return decode(receiptCodec, bytes, 1024);
}

/** The receipts root of a block: the RFC 6962 Merkle root (core/merkle.ts) of the encoded receipts. */
export function receiptsRoot(receipts: readonly Receipt[]): Hash32 {
  return receiptsRootOfEncoded(receipts.map(encodeReceipt));
}

/** receiptsRoot of receipts already encoded (execution keeps the encodings for the commit's write). */
export function receiptsRootOfEncoded(encoded: readonly Uint8Array[]): Hash32 {
  return merkleRoot(encoded);
}
