/**
 * The round manager of one committee (Jolteon / DiemBFT v4 as Aptos runs it;
 * DESIGN.md, Consensus). It is deterministic and owns no I/O: the network,
 * the clock, the safety storage, the executor and the key come in through
 * EngineOptions.
 *
 * Inbound messages are verified next to the network (handleMessage answers
 * with a verdict as soon as verification is done), then processed one at a
 * time on an internal queue; timers and proposals go through the same queue,
 * so no two handlers ever interleave.
 *
 *   proposal  sync up on its certificates (fetching missing ancestors), run
 *             the block (timestamp, execution), ask the safety rules for a
 *             vote, send it to the leader of the next round
 *   vote      aggregate into a QC by stake; a QC is processed like any other
 *   timeout   sync up on its QC and TC, count its vote, aggregate into a TC;
 *             more than 1/3 of the stake timed out in our round -> time out
 *   QC        record it, commit by the 2-chain rule, enter max(qc, tc) + 1
 *   TC        its QC first, then enter tc.round + 1
 */
import { equalBytes } from '../core/bytes.js';
import { encode } from '../core/codec.js';
import { BlockTree, DEFAULT_RETAIN_COMMITTED, fetchMissingChain } from './block-tree.js';
import { ValidatorSet } from './committee.js';
import { ConsensusError, ensure, type Verdict } from './errors.js';
import { StakeWeightedRoundRobin } from './leader-election.js';
import {
  BLOCK_VERSION,
  BlockCodec,
  MAX_FETCH_BLOCKS,
  MAX_MESSAGE_BYTES,
  VoteDataCodec,
  blockId,
  blockInfo,
  asConsensusError,
} from './messages.js';
import { Pacemaker, TimeoutAggregator, VoteAggregator } from './pacemaker.js';
import { SafetyRules } from './safety-rules.js';
import {
  CertificateCache,
  MAX_FUTURE_VOTE_ROUNDS,
  checkShape,
  verifyBlock,
  verifyMessage,
  verifyQc,
  verifyTc,
  type VerifyContext,
} from './verify.js';
import type {
  Block,
  BlockExecutor,
  BlockId,
  BlockInfo,
  BlockRequest,
  BlockResponse,
  Clock,
  CommitteeMember,
  ConsensusDomain,
  ConsensusMessage,
  ConsensusMutations,
  ConsensusNetwork,
  ExecutionVerdict,
  LeaderElection,
  Proposal,
  QuorumCert,
  Round,
  SafetyStorage,
  SignatureScheme,
  Signer,
  TimeoutCert,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
} from './types.js';

export type { Verdict } from './errors.js';

export interface EngineTiming {
  /** Round time with no backoff (DESIGN.md: 1 s). */
  readonly baseTimeoutMs: number;
  /** Multiplier per round since the last commit (1.5). */
  readonly backoff: number;
  /** Cap of the round time (8 s). */
  readonly maxTimeoutMs: number;
  /**
   * A leader proposes at least this long after the latest proposal it
   * accepted, its own or a peer's (50 ms), so that a chain with nothing to
   * carry does not spin empty blocks as fast as messages travel: about 20
   * blocks a second at most, against about 80 when each leader only spaced
   * its own proposals (four leaders in turn).
   */
  readonly minProposalIntervalMs: number;
  /** A block's timestamp may be at most this far ahead of the local clock. */
  readonly maxClockSkewMs: number;
  /** A block fetch from one peer gives up after this long. */
  readonly fetchTimeoutMs: number;
}

export const DEFAULT_ENGINE_TIMING: EngineTiming = {
  baseTimeoutMs: 1000,
  backoff: 1.5,
  maxTimeoutMs: 8000,
  minProposalIntervalMs: 50,
  maxClockSkewMs: 2000,
  fetchTimeoutMs: 2000,
};

/** Timeouts this far ahead of our round are still aggregated (a lagging node can then form the TC that lets it catch up). */
export const MAX_FUTURE_TIMEOUT_ROUNDS = 100;
/** Largest gap (in blocks) filled by fetching; beyond it the node needs state sync (a 'syncNeeded' event). */
export const MAX_CATCHUP_BLOCKS = 1024;

export interface EngineRecovery {
  /** The last committed block and its commit certificate. */
  readonly root: Block;
  readonly rootCommitQc: QuorumCert;
  /** Persisted uncommitted blocks (any order); re-executed on start. */
  readonly blocks: readonly Block[];
  readonly highQc?: QuorumCert;
  readonly highTc?: TimeoutCert | null;
}

export interface EngineOptions {
  readonly domain: ConsensusDomain;
  readonly committee: readonly CommitteeMember[];
  readonly self: ValidatorIndex;
  readonly signer: Signer;
  readonly scheme: SignatureScheme;
  readonly safetyStorage: SafetyStorage;
  readonly clock: Clock;
  readonly network: ConsensusNetwork;
  readonly executor: BlockExecutor;
  /** The epoch's genesis block (round 0); its genesisQc is the one round-0 QC accepted. */
  readonly genesis: Block;
  readonly leaderElection?: LeaderElection;
  readonly timing?: Partial<EngineTiming>;
  readonly recovery?: EngineRecovery;
  readonly mutations?: ConsensusMutations;
  readonly onEvent?: (e: EngineEvent) => void;
  /** Committed blocks kept in memory to serve peers' fetches (default 256). */
  readonly retainCommittedBlocks?: number;
}

export type EquivocationEvidence =
  | {
      readonly kind: 'proposal';
      readonly round: Round;
      readonly author: ValidatorIndex;
      readonly first: Proposal;
      readonly second: Proposal;
    }
  | {
      readonly kind: 'vote';
      readonly round: Round;
      readonly author: ValidatorIndex;
      readonly first: Vote;
      readonly second: Vote;
    };

export type EngineEvent =
  /** Blocks became committed (oldest first); commitQc's commit info names the last of them. */
  | { readonly type: 'committed'; readonly blocks: readonly Block[]; readonly commitQc: QuorumCert }
  /** A new round was entered. */
  | { readonly type: 'round'; readonly round: Round; readonly reason: 'qc' | 'tc' | 'start' }
  /** We signed and broadcast a timeout for `round`. */
  | { readonly type: 'timeout'; readonly round: Round }
  | { readonly type: 'proposed'; readonly block: Block }
  | { readonly type: 'voted'; readonly round: Round; readonly blockId: BlockId }
  | { readonly type: 'equivocation'; readonly evidence: EquivocationEvidence }
  /** A new highest QC / TC (node/ persists them for recovery). */
  | { readonly type: 'qc'; readonly qc: QuorumCert }
  | { readonly type: 'tc'; readonly tc: TimeoutCert }
  /** A verified, executed block joined the tree (node/ persists it for recovery). */
  | { readonly type: 'block'; readonly block: Block }
  /** advanceRoot (state sync) moved the root. */
  | { readonly type: 'rootAdvanced'; readonly block: Block; readonly commitQc: QuorumCert }
  /** A verified block that cannot join the tree (timestamp order, execution). */
  | {
      readonly type: 'invalidBlock';
      readonly blockId: BlockId;
      readonly round: Round;
      readonly reason: string;
    }
  /** The safety rules refused to sign (normal after a restart or for a conflicting proposal). */
  | {
      readonly type: 'refused';
      readonly what: 'vote' | 'timeout' | 'proposal';
      readonly round: Round;
      readonly code: string;
    }
  /** The gap to a certified block is beyond fetching: node/ should state-sync. */
  | { readonly type: 'syncNeeded'; readonly height: number; readonly committedHeight: number }
  | { readonly type: 'error'; readonly where: string; readonly error: unknown };

export interface EngineStatus {
  readonly running: boolean;
  readonly epoch: number;
  readonly round: Round;
  readonly highQcRound: Round;
  readonly highTcRound: Round;
  readonly highCommitQcRound: Round;
  readonly committedRound: Round;
  readonly committedHeight: number;
  readonly lastCommittedId: BlockId;
  readonly lastVotedRound: Round;
  readonly oneChainRound: Round;
  readonly treeSize: number;
}

const ZERO_ID = new Uint8Array(32);

/**
 * The genesis block of an epoch: round 0, proposer 0, no signatures. Its own
 * QC is the empty certificate of the all-zero id (it certifies nothing).
 */
export function makeGenesisBlock(
  domain: ConsensusDomain,
  payload: Uint8Array,
  payloadDigest: Uint8Array,
  timestamp = 0,
  height = 0,
): Block {
  const none: BlockInfo = { id: ZERO_ID, round: 0, height };
  return {
    version: BLOCK_VERSION,
    chainId: domain.chainId,
    committeeId: domain.committeeId,
    epoch: domain.epoch,
    round: 0,
    height,
    parentId: ZERO_ID,
    proposer: 0,
    timestamp,
    payloadDigest,
    payload,
    qc: { voteData: { block: none, parent: none, commit: null }, signers: new Uint8Array(0), signatures: [] },
    tc: null,
  };
}

/** The QC of the genesis block: it certifies and commits genesis, with no signatures (the only round-0 QC accepted). */
export function genesisQc(genesis: Block): QuorumCert {
  const info = blockInfo(genesis);
  return {
    voteData: { block: info, parent: info, commit: info },
    signers: new Uint8Array(0),
    signatures: [],
  };
}

const qcRound = (qc: QuorumCert): Round => qc.voteData.block.round;

export class ConsensusEngine {
  readonly domain: ConsensusDomain;
  readonly validators: ValidatorSet;
  readonly leaders: LeaderElection;
  readonly timing: EngineTiming;
  private readonly opts: EngineOptions;
  private readonly self: ValidatorIndex;
  private readonly clock: Clock;
  private readonly network: ConsensusNetwork;
  private readonly executor: BlockExecutor;
  private readonly mutations: ConsensusMutations;
  private readonly ctx: VerifyContext;
  private readonly pacemaker: Pacemaker;
  private readonly votes: VoteAggregator;
  private readonly timeouts: TimeoutAggregator;

  private safety: SafetyRules | null = null;
  private tree: BlockTree | null = null;
  private running = false;
  private stopped = false;
  private starting: Promise<void> | null = null;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly timers = new Set<() => void>();

  /** First proposal seen per round (equivocation evidence keeps the first). */
  private readonly seenProposals = new Map<Round, Proposal>();
  /** First vote seen per round and signer. */
  private readonly seenVotes = new Map<Round, Map<ValidatorIndex, Vote>>();
  /** Timeout signers seen per round (to drop re-sends cheaply). */
  private readonly seenTimeouts = new Map<Round, Set<ValidatorIndex>>();
  private proposedRound: Round = 0;
  /** When the latest proposal was accepted (ours or a peer's): see EngineTiming.minProposalIntervalMs. */
  private lastProposalAt: number | null = null;

  constructor(opts: EngineOptions) {
    this.opts = opts;
    this.domain = opts.domain;
    this.self = opts.self;
    this.clock = opts.clock;
    this.network = opts.network;
    this.executor = opts.executor;
    this.mutations = opts.mutations ?? {};
    this.validators = new ValidatorSet(opts.committee, {
      quorumByHeads: this.mutations.quorumByHeads === true,
    });
    ensure(this.validators.has(opts.self), 'BAD_SIGNER', `self index ${opts.self} is not in the committee`);
    ensure(
      equalBytes(this.validators.publicKey(opts.self), opts.signer.publicKey),
      'BAD_SIGNER',
      `the signer is not validator ${opts.self}`,
    );
    ensure(opts.genesis.round === 0, 'BAD_RECOVERY', 'the genesis block has round 0');
    this.leaders = opts.leaderElection ?? new StakeWeightedRoundRobin(opts.committee);
    this.timing = { ...DEFAULT_ENGINE_TIMING, ...(opts.timing ?? {}) };
    this.ctx = {
      domain: opts.domain,
      validators: this.validators,
      scheme: opts.scheme,
      genesisQc: genesisQc(opts.genesis),
      leaders: this.leaders,
      payloadDigest: (p) => this.executor.payloadDigest(p),
      cache: new CertificateCache(),
    };
    this.pacemaker = new Pacemaker(opts.clock, this.timing, (round) =>
      this.enqueue('timer', () => this.localTimeout(round)),
    );
    this.votes = new VoteAggregator(this.validators);
    this.timeouts = new TimeoutAggregator(this.validators);
  }

  /** Loads the safety data, rebuilds the block tree (genesis or recovery), enters the round max(highQc, highTc) + 1. */
  start(): Promise<void> {
    this.starting ??= this.init();
    return this.starting;
  }

  private async init(): Promise<void> {
    if (this.stopped) return;
    const safety = await SafetyRules.open({
      domain: this.domain,
      self: this.self,
      signer: this.opts.signer,
      storage: this.opts.safetyStorage,
      validators: this.validators,
      mutations: this.mutations,
    });
    this.safety = safety;
    const rec = this.opts.recovery;
    const retainCommitted = this.opts.retainCommittedBlocks ?? DEFAULT_RETAIN_COMMITTED;
    if (rec === undefined) {
      this.tree = new BlockTree(this.opts.genesis, this.ctx.genesisQc, { retainCommitted });
    } else {
      this.tree = await this.recover(rec, retainCommitted);
    }
    if (this.stopped) return;
    this.running = true;
    const tree = this.tree;
    const round = Math.max(qcRound(tree.highQc), tree.highTc?.round ?? 0) + 1;
    this.pacemaker.enter(round, tree.root.round);
    this.emit({ type: 'round', round, reason: 'start' });
    if (this.leaders.leader(round) === this.self) this.scheduleProposal(round);
  }

  /** Stops timers and processing; later messages get 'ignore'. */
  stop(): void {
    this.running = false;
    this.stopped = true;
    this.pacemaker.stop();
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  /**
   * Verifies an inbound message and queues it for processing. The verdict is
   * final once verification is done: 'reject' for invalid (bad signature,
   * malformed, equivocation, ...), 'ignore' for stale or duplicate, 'accept'
   * otherwise. Block requests and responses are not handled here (see
   * serveBlocks and ConsensusNetwork.fetchBlocks): they are 'ignore'd.
   */
  async handleMessage(msg: ConsensusMessage, from: ValidatorIndex): Promise<Verdict> {
    if (!this.running) return 'ignore';
    try {
      this.verifyInbound(msg);
    } catch (err) {
      if (err instanceof ConsensusError) return err.verdict;
      this.emit({ type: 'error', where: 'verify', error: err });
      return 'reject';
    }
    switch (msg.type) {
      case 'proposal':
        this.enqueue('proposal', () => this.onProposal(msg.value, from));
        return 'accept';
      case 'vote':
        this.enqueue('vote', () => this.onVote(msg.value));
        return 'accept';
      case 'timeout':
        this.enqueue('timeout', () => this.onTimeout(msg.value, from));
        return 'accept';
      default:
        return 'ignore';
    }
  }

  /** A block of the tree or of the recently committed window. */
  getBlock(id: BlockId): Block | undefined {
    return this.tree?.get(id);
  }

  /** Answers a peer's BlockRequest: up to `count` blocks ending at `blockId`, newest first, within the message size cap. */
  serveBlocks(req: BlockRequest): BlockResponse {
    const valid =
      req?.blockId instanceof Uint8Array && req.blockId.length === 32 && Number.isFinite(req.count);
    if (this.tree === null || !valid) return { blocks: [] };
    const count = Math.max(0, Math.min(MAX_FETCH_BLOCKS, Math.floor(req.count)));
    const found = this.tree.ancestors(req.blockId, count);
    const blocks: Block[] = [];
    let size = 64;
    for (const b of found) {
      size += encode(BlockCodec, b).length;
      if (blocks.length > 0 && size > MAX_MESSAGE_BYTES) break;
      blocks.push(b);
    }
    return { blocks };
  }

  /**
   * State sync jumped ahead: the caller has brought the executor's committed
   * state to `block` (executor.commit is NOT called for it). `commitQc` must
   * be a valid QC whose commit info names `block`. The tree is re-rooted at
   * `block`; the certified child is fetched so that the engine can vote and
   * propose on it.
   */
  advanceRoot(block: Block, commitQc: QuorumCert): Promise<void> {
    return this.run('advanceRoot', async () => {
      const tree = this.mustTree();
      verifyQc(this.ctx, commitQc);
      const id = blockId(block);
      ensure(
        commitQc.voteData.commit !== null && equalBytes(commitQc.voteData.commit.id, id),
        'INVALID_QC',
        'commitQc does not commit this block',
      );
      ensure(
        block.epoch === this.domain.epoch &&
          block.chainId === this.domain.chainId &&
          block.committeeId === this.domain.committeeId,
        'WRONG_EPOCH',
        'block of another chain, committee or epoch',
      );
      if (block.round <= tree.root.round) return;
      tree.resetRoot(block, commitQc);
      this.emit({ type: 'rootAdvanced', block, commitQc });
      const fetched = await this.processQc(commitQc, []);
      if (!fetched) this.advanceRound('qc');
    });
  }

  /** Resolves once every queued task has run (tests, simulator). */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.queue;
  }

  status(): EngineStatus {
    const tree = this.tree;
    const data = this.safety?.data;
    return {
      running: this.running,
      epoch: this.domain.epoch,
      round: this.pacemaker.round,
      highQcRound: tree === null ? 0 : qcRound(tree.highQc),
      highTcRound: tree?.highTc?.round ?? 0,
      highCommitQcRound: tree === null ? 0 : qcRound(tree.highCommitQc),
      committedRound: tree?.root.round ?? 0,
      committedHeight: tree?.root.height ?? 0,
      lastCommittedId: tree === null ? blockId(this.opts.genesis) : blockId(tree.root),
      lastVotedRound: data?.lastVotedRound ?? 0,
      oneChainRound: data?.oneChainRound ?? 0,
      treeSize: tree?.size ?? 0,
    };
  }

  /** The highest QC, commit certificate and TC (for node/ to persist or answer sync requests). */
  certificates(): { highQc: QuorumCert; highCommitQc: QuorumCert; highTc: TimeoutCert | null } {
    const tree = this.mustTree();
    return { highQc: tree.highQc, highCommitQc: tree.highCommitQc, highTc: tree.highTc };
  }

  // ---------------------------------------------------------------- verification

  private verifyInbound(msg: ConsensusMessage): void {
    const tree = this.mustTree();
    const view = {
      round: this.pacemaker.round,
      highQcRound: qcRound(tree.highQc),
      highTcRound: tree.highTc?.round ?? 0,
    };
    // Shape and size first: everything below may then trust the types.
    checkShape(msg);
    switch (msg.type) {
      case 'proposal': {
        const p = msg.value;
        const first = this.seenProposals.get(p.block.round);
        if (first !== undefined && equalBytes(blockId(first.block), blockId(p.block))) {
          throw new ConsensusError('DUPLICATE', `proposal of round ${p.block.round} already seen`);
        }
        verifyMessage(this.ctx, msg, view, {
          now: this.clock.now(),
          maxClockSkewMs: this.timing.maxClockSkewMs,
          shapeChecked: true,
        });
        if (first !== undefined) {
          this.emit({
            type: 'equivocation',
            evidence: { kind: 'proposal', round: p.block.round, author: p.block.proposer, first, second: p },
          });
          throw new ConsensusError(
            'EQUIVOCATION',
            `a second proposal by validator ${p.block.proposer} in round ${p.block.round}`,
          );
        }
        this.seenProposals.set(p.block.round, p);
        return;
      }
      case 'vote': {
        const v = msg.value;
        const prior = this.seenVotes.get(v.voteData.block.round)?.get(v.signer);
        if (prior !== undefined && sameVote(prior, v))
          throw new ConsensusError('DUPLICATE', 'vote already seen');
        verifyMessage(this.ctx, msg, view, { shapeChecked: true });
        this.recordVote(v);
        return;
      }
      case 'timeout': {
        const t = msg.value;
        const news = qcRound(t.highQc) > view.highQcRound || (t.highTc?.round ?? 0) > view.highTcRound;
        if (!news && this.seenTimeouts.get(t.round)?.has(t.signer) === true)
          throw new ConsensusError('DUPLICATE', 'timeout already seen');
        verifyMessage(this.ctx, msg, view, { shapeChecked: true });
        if (t.lastVote !== null) this.recordVote(t.lastVote);
        if (
          t.round + 1 >= this.pacemaker.round &&
          t.round <= this.pacemaker.round + MAX_FUTURE_TIMEOUT_ROUNDS
        ) {
          let s = this.seenTimeouts.get(t.round);
          if (s === undefined) this.seenTimeouts.set(t.round, (s = new Set()));
          s.add(t.signer);
        }
        return;
      }
      default:
        return;
    }
  }

  /** Keeps the first vote per (round, signer); a different second one is equivocation. */
  private recordVote(v: Vote): void {
    const round = v.voteData.block.round;
    let byRound = this.seenVotes.get(round);
    const prior = byRound?.get(v.signer);
    if (prior !== undefined) {
      if (sameVote(prior, v)) return;
      this.emit({
        type: 'equivocation',
        evidence: { kind: 'vote', round, author: v.signer, first: prior, second: v },
      });
      throw new ConsensusError('EQUIVOCATION', `a second vote by validator ${v.signer} in round ${round}`);
    }
    if (round + 1 < this.pacemaker.round || round > this.pacemaker.round + MAX_FUTURE_VOTE_ROUNDS) return;
    if (byRound === undefined) this.seenVotes.set(round, (byRound = new Map()));
    byRound.set(v.signer, v);
  }

  // ---------------------------------------------------------------- processing

  private async onProposal(p: Proposal, from: ValidatorIndex): Promise<void> {
    const b = p.block;
    const hints = [from, b.proposer];
    if (p.highCommitQc !== null) await this.processQc(p.highCommitQc, hints);
    await this.processQc(b.qc, hints);
    if (b.tc !== null) await this.processTc(b.tc, hints);
    if (b.round !== this.pacemaker.round) return;
    // The vote depends on the block alone, not on its execution: it is signed
    // and its safety data saved (a synced write) while the block executes, and
    // leaves only if execution agrees. Until it leaves, the safety rules keep
    // it out of our timeouts (voteReleased). Only for a block whose parent we
    // hold, so that a vote is rarely saved for a block we cannot execute yet.
    const tree = this.mustTree();
    const early = tree.has(b.parentId) && !tree.has(blockId(b)) ? this.voteFor(b) : null;
    if (!(await this.addBlockWhileVoting(b, early))) return;
    this.lastProposalAt = this.clock.now();
    const vote = early !== null ? await early : await this.voteFor(b);
    if (vote !== null) await this.deliverVote(vote);
  }

  private async onVote(v: Vote): Promise<void> {
    const tree = this.mustTree();
    const r = v.voteData.block.round;
    if (
      r <= qcRound(tree.highQc) ||
      r + 1 < this.pacemaker.round ||
      r > this.pacemaker.round + MAX_FUTURE_VOTE_ROUNDS
    )
      return;
    const qc = this.votes.add(v);
    if (qc !== null) await this.processQc(qc, this.validators.signersOf(qc.signers));
  }

  private async onTimeout(t: TimeoutMsg, from: ValidatorIndex): Promise<void> {
    const hints = [from, t.signer];
    await this.processQc(t.highQc, hints);
    if (t.highTc != null) await this.processTc(t.highTc, hints);
    if (t.lastVote !== null) await this.onVote(t.lastVote);
    await this.aggregateTimeout(t);
  }

  private async aggregateTimeout(t: TimeoutMsg): Promise<void> {
    const round = this.pacemaker.round;
    if (t.round < round || t.round > round + MAX_FUTURE_TIMEOUT_ROUNDS) return;
    const { signers, tc } = this.timeouts.add(t);
    if (tc !== null) {
      await this.processTc(tc, signers);
      return;
    }
    // More than a third of the stake gave up on our round: at least one
    // honest node did, so waiting longer cannot help (early timeout).
    if (t.round === round && !this.pacemaker.hasTimedOut && this.validators.exceedsOneThird(signers))
      await this.localTimeout(round);
  }

  /** Our round's time is up (or f+1 timed out): sign a timeout through the safety rules, broadcast it, count it. */
  private async localTimeout(round: Round): Promise<void> {
    if (!this.running || round !== this.pacemaker.round) return;
    const tree = this.mustTree();
    const htc = tree.highTc;
    const tc = htc !== null && round === htc.round + 1 ? htc : null;
    let t: TimeoutMsg;
    try {
      t = await this.mustSafety().signTimeout(round, tree.highQc, tc);
    } catch (err) {
      this.pacemaker.markTimedOut(); // retry when the timer fires again
      if (err instanceof ConsensusError)
        this.emit({ type: 'refused', what: 'timeout', round, code: err.code });
      else throw err;
      return;
    }
    if (!this.running || round !== this.pacemaker.round) return;
    this.pacemaker.markTimedOut();
    const msg: TimeoutMsg = { ...t, highTc: htc };
    this.emit({ type: 'timeout', round });
    this.network.broadcastTimeout(msg);
    let seen = this.seenTimeouts.get(round);
    if (seen === undefined) this.seenTimeouts.set(round, (seen = new Set()));
    seen.add(this.self);
    // Our own vote of this round counts too, as everyone else counts it from our timeout.
    if (t.lastVote !== null) await this.onVote(t.lastVote);
    if (!this.running || round !== this.pacemaker.round) return;
    await this.aggregateTimeout(msg);
  }

  /**
   * Makes sure the block a QC certifies (and its ancestors) is in the tree,
   * records the QC, commits by the 2-chain rule and enters the next round.
   * Returns false when the block could not be fetched.
   */
  private async processQc(qc: QuorumCert, hints: readonly ValidatorIndex[]): Promise<boolean> {
    const tree = this.mustTree();
    const certified = qc.voteData.block;
    if (certified.round <= tree.root.round) return true;
    if (!tree.has(certified.id)) {
      const signers = qcRound(qc) === 0 ? [] : this.validators.signersOf(qc.signers);
      if (!(await this.fetchChain(certified, [...hints, ...signers]))) return false;
    }
    if (tree.insertQc(qc)) this.emit({ type: 'qc', qc });
    await this.maybeCommit(qc);
    this.advanceRound('qc');
    return true;
  }

  private async processTc(tc: TimeoutCert, hints: readonly ValidatorIndex[]): Promise<void> {
    const tree = this.mustTree();
    if (tree.highTc !== null && tc.round <= tree.highTc.round) return;
    await this.processQc(tc.highQc, [...hints, ...this.validators.signersOf(tc.signers)]);
    if (tree.insertTc(tc)) this.emit({ type: 'tc', tc });
    this.advanceRound('tc');
  }

  /** The 2-chain commit rule: the QC's commit info names the block to commit (with its uncommitted ancestors). */
  private async maybeCommit(qc: QuorumCert): Promise<void> {
    const tree = this.mustTree();
    // MUTATION commitOnOneChain: commit the certified block itself.
    const target = this.mutations.commitOnOneChain === true ? qc.voteData.block : qc.voteData.commit;
    if (target === null || target.round <= tree.root.round || !tree.has(target.id)) return;
    const blocks = tree.pathFromRoot(target.id);
    if (blocks === null || blocks.length === 0) return;
    await this.executor.commit(blocks, qc);
    tree.commit(target.id, qc);
    this.emit({ type: 'committed', blocks, commitQc: qc });
  }

  /** Enters max(highQc.round, highTc.round) + 1 if that is ahead of the current round. */
  private advanceRound(reason: 'qc' | 'tc'): void {
    const tree = this.mustTree();
    const next = Math.max(qcRound(tree.highQc), tree.highTc?.round ?? 0) + 1;
    if (!this.pacemaker.enter(next, tree.root.round)) return;
    this.votes.prune(next - 1);
    this.timeouts.prune(next);
    for (const r of this.seenProposals.keys()) if (r < next) this.seenProposals.delete(r);
    for (const r of this.seenVotes.keys()) if (r + 1 < next) this.seenVotes.delete(r);
    for (const r of this.seenTimeouts.keys()) if (r + 1 < next) this.seenTimeouts.delete(r);
    this.emit({ type: 'round', round: next, reason });
    if (this.leaders.leader(next) === this.self) this.scheduleProposal(next);
  }

  /** Runs, then adds a block whose parent is in the tree: timestamp after the parent's, execution ok. */
  private async addBlock(b: Block): Promise<boolean> {
    const tree = this.mustTree();
    const id = blockId(b);
    if (tree.has(id)) return true;
    if (!tree.has(b.parentId)) return false;
    const parent = tree.get(b.parentId)!;
    if (b.timestamp <= parent.timestamp) {
      this.emit({
        type: 'invalidBlock',
        blockId: id,
        round: b.round,
        reason: `timestamp ${b.timestamp} is not after the parent's ${parent.timestamp}`,
      });
      return false;
    }
    let verdict: ExecutionVerdict;
    try {
      verdict = await this.executor.execute(b);
    } catch (err) {
      verdict = { ok: false as const, reason: `execution threw: ${(err as Error)?.message ?? String(err)}` };
    }
    if (!verdict.ok) {
      this.emit({ type: 'invalidBlock', blockId: id, round: b.round, reason: verdict.reason });
      return false;
    }
    if (!tree.has(b.parentId)) return false; // the parent was pruned while executing
    tree.insert(b);
    this.emit({ type: 'block', block: b });
    return true;
  }

  /**
   * addBlock while `early`, the block's vote, is being signed and saved;
   * `early` is settled either way, so that a failed execution leaves no
   * rejection unhandled. Whether the vote may leave is the caller's call.
   */
  private async addBlockWhileVoting(b: Block, early: Promise<Vote | null> | null): Promise<boolean> {
    try {
      return await this.addBlock(b);
    } finally {
      await early?.catch(() => null);
    }
  }

  private async voteFor(b: Block): Promise<Vote | null> {
    try {
      // Leading the next round: the vote's save reserves it for our proposal too.
      const leadsNext = this.leaders.leader(b.round + 1) === this.self;
      const vote = await this.mustSafety().constructAndSignVote(b, b.tc, leadsNext);
      this.emit({ type: 'voted', round: b.round, blockId: vote.voteData.block.id });
      return vote;
    } catch (err) {
      if (!(err instanceof ConsensusError)) throw err;
      this.emit({ type: 'refused', what: 'vote', round: b.round, code: err.code });
      return null;
    }
  }

  /** Votes go to the leader of the next round, who forms the QC; our own vote is counted locally. */
  private async deliverVote(vote: Vote): Promise<void> {
    if (!this.running) return; // stopped (crashed) while the vote was being persisted: nothing leaves
    this.mustSafety().voteReleased(vote);
    const next = this.leaders.leader(vote.voteData.block.round + 1);
    try {
      this.recordVote(vote);
    } catch {
      // A twin of ours voted differently first: ours is the evidence now.
    }
    if (next === this.self) await this.onVote(vote);
    else this.network.sendVote(next, vote);
  }

  private scheduleProposal(round: Round): void {
    const wait =
      this.lastProposalAt === null || this.parentCarriesWork()
        ? 0
        : this.lastProposalAt + this.timing.minProposalIntervalMs - this.clock.now();
    if (wait <= 0) {
      this.enqueue('propose', () => this.propose(round));
      return;
    }
    const cancel = this.clock.setTimer(wait, () => {
      this.timers.delete(cancel);
      this.enqueue('propose', () => this.propose(round));
    });
    this.timers.add(cancel);
  }

  /**
   * True when the block the next proposal extends (the highest QC's) carries
   * work: then the leader does not wait minProposalIntervalMs. More is likely
   * waiting, and the next block is what commits that one (2-chain), so
   * waiting would only add to its latency. The interval keeps a chain with
   * nothing to carry from spinning empty blocks; an empty block is always
   * followed by the wait.
   */
  private parentCarriesWork(): boolean {
    const tree = this.tree;
    return tree !== null && this.executor.carriesWork?.(tree.highQc.voteData.block.id) === true;
  }

  /**
   * Proposes a block on the highest QC (with the TC when the previous round
   * timed out). The safety rules sign it only once its round is reserved in
   * the saved safety data (usually by our vote of the round before; else the
   * reservation is saved while the block is built), which keeps a restarted
   * leader from signing a second proposal in the round. So the proposal
   * leaves at once; our own vote for it is signed and saved while the block
   * runs through the executor (its results were kept when it was built), and
   * leaves like a follower's.
   */
  private async propose(round: Round): Promise<void> {
    if (!this.running || round !== this.pacemaker.round || this.proposedRound >= round) return;
    const tree = this.mustTree();
    const hqc = tree.highQc;
    const certified = hqc.voteData.block;
    if (!tree.has(certified.id)) {
      const signers = qcRound(hqc) === 0 ? [] : this.validators.signersOf(hqc.signers);
      if (!(await this.fetchChain(certified, signers)) || round !== this.pacemaker.round) return;
    }
    const parent = tree.get(certified.id)!;
    const htc = tree.highTc;
    const tc = round === certified.round + 1 ? null : htc !== null && htc.round + 1 === round ? htc : null;
    if (round !== certified.round + 1 && tc === null) return;
    // Saved while we build (nothing to do when our last vote reserved it); a
    // failed save is retried, and reported, by signProposal.
    void this.mustSafety()
      .reserveProposal(round)
      .catch(() => undefined);
    const now = this.clock.now();
    const timestamp = Math.max(now, parent.timestamp + 1);
    const height = parent.height + 1;
    let payload: Uint8Array;
    let payloadDigest: Uint8Array;
    try {
      payload = await this.executor.buildPayload(parent, round, height, timestamp);
      payloadDigest = this.executor.payloadDigest(payload);
    } catch (err) {
      this.emit({ type: 'error', where: 'buildPayload', error: err });
      return;
    }
    if (!this.running || round !== this.pacemaker.round || this.proposedRound >= round) return;
    const unsigned: Block = {
      version: BLOCK_VERSION,
      chainId: this.domain.chainId,
      committeeId: this.domain.committeeId,
      epoch: this.domain.epoch,
      round,
      height,
      parentId: certified.id,
      proposer: this.self,
      timestamp,
      payloadDigest,
      payload,
      qc: hqc,
      tc,
    };
    const highCommitQc =
      tree.highCommitQc.voteData.commit !== null && qcRound(tree.highCommitQc) > 0 ? tree.highCommitQc : null;
    try {
      checkShape({
        type: 'proposal',
        value: { block: unsigned, signature: new Uint8Array(64), highCommitQc },
      });
    } catch (err) {
      this.emit({ type: 'error', where: 'propose', error: err });
      return;
    }
    let signature: Uint8Array;
    try {
      signature = await this.mustSafety().signProposal(unsigned);
    } catch (err) {
      if (!(err instanceof ConsensusError)) throw err;
      this.emit({ type: 'refused', what: 'proposal', round, code: err.code });
      return;
    }
    if (!this.running) return;
    this.proposedRound = round;
    this.lastProposalAt = now;
    const proposal: Proposal = { block: unsigned, signature, highCommitQc };
    if (!this.seenProposals.has(round)) this.seenProposals.set(round, proposal);
    this.network.broadcastProposal(proposal);
    this.emit({ type: 'proposed', block: unsigned });
    const early = this.voteFor(unsigned);
    if (!(await this.addBlockWhileVoting(unsigned, early))) return;
    const vote = await early;
    if (vote !== null) await this.deliverVote(vote);
  }

  // ---------------------------------------------------------------- fetching

  /**
   * Fetches the certified block `target` and its missing ancestors down to
   * the tree, from the hinted peers in turn; verifies hash links and the QC
   * of each block, then runs and inserts them oldest first.
   */
  private async fetchChain(target: BlockInfo, hints: readonly ValidatorIndex[]): Promise<boolean> {
    const tree = this.mustTree();
    if (tree.has(target.id)) return true;
    if (target.height <= tree.root.height) return false;
    if (target.height - tree.root.height > MAX_CATCHUP_BLOCKS) {
      this.emit({ type: 'syncNeeded', height: target.height, committedHeight: tree.root.height });
      return false;
    }
    const peers = [...new Set(hints)].filter((p) => p !== this.self && this.validators.has(p));
    for (const peer of peers) {
      const chain = await this.fetchFrom(peer, target);
      if (chain === null) continue;
      for (const b of chain.reverse()) {
        if (!(await this.addBlock(b))) return false;
      }
      return tree.has(target.id);
    }
    return false;
  }

  /** The chain from `target` down to a block whose parent is in the tree (newest first), or null. */
  private fetchFrom(peer: ValidatorIndex, target: BlockInfo): Promise<Block[] | null> {
    return fetchMissingChain(this.mustTree(), peer, target, {
      fetchBlocks: (p, id, count) =>
        this.withTimeout(this.network.fetchBlocks(p, id, count), this.timing.fetchTimeoutMs),
      check: (b) => {
        checkShape({ type: 'blockResponse', value: { blocks: [b] } });
        verifyBlock(this.ctx, b);
      },
      onInvalid: (err) =>
        this.emit({ type: 'error', where: `fetch from ${peer}`, error: asConsensusError(err) }),
    });
  }

  private withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const cancel = this.clock.setTimer(ms, () => {
        if (done) return;
        done = true;
        reject(new ConsensusError('FETCH_FAILED', `no answer within ${ms} ms`));
      });
      p.then(
        (v) => {
          if (done) return;
          done = true;
          cancel();
          resolve(v);
        },
        (e) => {
          if (done) return;
          done = true;
          cancel();
          reject(e);
        },
      );
    });
  }

  // ---------------------------------------------------------------- recovery

  private async recover(rec: EngineRecovery, retainCommitted: number): Promise<BlockTree> {
    const rootId = blockId(rec.root);
    try {
      if (rec.root.round > 0) verifyQc(this.ctx, rec.rootCommitQc);
    } catch (err) {
      throw new ConsensusError(
        'BAD_RECOVERY',
        `the root's commit certificate is invalid: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
    const names = rec.rootCommitQc.voteData.commit;
    const genesisRoot = rec.root.round === 0 && equalBytes(rootId, blockId(this.opts.genesis));
    ensure(
      genesisRoot || (names !== null && equalBytes(names.id, rootId)),
      'BAD_RECOVERY',
      'rootCommitQc does not commit the root',
    );
    const tree = new BlockTree(rec.root, rec.rootCommitQc, { retainCommitted, highTc: null });
    this.tree = tree;
    const blocks = [...rec.blocks].sort((a, b) => a.height - b.height || a.round - b.round);
    for (const b of blocks) {
      try {
        verifyBlock(this.ctx, b);
      } catch (err) {
        this.emit({ type: 'error', where: 'recovery', error: err });
        continue;
      }
      if (await this.addBlock(b)) await this.recordRecoveredQc(b.qc);
    }
    if (rec.highQc !== undefined) {
      verifyQc(this.ctx, rec.highQc);
      await this.recordRecoveredQc(rec.highQc);
    }
    if (rec.highTc !== undefined && rec.highTc !== null) {
      verifyTc(this.ctx, rec.highTc);
      tree.insertTc(rec.highTc);
    }
    return tree;
  }

  /** A QC found in storage: recorded (without fetching) and its commit applied. */
  private async recordRecoveredQc(qc: QuorumCert): Promise<void> {
    const tree = this.mustTree();
    if (qcRound(qc) <= tree.root.round) return;
    tree.insertQc(qc);
    if (tree.has(qc.voteData.block.id)) await this.maybeCommit(qc);
  }

  // ---------------------------------------------------------------- plumbing

  private enqueue(what: string, task: () => Promise<void>): void {
    this.pending++;
    this.queue = this.queue
      .then(async () => {
        if (this.running) await task();
      })
      .catch((err) => this.emit({ type: 'error', where: what, error: err }))
      .finally(() => {
        this.pending--;
      });
  }

  /** Runs `task` on the queue and returns its result (errors go to the caller). */
  private run(what: string, task: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.enqueue(what, async () => {
        try {
          await task();
          resolve();
        } catch (err) {
          reject(err);
        }
      });
      if (!this.running) reject(new ConsensusError('NOT_RUNNING', 'the engine is not running'));
    });
  }

  private emit(e: EngineEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      // An observer's failure must not break consensus.
    }
  }

  private mustTree(): BlockTree {
    if (this.tree === null) throw new ConsensusError('NOT_RUNNING', 'the engine has not started');
    return this.tree;
  }

  private mustSafety(): SafetyRules {
    if (this.safety === null) throw new ConsensusError('NOT_RUNNING', 'the engine has not started');
    return this.safety;
  }
}

function sameVote(a: Vote, b: Vote): boolean {
  return (
    a.signer === b.signer && equalBytes(encode(VoteDataCodec, a.voteData), encode(VoteDataCodec, b.voteData))
  );
}
