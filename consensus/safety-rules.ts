/**
 * Safety rules (DESIGN.md, Consensus; Aptos `safety_rules_2chain`): the one
 * module that holds the signing key and the persisted safety data. Small on
 * purpose, so it can be audited alone: whatever the rest of the engine does,
 * these rules alone keep a validator from signing two different votes in one
 * round or voting against a lock, across restarts.
 *
 *  - Vote for block B of round r (carrying qc, and tc when the previous round
 *    timed out) only if r > lastVotedRound and either r == qc.round + 1, or
 *    r == tc.round + 1 and qc.round >= max(tc's high-QC rounds). A vote sets
 *    lastVotedRound = r and oneChainRound = max(oneChainRound, qc.round).
 *    Asked again for the round of the stored vote: the same block gets the
 *    stored vote back, another block is refused.
 *  - Sign a timeout for round r with high QC hqc only if r >= lastVotedRound,
 *    (r == hqc.round + 1 or r == tc.round + 1) and hqc.round >=
 *    oneChainRound; it sets lastVotedRound = r and highestTimeoutRound.
 *  - Sign a proposal only for a round above lastVotedRound, at most one per
 *    round, and only once the round is reserved (proposalRound, saved): after
 *    a restart no proposal is signed at or below the reserved round, so a
 *    leader's proposal may leave before its own vote is saved. The
 *    reservation rides on the save of the vote of the round before when we
 *    lead the next one (reserveNextRound), so it usually costs no write.
 *  - The new safety data is saved, and the save awaited, BEFORE a vote or a
 *    timeout is returned. All operations run one at a time.
 *
 * Inputs (blocks, QCs, TCs) are expected to be verified already (verify.ts);
 * these rules check their links and rounds, not their signatures.
 */
import { equalBytes } from '../core/bytes.js';
import { ConsensusError, ensure } from './errors.js';
import { blockId } from './messages.js';
import { proposalSigningBytes, timeoutSigningBytes, voteSigningBytes } from './signing.js';
import type { ValidatorSet } from './committee.js';
import type {
  Block,
  BlockInfo,
  ConsensusDomain,
  ConsensusMutations,
  Round,
  QuorumCert,
  SafetyData,
  SafetyStorage,
  Signer,
  TimeoutCert,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
  VoteData,
} from './types.js';

export interface SafetyRulesOptions {
  readonly domain: ConsensusDomain;
  /** Our index in the committee (the signer field of our votes and timeouts). */
  readonly self: ValidatorIndex;
  readonly signer: Signer;
  readonly storage: SafetyStorage;
  /** When given, the signer's public key must be the committee's key at `self`. */
  readonly validators?: ValidatorSet;
  /** Mutation switches (tests only): dropTcHighQcClause, skipPersistBeforeVote, skipProposalReservation. */
  readonly mutations?: ConsensusMutations;
}

/** The safety data of a validator that has signed nothing in `epoch`. */
export function initialSafetyData(epoch: number): SafetyData {
  return {
    epoch,
    lastVotedRound: 0,
    oneChainRound: 0,
    lastVote: null,
    highestTimeoutRound: 0,
    lastTimeout: null,
    proposalRound: 0,
  };
}

export class SafetyRules {
  private current: SafetyData;
  private lock: Promise<unknown> = Promise.resolve();
  /**
   * The round of the last vote that left the process. A vote is saved before
   * its block's execution ends (the engine overlaps the two); one whose block
   * then failed is never sent, and must not ride along with a timeout either.
   * In memory only: after a restart no stored vote counts as sent.
   */
  private releasedVoteRound = 0;
  /** The reservation loaded at start: we may have signed a proposal in any round up to it before. */
  private readonly proposalRoundAtStart: Round;
  /** The highest round we signed a proposal in since the start. */
  private signedProposalRound = 0;

  private constructor(
    private readonly opts: SafetyRulesOptions,
    data: SafetyData,
  ) {
    this.current = data;
    this.proposalRoundAtStart = data.proposalRound;
  }

  /** Loads the safety data (a new epoch starts afresh; a stored later epoch is refused). */
  static async open(opts: SafetyRulesOptions): Promise<SafetyRules> {
    if (opts.validators !== undefined) {
      ensure(opts.validators.has(opts.self), 'BAD_SIGNER', `index ${opts.self} is not in the committee`);
      ensure(
        equalBytes(opts.validators.publicKey(opts.self), opts.signer.publicKey),
        'BAD_SIGNER',
        `the signer's key is not the key of validator ${opts.self}`,
      );
    }
    const loaded = await opts.storage.load();
    const epoch = opts.domain.epoch;
    if (loaded !== null && loaded.epoch > epoch) {
      throw new ConsensusError(
        'WRONG_EPOCH',
        `safety data is of epoch ${loaded.epoch}, later than ${epoch}`,
        { stored: loaded.epoch, epoch },
      );
    }
    const rules = new SafetyRules(
      opts,
      loaded !== null && loaded.epoch === epoch ? loaded : initialSafetyData(epoch),
    );
    if (loaded === null || loaded.epoch < epoch) await rules.persist(rules.current);
    return rules;
  }

  /** A snapshot of the safety data (what is durable, unless a mutation switch skips the save). */
  get data(): SafetyData {
    return this.current;
  }

  /**
   * Signs a vote for `block` (with `tc` when the block's round follows a
   * timeout), persisting first. `reserveNextRound`: we lead the next round, so
   * the same save reserves it for our proposal.
   */
  constructAndSignVote(block: Block, tc: TimeoutCert | null, reserveNextRound = false): Promise<Vote> {
    return this.serial(async () => {
      const data = this.current;
      this.checkPlacement(block);
      const r = block.round;
      const qc = block.qc.voteData.block;
      ensure(
        equalBytes(block.parentId, qc.id),
        'INVALID_PROPOSAL',
        'the block does not extend the block its QC certifies',
      );
      ensure(
        block.height === qc.height + 1 && qc.round < r,
        'INVALID_PROPOSAL',
        'the block does not follow its QC',
      );
      const id = blockId(block);

      // Asked again for the round of our last vote: same block, same vote.
      const last = data.lastVote;
      if (last !== null && last.voteData.block.round === r) {
        if (equalBytes(last.voteData.block.id, id)) return last;
        throw new ConsensusError('ALREADY_VOTED', `already voted for another block in round ${r}`, {
          round: r,
        });
      }
      ensure(
        r > data.lastVotedRound,
        'OLD_ROUND',
        `round ${r} is not above the last voted round ${data.lastVotedRound}`,
        {
          round: r,
          lastVotedRound: data.lastVotedRound,
        },
      );
      ensure(
        this.safeToVote(r, qc.round, tc),
        'NOT_SAFE_TO_VOTE',
        `round ${r} follows neither its QC (round ${qc.round}) nor a TC that allows it`,
        {
          round: r,
          qcRound: qc.round,
          tcRound: tc?.round ?? null,
        },
      );

      const blockInfo: BlockInfo = { id, round: r, height: block.height };
      const voteData: VoteData = { block: blockInfo, parent: qc, commit: r === qc.round + 1 ? qc : null };
      const vote: Vote = {
        voteData,
        epoch: data.epoch,
        signer: this.opts.self,
        signature: this.opts.signer.sign(voteSigningBytes(this.opts.domain, voteData)),
      };
      const next: SafetyData = {
        ...data,
        lastVotedRound: r,
        oneChainRound: Math.max(data.oneChainRound, qc.round),
        lastVote: vote,
        proposalRound:
          reserveNextRound && !this.skipReservation
            ? Math.max(data.proposalRound, r + 1)
            : data.proposalRound,
      };
      // MUTATION skipPersistBeforeVote: the vote leaves without being made durable.
      if (this.opts.mutations?.skipPersistBeforeVote !== true) await this.persist(next);
      this.current = next;
      return vote;
    });
  }

  /** Signs a timeout for `round` carrying `highQc` (with `tc` when round == tc.round + 1), persisting first. */
  signTimeout(round: Round, highQc: QuorumCert, tc: TimeoutCert | null): Promise<TimeoutMsg> {
    return this.serial(async () => {
      const data = this.current;
      const hqcRound = highQc.voteData.block.round;
      ensure(
        Number.isSafeInteger(round) && round >= 1,
        'NOT_SAFE_TO_TIMEOUT',
        `no timeout for round ${round}`,
      );
      ensure(hqcRound < round, 'NOT_SAFE_TO_TIMEOUT', `hqc round ${hqcRound} is not below round ${round}`);
      ensure(
        round >= data.lastVotedRound,
        'OLD_ROUND',
        `round ${round} is below the last voted round ${data.lastVotedRound}`,
        {
          round,
          lastVotedRound: data.lastVotedRound,
        },
      );
      const follows = round === hqcRound + 1 || (tc !== null && round === tc.round + 1);
      ensure(
        follows && hqcRound >= data.oneChainRound,
        'NOT_SAFE_TO_TIMEOUT',
        `timeout of round ${round} with hqc round ${hqcRound} is not safe`,
        {
          round,
          hqcRound,
          tcRound: tc?.round ?? null,
          oneChainRound: data.oneChainRound,
        },
      );
      const stored = data.lastTimeout;
      if (stored !== null && stored.round === round && stored.highQc.voteData.block.round === hqcRound)
        return stored;

      const lastVote =
        data.lastVote !== null &&
        data.lastVote.voteData.block.round === round &&
        this.releasedVoteRound === round
          ? data.lastVote
          : null;
      const msg: TimeoutMsg = {
        epoch: data.epoch,
        round,
        highQc,
        signer: this.opts.self,
        signature: this.opts.signer.sign(timeoutSigningBytes(this.opts.domain, round, hqcRound)),
        lastVote,
      };
      const next: SafetyData = {
        ...data,
        lastVotedRound: Math.max(data.lastVotedRound, round),
        highestTimeoutRound: Math.max(data.highestTimeoutRound, round),
        lastTimeout: msg,
      };
      await this.persist(next);
      this.current = next;
      return msg;
    });
  }

  /** The engine sends `vote` (our stored last vote): from now on our timeouts of its round carry it. */
  voteReleased(vote: Vote): void {
    if (this.current.lastVote === vote) this.releasedVoteRound = vote.voteData.block.round;
  }

  /**
   * Saves `round` as reserved for our proposal (nothing to do when it already
   * is), so that signing it later needs no write of its own. The engine calls
   * it when it starts building, to overlap the save with the build.
   */
  reserveProposal(round: Round): Promise<void> {
    return this.serial(async () => {
      if (round > this.current.lastVotedRound) await this.saveReservation(round);
    });
  }

  /**
   * Signs our proposal `block`: only as its proposer, for a round we have not
   * voted or timed out in, one per round, never at or below a reservation
   * loaded at start (a proposal may have left before the restart), and only
   * once its round's reservation is saved (saving it here when not yet done).
   */
  signProposal(block: Block): Promise<Uint8Array> {
    return this.serial(async () => {
      this.checkPlacement(block);
      const r = block.round;
      ensure(
        block.proposer === this.opts.self,
        'INVALID_PROPOSAL',
        `block proposer ${block.proposer} is not us (${this.opts.self})`,
      );
      ensure(
        r > this.current.lastVotedRound,
        'INVALID_PROPOSAL',
        `round ${r} is not above the last voted round ${this.current.lastVotedRound}`,
      );
      ensure(
        r > this.proposalRoundAtStart,
        'INVALID_PROPOSAL',
        `round ${r} was reserved for a proposal before the restart (up to ${this.proposalRoundAtStart})`,
      );
      ensure(r > this.signedProposalRound, 'INVALID_PROPOSAL', `already signed a proposal in round ${r}`);
      ensure(block.qc.voteData.block.round < r, 'INVALID_PROPOSAL', 'the block does not follow its QC');
      await this.saveReservation(r);
      this.signedProposalRound = r;
      return this.opts.signer.sign(proposalSigningBytes(this.opts.domain, r, blockId(block)));
    });
  }

  /** Saves `round` as our reserved proposal round, unless a reservation at or above it is saved already. */
  private async saveReservation(round: Round): Promise<void> {
    if (round <= this.current.proposalRound || this.skipReservation) return;
    const next: SafetyData = { ...this.current, proposalRound: round };
    await this.persist(next);
    this.current = next;
  }

  /** MUTATION skipProposalReservation: nothing is ever reserved, so a proposal may leave with nothing saved for its round. */
  private get skipReservation(): boolean {
    return this.opts.mutations?.skipProposalReservation === true;
  }

  /** The voting rule (Jolteon 2-chain). */
  private safeToVote(round: Round, qcRound: Round, tc: TimeoutCert | null): boolean {
    if (round === qcRound + 1) return true;
    if (tc === null || round !== tc.round + 1) return false;
    // MUTATION dropTcHighQcClause: vote after a TC without checking the lock.
    if (this.opts.mutations?.dropTcHighQcClause === true) return true;
    let maxHqc = 0;
    for (const r of tc.hqcRounds) if (r > maxHqc) maxHqc = r;
    return qcRound >= maxHqc;
  }

  private checkPlacement(block: Block): void {
    const d = this.opts.domain;
    ensure(
      block.epoch === this.current.epoch,
      'WRONG_EPOCH',
      `block epoch ${block.epoch} is not ${this.current.epoch}`,
    );
    ensure(block.chainId === d.chainId, 'WRONG_CHAIN', `block chain ${block.chainId} is not ${d.chainId}`);
    ensure(
      block.committeeId === d.committeeId,
      'WRONG_COMMITTEE',
      `block committee ${block.committeeId} is not ${d.committeeId}`,
    );
  }

  private async persist(next: SafetyData): Promise<void> {
    try {
      await this.opts.storage.save(next);
    } catch (err) {
      throw new ConsensusError(
        'PERSIST_FAILED',
        `saving the safety data failed: ${(err as Error)?.message ?? String(err)}`,
        {},
        { cause: err },
      );
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

/** SafetyStorage in memory (tests, simulator). Copies on save and load, like a real store. */
export class InMemorySafetyStorage implements SafetyStorage {
  private stored: SafetyData | null;
  /** Number of completed saves. */
  saves = 0;

  constructor(initial: SafetyData | null = null) {
    this.stored = initial === null ? null : structuredClone(initial);
  }

  async load(): Promise<SafetyData | null> {
    return this.stored === null ? null : structuredClone(this.stored);
  }

  async save(data: SafetyData): Promise<void> {
    this.stored = structuredClone(data);
    this.saves++;
  }

  /** What a restart would load (for tests). */
  peek(): SafetyData | null {
    return this.stored;
  }
}
