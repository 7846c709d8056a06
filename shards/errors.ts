/**
 * Typed errors of the shard state machine (one class per area, codes as
 * string unions; callers branch on `code`).
 */
import { HotshardError } from '../core/errors.js';

/** The state tree: storage that lacks a node it must have, or a malformed key or node. */
export type SmtErrorCode = 'MISSING_NODE' | 'BAD_NODE' | 'BAD_KEY' | 'DUPLICATE_KEY';
export class SmtError extends HotshardError<SmtErrorCode> {}

/**
 * Stateless checks of one signed transaction: anything a node can reject
 * without reading state (see shards/tx-validation.ts).
 */
export type TransactionErrorCode =
  | 'MALFORMED'
  | 'TOO_LARGE'
  | 'WRONG_CHAIN'
  | 'WRONG_SHARD'
  | 'FEE_TOO_LOW'
  | 'ZERO_AMOUNT'
  | 'AMOUNT_TOO_LARGE'
  | 'UNKNOWN_KIND'
  | 'BAD_SIGNATURE';
export class TransactionError extends HotshardError<TransactionErrorCode> {}

/**
 * A block that no honest validator votes for: a transaction that may not be
 * in a block at all, a payload beyond the limits, or roots that differ from
 * this node's execution (docs/transactions.md, "Invalid transactions in a block").
 */
export type BlockErrorCode =
  | 'MALFORMED_PAYLOAD'
  | 'WRONG_CHAIN'
  | 'WRONG_SHARD'
  | 'TOO_MANY_TRANSACTIONS'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_TRANSACTION'
  | 'BAD_SIGNATURE'
  | 'NONCE_MISMATCH'
  | 'EXPIRED'
  | 'CANNOT_PAY_FEE'
  | 'TX_ROOT_MISMATCH'
  | 'STATE_ROOT_MISMATCH'
  | 'RECEIPTS_ROOT_MISMATCH'
  | 'OUTBOX_MISMATCH'
  | 'INBOX_MISMATCH'
  | 'BEACON_REF_MISMATCH';
export class BlockError extends HotshardError<BlockErrorCode, { txIndex?: number; [k: string]: unknown }> {}

/** The state layer: undecodable stored values, a write to a released overlay, an amount that would overflow. */
export type StateErrorCode =
  'BAD_VALUE' | 'RELEASED' | 'OVERFLOW' | 'UNDERFLOW' | 'TOO_MANY_ASSETS' | 'NOT_A_CHAIN';
export class StateError extends HotshardError<StateErrorCode> {}
