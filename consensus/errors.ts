/**
 * Typed errors of the consensus engine. Every inbound-message failure carries
 * a verdict, the one answer the network layer needs (gossip validation, peer
 * scoring): 'ignore' for what is merely stale, duplicate or not checkable yet,
 * 'reject' for what is provably invalid.
 */
import { HotshardError } from '../core/errors.js';

/** The answer to an inbound message. */
export type Verdict = 'accept' | 'ignore' | 'reject';

export type ConsensusErrorCode =
  // Placement: a message for another chain, committee or epoch.
  | 'WRONG_CHAIN'
  | 'WRONG_COMMITTEE'
  | 'WRONG_EPOCH'
  // Staleness and duplicates (ignore).
  | 'OLD_ROUND'
  | 'FUTURE_ROUND'
  | 'DUPLICATE'
  | 'BAD_TIMESTAMP'
  | 'NOT_RUNNING'
  // Signatures and signers.
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_SIGNER'
  | 'DUPLICATE_SIGNER'
  | 'SIGNATURE_COUNT'
  | 'QC_BELOW_QUORUM'
  | 'TC_BELOW_QUORUM'
  | 'NOT_LEADER'
  // Shape.
  | 'MALFORMED'
  | 'OVERSIZED'
  | 'INVALID_QC'
  | 'INVALID_TC'
  | 'INVALID_BLOCK'
  | 'INVALID_VOTE'
  | 'INVALID_TIMEOUT'
  | 'PAYLOAD_DIGEST'
  // Misbehaviour.
  | 'EQUIVOCATION'
  // Safety rules refusing to sign.
  | 'NOT_SAFE_TO_VOTE'
  | 'NOT_SAFE_TO_TIMEOUT'
  | 'ALREADY_VOTED'
  | 'INVALID_PROPOSAL'
  | 'PERSIST_FAILED'
  // Configuration and local failures.
  | 'BAD_COMMITTEE'
  | 'BAD_SIGNER'
  | 'BAD_RECOVERY'
  | 'UNKNOWN_BLOCK'
  | 'FETCH_FAILED'
  | 'EXECUTION_FAILED';

/** Codes whose message is not provably invalid: stale, duplicate, or depending on local view (epoch, clock). */
const IGNORED: ReadonlySet<ConsensusErrorCode> = new Set<ConsensusErrorCode>([
  'WRONG_EPOCH',
  'OLD_ROUND',
  'FUTURE_ROUND',
  'DUPLICATE',
  'BAD_TIMESTAMP',
  'NOT_RUNNING',
  'UNKNOWN_BLOCK',
  'FETCH_FAILED',
]);

/** The verdict a code maps to when it concerns an inbound message. */
export function verdictOf(code: ConsensusErrorCode): Exclude<Verdict, 'accept'> {
  return IGNORED.has(code) ? 'ignore' : 'reject';
}

export class ConsensusError extends HotshardError<ConsensusErrorCode> {
  readonly verdict: Exclude<Verdict, 'accept'>;

  constructor(
    code: ConsensusErrorCode,
    message: string,
    context?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(code, message, context, options);
    this.verdict = verdictOf(code);
  }
}

/** Throws a ConsensusError unless `cond` holds. */
export function ensure(
  cond: boolean,
  code: ConsensusErrorCode,
  message: string,
  context?: Record<string, unknown>,
): asserts cond {
  if (!cond) throw new ConsensusError(code, message, context);
}
