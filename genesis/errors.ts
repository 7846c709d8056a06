/** Typed errors of genesis files and validator key files. */
import { HotshardError } from '../core/errors.js';

export type GenesisErrorCode =
  | 'BAD_JSON'
  | 'MALFORMED'
  | 'VERSION'
  | 'MISSING_FIELD'
  | 'UNKNOWN_FIELD'
  | 'BAD_FIELD'
  | 'BAD_HEX'
  | 'BAD_PUBLIC_KEY'
  | 'BAD_CHECKSUM'
  | 'BAD_PARAM'
  | 'SHARD_COUNT'
  | 'BAD_BUCKETS'
  | 'EMPTY_COMMITTEE'
  | 'COMMITTEE_TOO_SMALL'
  | 'COMMITTEE_TOO_LARGE'
  | 'DUPLICATE_KEY'
  | 'ZERO_STAKE'
  | 'STAKE_OVERFLOW'
  | 'UNKNOWN_SHARD'
  | 'WRONG_SHARD'
  | 'DUPLICATE_BALANCE'
  | 'ZERO_AMOUNT'
  | 'AMOUNT_TOO_LARGE'
  | 'SUPPLY_OVERFLOW'
  | 'TOO_MANY_BALANCES'
  | 'DUPLICATE_LIMIT'
  | 'NOT_ENOUGH_VALIDATORS'
  | 'IO';

/** A genesis that cannot be used; `context.path` names the offending field (for example `shardCommittees[1][0].stake`). */
export class GenesisError extends HotshardError<GenesisErrorCode, { path?: string; [k: string]: unknown }> {}

export type KeyFileErrorCode =
  'NOT_FOUND' | 'EXISTS' | 'BAD_JSON' | 'BAD_FORMAT' | 'VERSION' | 'MISMATCH' | 'IO';

/** A validator or account key file that cannot be read or written. */
export class KeyFileError extends HotshardError<KeyFileErrorCode, { path?: string; [k: string]: unknown }> {}
