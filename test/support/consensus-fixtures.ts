/**
 * Builders of correctly signed consensus artifacts (blocks, proposals, votes,
 * QCs, timeouts, TCs) with the real ed25519 scheme, for unit tests that then
 * break one thing at a time.
 */
import { sha256 } from '../../core/hash.js';
import { ConsensusError } from '../../consensus/errors.js';
import { u64be } from '../../core/bytes.js';
import { ValidatorSet } from '../../consensus/committee.js';
import { genesisQc } from '../../consensus/engine.js';
import { StakeWeightedRoundRobin } from '../../consensus/leader-election.js';
import { BLOCK_VERSION, blockId, blockInfo } from '../../consensus/messages.js';
import {
  ed25519Scheme,
  proposalSigningBytes,
  timeoutSigningBytes,
  voteSigningBytes,
} from '../../consensus/signing.js';
import { CertificateCache, type VerifyContext } from '../../consensus/verify.js';
import type {
  Block,
  ConsensusDomain,
  Proposal,
  QuorumCert,
  Round,
  TimeoutCert,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
  VoteData,
} from '../../consensus/types.js';
import { TEST_DOMAIN, testCommittee, testGenesis, testKeys, type TestKey } from './consensus-harness.js';

export class Fixture {
  readonly keys: TestKey[];
  readonly committee;
  readonly validators: ValidatorSet;
  readonly leaders: StakeWeightedRoundRobin;
  readonly genesis: Block;
  readonly gqc: QuorumCert;
  readonly scheme = ed25519Scheme;

  constructor(
    n = 4,
    stakes?: readonly bigint[],
    readonly domain: ConsensusDomain = TEST_DOMAIN,
  ) {
    this.keys = testKeys(n);
    this.committee = testCommittee(this.keys, stakes);
    this.validators = new ValidatorSet(this.committee);
    this.leaders = new StakeWeightedRoundRobin(this.committee);
    this.genesis = testGenesis(domain);
    this.gqc = genesisQc(this.genesis);
  }

  ctx(extra: Partial<VerifyContext> = {}): VerifyContext {
    return {
      domain: this.domain,
      validators: this.validators,
      scheme: this.scheme,
      genesisQc: this.gqc,
      leaders: this.leaders,
      payloadDigest: (p) => sha256(p),
      cache: new CertificateCache(),
      ...extra,
    };
  }

  sign(i: ValidatorIndex, message: Uint8Array): Uint8Array {
    return this.scheme.sign(message, this.keys[i]!.seed);
  }

  /** The vote data an honest validator signs for `block`. */
  voteDataFor(block: Block): VoteData {
    const parent = block.qc.voteData.block;
    return { block: blockInfo(block), parent, commit: block.round === parent.round + 1 ? parent : null };
  }

  vote(i: ValidatorIndex, block: Block): Vote {
    const voteData = this.voteDataFor(block);
    return {
      voteData,
      epoch: this.domain.epoch,
      signer: i,
      signature: this.sign(i, voteSigningBytes(this.domain, voteData)),
    };
  }

  qcFor(
    block: Block,
    signers: readonly ValidatorIndex[] = this.keys
      .map((_, i) => i)
      .slice(0, Math.floor((2 * this.keys.length) / 3) + 1),
  ): QuorumCert {
    const voteData = this.voteDataFor(block);
    const msg = voteSigningBytes(this.domain, voteData);
    const sorted = [...signers].sort((a, b) => a - b);
    return {
      voteData,
      signers: this.validators.makeBitmap(sorted),
      signatures: sorted.map((i) => this.sign(i, msg)),
    };
  }

  block(opts: {
    parent: Block;
    qc?: QuorumCert;
    round?: Round;
    tc?: TimeoutCert | null;
    proposer?: ValidatorIndex;
    timestamp?: number;
    payload?: Uint8Array;
  }): Block {
    const round = opts.round ?? opts.parent.round + 1;
    const payload = opts.payload ?? u64be(round);
    return {
      version: BLOCK_VERSION,
      chainId: this.domain.chainId,
      committeeId: this.domain.committeeId,
      epoch: this.domain.epoch,
      round,
      height: opts.parent.height + 1,
      parentId: blockId(opts.parent),
      proposer: opts.proposer ?? this.leaders.leader(round),
      timestamp: opts.timestamp ?? opts.parent.timestamp + 1000,
      payloadDigest: sha256(payload),
      payload,
      qc: opts.qc ?? (opts.parent.round === 0 ? this.gqc : this.qcFor(opts.parent)),
      tc: opts.tc ?? null,
    };
  }

  proposal(
    block: Block,
    signer: ValidatorIndex = block.proposer,
    highCommitQc: QuorumCert | null = null,
  ): Proposal {
    return {
      block,
      signature: this.sign(signer, proposalSigningBytes(this.domain, block.round, blockId(block))),
      highCommitQc,
    };
  }

  timeout(i: ValidatorIndex, round: Round, highQc: QuorumCert, lastVote: Vote | null = null): TimeoutMsg {
    const sig = this.sign(i, timeoutSigningBytes(this.domain, round, highQc.voteData.block.round));
    return { epoch: this.domain.epoch, round, highQc, signer: i, signature: sig, lastVote, highTc: null };
  }

  tc(round: Round, timeouts: readonly TimeoutMsg[]): TimeoutCert {
    const sorted = [...timeouts].sort((a, b) => a.signer - b.signer);
    let highQc = sorted[0]!.highQc;
    for (const t of sorted)
      if (t.highQc.voteData.block.round > highQc.voteData.block.round) highQc = t.highQc;
    return {
      round,
      signers: this.validators.makeBitmap(sorted.map((t) => t.signer)),
      hqcRounds: sorted.map((t) => t.highQc.voteData.block.round),
      signatures: sorted.map((t) => t.signature),
      highQc,
    };
  }

  /** A certified chain genesis <- b1 <- ... <- bn (consecutive rounds); returns the blocks and the QC of each. */
  chain(n: number): { blocks: Block[]; qcs: QuorumCert[] } {
    const blocks: Block[] = [];
    const qcs: QuorumCert[] = [];
    let parent = this.genesis;
    for (let i = 0; i < n; i++) {
      const b = this.block({ parent });
      blocks.push(b);
      qcs.push(this.qcFor(b));
      parent = b;
    }
    return { blocks, qcs };
  }
}

/** The few assertions expectCode needs (any tap Test has them). */
export interface Asserts {
  ok: (...args: any[]) => unknown;
  equal: (...args: any[]) => unknown;
  fail: (...args: any[]) => unknown;
}

function checkError(t: Asserts, err: unknown, code: string, verdict?: 'ignore' | 'reject'): void {
  t.ok(err instanceof ConsensusError, `a ConsensusError (${(err as Error)?.message})`);
  t.equal((err as ConsensusError).code, code, (err as Error)?.message);
  if (verdict !== undefined) t.equal((err as ConsensusError).verdict, verdict, `verdict of ${code}`);
}

/** Asserts that `fn` throws a ConsensusError with `code` (and `verdict`). */
export function expectCode(t: Asserts, fn: () => unknown, code: string, verdict?: 'ignore' | 'reject'): void {
  try {
    fn();
  } catch (err) {
    checkError(t, err, code, verdict);
    return;
  }
  t.fail(`expected ${code}, nothing thrown`);
}

/** Asserts that `fn` rejects with a ConsensusError with `code`. */
export async function expectCodeAsync(t: Asserts, fn: () => Promise<unknown>, code: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    checkError(t, err, code);
    return;
  }
  t.fail(`expected ${code}, nothing thrown`);
}
