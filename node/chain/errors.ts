/**
 * Failures of the chain layer (the BlockExecutor adapter, its storage and
 * recovery). Callers branch on `code`.
 *
 * - NOT_A_MEMBER: this validator's key is not in the shard's committee.
 * - GENESIS_MISMATCH: the database was created from another genesis.
 * - CORRUPT: a stored record the chain needs is missing or does not decode
 *   (a committed height without its block, a block without its certificate).
 * - PARENT_UNKNOWN: a block whose parent is neither the committed tip nor an
 *   executed, uncommitted block.
 * - NOT_EXECUTED: commit of a block that was never executed.
 * - COMMIT_CONFLICT: a commit names a block other than the one already
 *   committed at that height (never happens with an honest quorum).
 * - CLOSED: used after close().
 * - LOCKED: the data directory's database is held by another process.
 */
import { HotshardError } from '../../core/errors.js';

export type ChainErrorCode =
  | 'NOT_A_MEMBER'
  | 'GENESIS_MISMATCH'
  | 'CORRUPT'
  | 'PARENT_UNKNOWN'
  | 'NOT_EXECUTED'
  | 'COMMIT_CONFLICT'
  | 'CLOSED'
  | 'LOCKED';
export class ChainError extends HotshardError<ChainErrorCode> {}
