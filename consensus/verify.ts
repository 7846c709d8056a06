/**
 * Verification of every inbound consensus message, next to the network
 * (DESIGN.md, The node: one verdict per message). Each check throws a
 * ConsensusError whose verdict is 'ignore' (stale, duplicate, another epoch,
 * our clock) or 'reject' (provably invalid). Cheap checks run first:
 * placement, staleness, signer membership and shape, then signatures.
 *
 * The engine adds the checks that need its state (equivocation, duplicates)
 * and the ones that need the parent block (timestamp order).
 */
import { encode } from '../core/codec.js';
import { equalBytes, toHex } from '../core/bytes.js';
import { sha256 } from '../core/hash.js';
import { ValidatorSet } from './committee.js';
import { ConsensusError, ensure } from './errors.js';
import {
  ConsensusMessageCodec,
  MAX_MESSAGE_BYTES,
  QuorumCertCodec,
  TimeoutCertCodec,
  asConsensusError,
  blockId,
} from './messages.js';
import { proposalSigningBytes, timeoutSigningBytes, voteSigningBytes } from './signing.js';
import type {
  Block,
  BlockInfo,
  ConsensusDomain,
  ConsensusMessage,
  LeaderElection,
  Proposal,
  QuorumCert,
  Round,
  SignatureScheme,
  TimeoutCert,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
  VoteData,
} from './types.js';

/** How far ahead of our round a vote is still aggregated (votes carry no certificate to catch up with). */
export const MAX_FUTURE_VOTE_ROUNDS = 100;

/** Remembers certificates already verified (by the hash of their encoding), so a QC carried by n timeouts is checked once. */
export class CertificateCache {
  private readonly seen = new Set<string>();
  constructor(private readonly capacity = 4096) {}

  key(bytes: Uint8Array): string {
    return toHex(sha256(bytes));
  }
  has(key: string): boolean {
    return this.seen.has(key);
  }
  add(key: string): void {
    if (this.seen.size >= this.capacity) {
      // Oldest first: Set iteration follows insertion order.
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    this.seen.add(key);
  }
}

export interface VerifyContext {
  readonly domain: ConsensusDomain;
  readonly validators: ValidatorSet;
  readonly scheme: SignatureScheme;
  /** The one round-0 QC accepted without signatures (genesisQc of the epoch's genesis block). */
  readonly genesisQc: QuorumCert;
  /** When given, a block's proposer must be the leader of its round. */
  readonly leaders?: LeaderElection;
  /** When given, a block's payloadDigest must equal payloadDigest(payload). */
  readonly payloadDigest?: (payload: Uint8Array) => Uint8Array;
  readonly cache?: CertificateCache;
}

/** The local view that staleness checks need. */
export interface RoundView {
  readonly round: Round;
  readonly highQcRound: Round;
  readonly highTcRound: Round;
}

/** Checks that a message fits its schema and the size cap; returns its encoded size. */
export function checkShape(msg: ConsensusMessage, maxBytes = MAX_MESSAGE_BYTES): number {
  let bytes: Uint8Array;
  try {
    bytes = encode(ConsensusMessageCodec, msg);
  } catch (err) {
    throw asConsensusError(err);
  }
  ensure(bytes.length <= maxBytes, 'OVERSIZED', `message of ${bytes.length} bytes exceeds ${maxBytes}`, {
    size: bytes.length,
  });
  return bytes.length;
}

function sameInfo(a: BlockInfo, b: BlockInfo): boolean {
  return equalBytes(a.id, b.id) && a.round === b.round && a.height === b.height;
}

/**
 * The shape every honest vote has: the parent is one height below and of a
 * lower round, and the commit info names the parent exactly when the block's
 * round follows the parent's (2-chain), else nothing.
 */
export function checkVoteData(vd: VoteData, code: 'INVALID_QC' | 'INVALID_VOTE'): void {
  ensure(vd.block.round >= 1, code, 'a vote names a block of round >= 1');
  ensure(
    vd.parent.round < vd.block.round,
    code,
    `parent round ${vd.parent.round} is not below block round ${vd.block.round}`,
  );
  ensure(
    vd.block.height === vd.parent.height + 1,
    code,
    `block height ${vd.block.height} does not follow parent height ${vd.parent.height}`,
  );
  if (vd.block.round === vd.parent.round + 1) {
    ensure(
      vd.commit !== null && sameInfo(vd.commit, vd.parent),
      code,
      'commit info must name the parent when the rounds are consecutive',
    );
  } else {
    ensure(vd.commit === null, code, 'commit info must be empty when the rounds are not consecutive');
  }
}

/** Signer indices of a certificate, with count and duplicate checks; returns them ascending. */
function certificateSigners(
  ctx: VerifyContext,
  signers: Uint8Array,
  sigs: readonly Uint8Array[],
): ValidatorIndex[] {
  const idx = ctx.validators.signersOf(signers);
  ensure(
    sigs.length === idx.length,
    'SIGNATURE_COUNT',
    `${sigs.length} signatures for ${idx.length} signers`,
    {
      signatures: sigs.length,
      signers: idx.length,
    },
  );
  // Distinct keys never produce the same signature: a repeated one is a
  // signer's signature copied into another signer's slot.
  const seen = new Set<string>();
  for (const s of sigs) {
    const k = toHex(s);
    ensure(!seen.has(k), 'DUPLICATE_SIGNER', 'the same signature appears twice');
    seen.add(k);
  }
  return idx;
}

/** Verifies a quorum certificate. Throws INVALID_QC, UNKNOWN_SIGNER, SIGNATURE_COUNT, DUPLICATE_SIGNER, QC_BELOW_QUORUM, BAD_SIGNATURE, MALFORMED. */
export function verifyQc(ctx: VerifyContext, qc: QuorumCert): void {
  let bytes: Uint8Array;
  try {
    bytes = encode(QuorumCertCodec, qc);
  } catch (err) {
    throw asConsensusError(err);
  }
  if (qc.voteData.block.round === 0) {
    // Round 0 is the genesis certificate: no signatures, accepted only as the known one.
    ensure(
      equalBytes(bytes, encode(QuorumCertCodec, ctx.genesisQc)),
      'INVALID_QC',
      'a round-0 QC must be the genesis QC',
    );
    return;
  }
  checkVoteData(qc.voteData, 'INVALID_QC');
  const signers = certificateSigners(ctx, qc.signers, qc.signatures);
  ensure(
    ctx.validators.hasQuorum(signers),
    'QC_BELOW_QUORUM',
    `signers ${signers.join(',')} hold no quorum`,
    { signers },
  );
  const key = ctx.cache?.key(bytes);
  if (key !== undefined && ctx.cache!.has(key)) return;
  const msg = voteSigningBytes(ctx.domain, qc.voteData);
  verifySignerSignatures(ctx, 'QC', signers, qc.signatures, () => msg);
  if (key !== undefined) ctx.cache!.add(key);
}

/** Verifies a timeout certificate: each signer signed its own hqc round, highQc is the highest of them and valid, stake quorum. */
export function verifyTc(ctx: VerifyContext, tc: TimeoutCert): void {
  let bytes: Uint8Array;
  try {
    bytes = encode(TimeoutCertCodec, tc);
  } catch (err) {
    throw asConsensusError(err);
  }
  ensure(tc.round >= 1, 'INVALID_TC', 'a TC is for a round >= 1');
  const signers = certificateSigners(ctx, tc.signers, tc.signatures);
  ensure(
    tc.hqcRounds.length === signers.length,
    'SIGNATURE_COUNT',
    `${tc.hqcRounds.length} hqc rounds for ${signers.length} signers`,
  );
  let maxHqc = 0;
  for (const r of tc.hqcRounds) {
    ensure(r < tc.round, 'INVALID_TC', `hqc round ${r} is not below the TC round ${tc.round}`);
    if (r > maxHqc) maxHqc = r;
  }
  ensure(
    tc.highQc.voteData.block.round === maxHqc,
    'INVALID_TC',
    `highQc round ${tc.highQc.voteData.block.round} is not the highest hqc round ${maxHqc}`,
  );
  ensure(
    ctx.validators.hasQuorum(signers),
    'TC_BELOW_QUORUM',
    `signers ${signers.join(',')} hold no quorum`,
    { signers },
  );
  const key = ctx.cache?.key(bytes);
  if (key !== undefined && ctx.cache!.has(key)) return;
  verifyQc(ctx, tc.highQc);
  verifySignerSignatures(ctx, 'TC', signers, tc.signatures, (k) =>
    timeoutSigningBytes(ctx.domain, tc.round, tc.hqcRounds[k]!),
  );
  if (key !== undefined) ctx.cache!.add(key);
}

/** Checks the k-th signature against the k-th signer's key over `messageOf(k)`: one rule for QCs and TCs. */
function verifySignerSignatures(
  ctx: VerifyContext,
  what: 'QC' | 'TC',
  signers: readonly ValidatorIndex[],
  signatures: readonly Uint8Array[],
  messageOf: (k: number) => Uint8Array,
): void {
  signers.forEach((v, k) => {
    ensure(
      ctx.scheme.verify(signatures[k]!, messageOf(k), ctx.validators.publicKey(v)),
      'BAD_SIGNATURE',
      `${what} signature of validator ${v} does not verify`,
      { signer: v },
    );
  });
}

function checkEpoch(ctx: VerifyContext, epoch: number): void {
  ensure(epoch === ctx.domain.epoch, 'WRONG_EPOCH', `epoch ${epoch} is not ours (${ctx.domain.epoch})`, {
    epoch,
  });
}

function checkSigner(ctx: VerifyContext, signer: ValidatorIndex): void {
  ensure(ctx.validators.has(signer), 'UNKNOWN_SIGNER', `validator ${signer} is not in the committee`, {
    signer,
  });
}

/** Verifies a vote: epoch, signer, vote shape, signature. */
export function verifyVote(ctx: VerifyContext, vote: Vote): void {
  checkEpoch(ctx, vote.epoch);
  checkSigner(ctx, vote.signer);
  checkVoteData(vote.voteData, 'INVALID_VOTE');
  const msg = voteSigningBytes(ctx.domain, vote.voteData);
  ensure(
    ctx.scheme.verify(vote.signature, msg, ctx.validators.publicKey(vote.signer)),
    'BAD_SIGNATURE',
    `vote signature of validator ${vote.signer} does not verify`,
    {
      signer: vote.signer,
    },
  );
}

/** Verifies a timeout message: epoch, signer, its QC, its signature over (round, hqc round), the attached vote and TC. */
export function verifyTimeoutMsg(ctx: VerifyContext, t: TimeoutMsg): void {
  checkEpoch(ctx, t.epoch);
  checkSigner(ctx, t.signer);
  ensure(t.round >= 1, 'INVALID_TIMEOUT', 'a timeout is for a round >= 1');
  const hqcRound = t.highQc.voteData.block.round;
  ensure(
    hqcRound < t.round,
    'INVALID_TIMEOUT',
    `hqc round ${hqcRound} is not below the timeout round ${t.round}`,
  );
  if (t.lastVote !== null) {
    ensure(t.lastVote.signer === t.signer, 'INVALID_TIMEOUT', 'the attached vote is not the sender');
    ensure(
      t.lastVote.voteData.block.round === t.round,
      'INVALID_TIMEOUT',
      'the attached vote is not of the timeout round',
    );
  }
  const highTc = t.highTc ?? null;
  if (highTc !== null)
    ensure(
      highTc.round < t.round,
      'INVALID_TIMEOUT',
      `attached TC round ${highTc.round} is not below ${t.round}`,
    );
  const msg = timeoutSigningBytes(ctx.domain, t.round, hqcRound);
  ensure(
    ctx.scheme.verify(t.signature, msg, ctx.validators.publicKey(t.signer)),
    'BAD_SIGNATURE',
    `timeout signature of validator ${t.signer} does not verify`,
    {
      signer: t.signer,
    },
  );
  verifyQc(ctx, t.highQc);
  if (t.lastVote !== null) verifyVote(ctx, t.lastVote);
  if (highTc !== null) verifyTc(ctx, highTc);
}

/**
 * Verifies a block on its own (as a proposal carries it or as a fetch returns
 * it): placement, the link to the QC it carries, the TC rule, the proposer,
 * the payload digest and the certificates. The parent's timestamp is checked
 * by the engine once the parent is known.
 */
export function verifyBlock(ctx: VerifyContext, block: Block): void {
  ensure(
    block.chainId === ctx.domain.chainId,
    'WRONG_CHAIN',
    `chain ${block.chainId} is not ours (${ctx.domain.chainId})`,
  );
  ensure(
    block.committeeId === ctx.domain.committeeId,
    'WRONG_COMMITTEE',
    `committee ${block.committeeId} is not ours (${ctx.domain.committeeId})`,
  );
  checkEpoch(ctx, block.epoch);
  ensure(block.round >= 1, 'INVALID_BLOCK', 'only the genesis block has round 0');
  checkSigner(ctx, block.proposer);
  if (ctx.leaders !== undefined) {
    const leader = ctx.leaders.leader(block.round);
    ensure(
      block.proposer === leader,
      'NOT_LEADER',
      `validator ${block.proposer} is not the leader of round ${block.round} (${leader})`,
      {
        proposer: block.proposer,
        leader,
      },
    );
  }
  const certified = block.qc.voteData.block;
  ensure(
    certified.round < block.round,
    'INVALID_BLOCK',
    `QC round ${certified.round} is not below the block round ${block.round}`,
  );
  ensure(
    equalBytes(certified.id, block.parentId),
    'INVALID_BLOCK',
    'parentId is not the block the QC certifies',
  );
  ensure(
    block.height === certified.height + 1,
    'INVALID_BLOCK',
    `height ${block.height} does not follow the parent height ${certified.height}`,
  );
  // A TC is carried exactly when the QC alone does not justify the round.
  if (block.round === certified.round + 1) {
    ensure(block.tc === null, 'INVALID_BLOCK', 'a block that follows its QC round carries no TC');
  } else {
    ensure(
      block.tc !== null,
      'INVALID_BLOCK',
      `round ${block.round} does not follow QC round ${certified.round} and no TC justifies it`,
    );
    ensure(
      block.tc.round + 1 === block.round,
      'INVALID_BLOCK',
      `TC round ${block.tc.round} does not precede block round ${block.round}`,
    );
  }
  if (ctx.payloadDigest !== undefined) {
    let digest: Uint8Array;
    try {
      digest = ctx.payloadDigest(block.payload);
    } catch (err) {
      throw new ConsensusError(
        'PAYLOAD_DIGEST',
        `payload digest failed: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
    ensure(
      equalBytes(digest, block.payloadDigest),
      'PAYLOAD_DIGEST',
      'payloadDigest does not match the payload',
    );
  }
  verifyQc(ctx, block.qc);
  if (block.tc !== null) verifyTc(ctx, block.tc);
}

export interface ProposalCheckOptions {
  /** Local clock; with maxClockSkewMs, a block from further in the future is ignored. */
  readonly now?: number;
  readonly maxClockSkewMs?: number;
}

/** Verifies a proposal: the block, the proposer's signature, the attached commit certificate, the timestamp bound. */
export function verifyProposal(ctx: VerifyContext, p: Proposal, opts: ProposalCheckOptions = {}): void {
  const block = p.block;
  verifyBlock(ctx, block);
  if (opts.now !== undefined && opts.maxClockSkewMs !== undefined) {
    ensure(
      block.timestamp <= opts.now + opts.maxClockSkewMs,
      'BAD_TIMESTAMP',
      `timestamp ${block.timestamp} is ahead of the local clock ${opts.now}`,
    );
  }
  const msg = proposalSigningBytes(ctx.domain, block.round, blockId(block));
  ensure(
    ctx.scheme.verify(p.signature, msg, ctx.validators.publicKey(block.proposer)),
    'BAD_SIGNATURE',
    `proposal signature of validator ${block.proposer} does not verify`,
    {
      signer: block.proposer,
    },
  );
  if (p.highCommitQc !== null) {
    ensure(p.highCommitQc.voteData.commit !== null, 'INVALID_QC', 'highCommitQc commits nothing');
    verifyQc(ctx, p.highCommitQc);
  }
}

/**
 * Verifies any inbound message against our view: shape and size, placement,
 * staleness (against `view`), then signatures. Block requests and responses
 * are checked for shape only (the engine verifies fetched blocks itself).
 */
export function verifyMessage(
  ctx: VerifyContext,
  msg: ConsensusMessage,
  view: RoundView | null,
  opts: ProposalCheckOptions & { readonly shapeChecked?: boolean } = {},
): void {
  if (opts.shapeChecked !== true) checkShape(msg);
  switch (msg.type) {
    case 'proposal': {
      const b = msg.value.block;
      if (
        b.epoch === ctx.domain.epoch &&
        b.chainId === ctx.domain.chainId &&
        b.committeeId === ctx.domain.committeeId &&
        view !== null
      ) {
        ensure(
          b.round >= view.round,
          'OLD_ROUND',
          `proposal of round ${b.round} while in round ${view.round}`,
          { round: b.round },
        );
      }
      verifyProposal(ctx, msg.value, opts);
      return;
    }
    case 'vote': {
      const v = msg.value;
      checkEpoch(ctx, v.epoch);
      const r = v.voteData.block.round;
      if (view !== null) {
        ensure(
          r > view.highQcRound && r + 1 >= view.round,
          'OLD_ROUND',
          `vote of round ${r} while in round ${view.round}`,
          { round: r },
        );
        ensure(
          r <= view.round + MAX_FUTURE_VOTE_ROUNDS,
          'FUTURE_ROUND',
          `vote of round ${r} is too far ahead of round ${view.round}`,
          { round: r },
        );
      }
      verifyVote(ctx, v);
      return;
    }
    case 'timeout': {
      // An old timeout is useless only when its certificates are no news: a
      // QC or TC it carries may still let a lagging node catch up.
      const t = msg.value;
      checkEpoch(ctx, t.epoch);
      if (view !== null && t.round < view.round) {
        const news =
          t.highQc.voteData.block.round > view.highQcRound || (t.highTc?.round ?? 0) > view.highTcRound;
        ensure(news, 'OLD_ROUND', `timeout of round ${t.round} while in round ${view.round}`, {
          round: t.round,
        });
      }
      verifyTimeoutMsg(ctx, t);
      return;
    }
    case 'blockRequest':
    case 'blockResponse':
      return;
  }
}
