/**
 * What a Byzantine validator can make with its own key: votes, timeouts and
 * proposals for anything it likes, signed through the SignatureScheme like
 * an honest engine's, plus certificates assembled from signatures it has
 * seen. Nothing here changes the engine; honest engines judge the results.
 */
import { BLOCK_VERSION, blockId, blockInfo } from '../messages.js';
import { proposalSigningBytes, timeoutSigningBytes, voteSigningBytes } from '../signing.js';
import type { ValidatorSet } from '../committee.js';
import type {
  Block,
  ConsensusDomain,
  Proposal,
  QuorumCert,
  Round,
  SignatureScheme,
  TimeoutCert,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
  VoteData,
} from '../types.js';
import { simPayloadDigest } from './executor.js';

/** What a new block needs of its parent: the block itself need not be known (a QC names its id and height). */
export interface ParentRef {
  readonly id: Uint8Array;
  readonly height: number;
  /** The parent's timestamp, or a bound below which it surely lies. */
  readonly timestamp: number;
}

export function parentRef(b: Block): ParentRef {
  return { id: blockId(b), height: b.height, timestamp: b.timestamp };
}

export class Forger {
  constructor(
    private readonly domain: ConsensusDomain,
    private readonly scheme: SignatureScheme,
    private readonly secrets: ReadonlyMap<ValidatorIndex, Uint8Array>,
  ) {}

  private secret(signer: ValidatorIndex): Uint8Array {
    const s = this.secrets.get(signer);
    if (s === undefined) throw new RangeError(`the coalition holds no key of validator ${signer}`);
    return s;
  }

  /** The vote data an honest voter would sign for `block` (Jolteon: commit = parent on consecutive rounds). */
  static voteData(block: Block): VoteData {
    const parent = block.qc.voteData.block;
    return { block: blockInfo(block), parent, commit: block.round === parent.round + 1 ? parent : null };
  }

  vote(signer: ValidatorIndex, voteData: VoteData): Vote {
    return {
      voteData,
      epoch: this.domain.epoch,
      signer,
      signature: this.scheme.sign(voteSigningBytes(this.domain, voteData), this.secret(signer)),
    };
  }

  timeout(
    signer: ValidatorIndex,
    round: Round,
    highQc: QuorumCert,
    lastVote: Vote | null,
    highTc: TimeoutCert | null,
  ): TimeoutMsg {
    return {
      epoch: this.domain.epoch,
      round,
      highQc,
      signer,
      signature: this.scheme.sign(
        timeoutSigningBytes(this.domain, round, highQc.voteData.block.round),
        this.secret(signer),
      ),
      lastVote,
      highTc,
    };
  }

  /** A block of `round` by `proposer` on `parent` (certified by `qc`), justified by `tc` when the rounds are not consecutive. */
  block(
    proposer: ValidatorIndex,
    round: Round,
    parent: ParentRef,
    qc: QuorumCert,
    tc: TimeoutCert | null,
    timestamp: number,
    payload: Uint8Array,
  ): Block {
    return {
      version: BLOCK_VERSION,
      chainId: this.domain.chainId,
      committeeId: this.domain.committeeId,
      epoch: this.domain.epoch,
      round,
      height: parent.height + 1,
      parentId: parent.id,
      proposer,
      timestamp: Math.max(timestamp, parent.timestamp + 1),
      payloadDigest: simPayloadDigest(payload),
      payload,
      qc,
      tc: round === qc.voteData.block.round + 1 ? null : tc,
    };
  }

  proposal(block: Block, highCommitQc: QuorumCert | null): Proposal {
    return {
      block,
      signature: this.scheme.sign(
        proposalSigningBytes(this.domain, block.round, blockId(block)),
        this.secret(block.proposer),
      ),
      highCommitQc,
    };
  }
}

/** A QC from signatures over one vote data (signers ascending). */
export function assembleQc(
  validators: ValidatorSet,
  voteData: VoteData,
  sigs: ReadonlyMap<ValidatorIndex, Uint8Array>,
): QuorumCert {
  const signers = [...sigs.keys()].sort((a, b) => a - b);
  return { voteData, signers: validators.makeBitmap(signers), signatures: signers.map((i) => sigs.get(i)!) };
}

/** A TC from timeouts of one round: each signer's hqc round and signature; highQc is the highest of them. */
export function assembleTc(
  validators: ValidatorSet,
  round: Round,
  entries: ReadonlyMap<
    ValidatorIndex,
    { readonly hqcRound: Round; readonly signature: Uint8Array; readonly highQc: QuorumCert }
  >,
): TimeoutCert {
  const signers = [...entries.keys()].sort((a, b) => a - b);
  let highQc: QuorumCert | null = null;
  for (const i of signers) {
    const e = entries.get(i)!;
    if (highQc === null || e.hqcRound > highQc.voteData.block.round) highQc = e.highQc;
  }
  return {
    round,
    signers: validators.makeBitmap(signers),
    hqcRounds: signers.map((i) => entries.get(i)!.hqcRound),
    signatures: signers.map((i) => entries.get(i)!.signature),
    highQc: highQc!,
  };
}
