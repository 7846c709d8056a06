/**
 * One simulated validator instance: an engine incarnation with its clock,
 * storage handle, executor and network endpoint, and the durable state that
 * survives its crashes. A Twins pair is two instances with one key.
 */
import { ConsensusEngine, type EngineEvent } from '../engine.js';
import { blockId } from '../messages.js';
import { makeSigner } from '../signing.js';
import { toHex } from '../../core/bytes.js';
import type {
  Block,
  BlockRequest,
  BlockResponse,
  CommitteeMember,
  ConsensusDomain,
  ConsensusMessage,
  ConsensusMutations,
  LeaderElection,
  QuorumCert,
  SignatureScheme,
  ValidatorIndex,
} from '../types.js';
import { SimExecutor, Ledger } from './executor.js';
import type { NetworkPeer, SimNetwork } from './network.js';
import type { SimTiming } from './options.js';
import type { Prng } from './prng.js';
import { NodeClock, type EventQueue } from './scheduler.js';
import type { SimKey } from './schemes.js';
import { DurableSafety, IncarnationSafetyStorage, RecoveryStore } from './storage.js';

/** Everything the nodes of one scenario share. */
export interface SimContext {
  readonly queue: EventQueue;
  readonly network: SimNetwork<SimNode>;
  readonly domain: ConsensusDomain;
  readonly committee: readonly CommitteeMember[];
  readonly scheme: SignatureScheme;
  readonly genesis: Block;
  readonly genesisQc: QuorumCert;
  readonly leaders: LeaderElection;
  readonly timing: SimTiming;
  readonly mutations: ConsensusMutations;
  /** Unix ms of virtual time 0. */
  readonly epochMs: number;
  /** The highest round of an honest node now (the ledgers' round clock). */
  readonly globalRound: () => number;
  /** When set, a line per notable event (replaying one scenario with --trace). */
  readonly trace: ((line: string) => void) | null;
}

const short = (id: Uint8Array): string => toHex(id).slice(0, 8);

/** A faulty node's behaviour: it sees what its engine sends and what arrives, and decides what leaves. */
export interface NodeAdversary {
  /** The faulty node's engine wants to send `msg` to `targets`; the adversary sends whatever it likes instead. */
  outbound(node: SimNode, msg: ConsensusMessage, targets: SimNode[]): void;
  /** A message arrived at the faulty node (before its engine sees it). */
  inbound(node: SimNode, msg: ConsensusMessage, from: ValidatorIndex): void;
  /** An event of the faulty node's own engine. */
  event?(node: SimNode, e: EngineEvent): void;
  /** Whether the node answers block fetches. */
  readonly answersFetches: boolean;
}

export interface SimNodeSetup {
  /** Position among all instances of the scenario. */
  readonly instance: number;
  readonly name: string;
  readonly index: ValidatorIndex;
  readonly honest: boolean;
  readonly key: SimKey;
  readonly skewMs: number;
  readonly prng: Prng;
}

/** Counters of one instance (all incarnations). */
export interface NodeStats {
  crashes: number;
  equivocationsSeen: number;
  /** Validators this node holds equivocation evidence against. */
  equivocators: Set<number>;
  refusals: number;
  /** Engine 'error' events (an engine bug or a bad input it could not classify). */
  errors: string[];
}

export class SimNode implements NetworkPeer<SimNode> {
  readonly instance: number;
  readonly name: string;
  readonly index: ValidatorIndex;
  readonly honest: boolean;
  readonly key: SimKey;
  readonly ledger = new Ledger();
  readonly safety = new DurableSafety();
  readonly store = new RecoveryStore();
  readonly stats: NodeStats = {
    crashes: 0,
    equivocationsSeen: 0,
    equivocators: new Set(),
    refusals: 0,
    errors: [],
  };
  adversary: NodeAdversary | null = null;
  engine: ConsensusEngine | null = null;
  incarnation = 0;
  /** The last round this instance's engine reported (kept across a crash). */
  round = 0;
  /**
   * Armed by the scenario: called right after the engine votes in a round the
   * predicate picks, or as it starts broadcasting its proposal of such a round
   * (a leader's proposal leaves before its own vote), then disarmed.
   */
  crashAfterVote: { readonly when: (round: number) => boolean; readonly fire: () => void } | null = null;
  /** Content hashes of messages this incarnation accepted (its gossip seen cache). */
  seen = new Set<string>();
  /** Set when the node is about to crash in the middle of its next proposal broadcast (only some peers get it). */
  partialBroadcast = false;
  /** Called when the engine enters a round. */
  onRound: ((round: number) => void) | null = null;
  private clock: NodeClock | null = null;
  private storage: IncarnationSafetyStorage | null = null;
  private readonly prng: Prng;
  private readonly skewMs: number;

  constructor(
    private readonly ctx: SimContext,
    setup: SimNodeSetup,
  ) {
    this.instance = setup.instance;
    this.name = setup.name;
    this.index = setup.index;
    this.honest = setup.honest;
    this.key = setup.key;
    this.prng = setup.prng;
    this.skewMs = setup.skewMs;
  }

  get alive(): boolean {
    return this.engine !== null;
  }

  /**
   * Starts a new incarnation. With `fromDisk`, the engine recovers the
   * blocks and certificates node/ would have persisted; without, the disk
   * lost all but the safety data and the engine starts from genesis.
   */
  async start(fromDisk: boolean): Promise<void> {
    if (this.engine !== null) return;
    const incarnation = ++this.incarnation;
    this.seen = new Set();
    this.ctx.trace?.(
      `${String(this.ctx.queue.now).padStart(6)} ${this.name.padEnd(4)} START ${fromDisk ? 'from disk' : 'from genesis (disk lost)'}`,
    );
    const ctx = this.ctx;
    const clock = new NodeClock(ctx.queue, ctx.epochMs, this.skewMs);
    const storage = new IncarnationSafetyStorage(this.safety, (land) => void ctx.queue.after(0, land));
    const recovery = fromDisk ? this.store.recovery(ctx.genesis, ctx.genesisQc) : undefined;
    if (!fromDisk) this.store.clear();
    const startRoot = recovery?.root ?? ctx.genesis;
    const executor = new SimExecutor(this.prng.fork(incarnation), this.ledger, blockId(startRoot), () => ({
      at: ctx.queue.now,
      round: ctx.globalRound(),
    }));
    const engine = new ConsensusEngine({
      domain: ctx.domain,
      committee: ctx.committee,
      self: this.index,
      signer: makeSigner(ctx.scheme, this.key.secret, this.key.publicKey),
      scheme: ctx.scheme,
      safetyStorage: storage,
      clock,
      network: ctx.network.endpoint(this, incarnation),
      executor,
      genesis: ctx.genesis,
      leaderElection: ctx.leaders,
      timing: ctx.timing,
      ...(recovery !== undefined ? { recovery } : {}),
      mutations: ctx.mutations,
      onEvent: (e) => this.onEvent(incarnation, e),
    });
    this.engine = engine;
    this.clock = clock;
    this.storage = storage;
    try {
      await engine.start();
    } catch (err) {
      this.stats.errors.push(
        `start of incarnation ${incarnation} failed: ${(err as Error)?.message ?? String(err)}`,
      );
      this.crash();
      return;
    }
    if (this.incarnation === incarnation && this.engine === engine) this.round = engine.status().round;
  }

  private traceEvent(e: EngineEvent): void {
    const t = (line: string): void =>
      this.ctx.trace!(`${String(this.ctx.queue.now).padStart(6)} ${this.name.padEnd(4)} ${line}`);
    switch (e.type) {
      case 'round':
        t(`round ${e.round} (${e.reason})`);
        return;
      case 'proposed':
        t(
          `proposed ${short(blockId(e.block))} r${e.block.round} h${e.block.height} on ${short(e.block.parentId)}${e.block.tc ? ` tc${e.block.tc.round}` : ''}`,
        );
        return;
      case 'voted':
        t(`voted ${short(e.blockId)} r${e.round}`);
        return;
      case 'timeout':
        t(`timeout r${e.round}`);
        return;
      case 'committed':
        t(
          `committed ${e.blocks.map((b) => `h${b.height}:${short(blockId(b))}`).join(' ')} by qc r${e.commitQc.voteData.block.round}`,
        );
        return;
      case 'equivocation':
        t(`equivocation by v${e.evidence.author} in r${e.evidence.round} (${e.evidence.kind})`);
        return;
      case 'refused':
        t(`refused ${e.what} r${e.round}: ${e.code}`);
        return;
      case 'error':
        t(`error in ${e.where}: ${(e.error as Error)?.message ?? String(e.error)}`);
        return;
      case 'invalidBlock':
        t(`invalid block ${short(e.blockId)} r${e.round}: ${e.reason}`);
        return;
      case 'syncNeeded':
        t(`sync needed to height ${e.height} (committed ${e.committedHeight})`);
        return;
      default:
        return;
    }
  }

  /**
   * Answers a peer's block request as node/ does: the engine's tree first,
   * then the block database by parent links (so a peer that lags by more
   * than the engine's in-memory window still gets its ancestors).
   */
  serveBlocks(req: BlockRequest): BlockResponse {
    const out: Block[] = this.engine === null ? [] : [...this.engine.serveBlocks(req).blocks];
    const last = out[out.length - 1];
    let next: Uint8Array | null = last === undefined ? req.blockId : last.height === 0 ? null : last.parentId;
    while (next !== null && out.length < req.count) {
      const b = this.store.block(next);
      if (b === undefined) break;
      out.push(b);
      next = b.height === 0 ? null : b.parentId;
    }
    return { blocks: out };
  }

  /** Kills the incarnation: timers, pending writes, network endpoint and memory are gone. */
  crash(): void {
    if (this.engine === null) return;
    this.stats.crashes++;
    this.engine.stop();
    this.clock?.halt();
    this.storage?.cut();
    this.engine = null;
    this.clock = null;
    this.storage = null;
    this.incarnation++; // cuts the endpoint of the dead incarnation
    this.ctx.trace?.(`${String(this.ctx.queue.now).padStart(6)} ${this.name.padEnd(4)} CRASH`);
  }

  /** The network calls it as our proposal of `round` starts to leave: an armed crash may fire (mid-broadcast). */
  aboutToBroadcastProposal(round: number): void {
    const arm = this.crashAfterVote;
    if (arm !== null && arm.when(round)) {
      this.crashAfterVote = null;
      arm.fire();
    }
  }

  private onEvent(incarnation: number, e: EngineEvent): void {
    if (incarnation !== this.incarnation) return; // a dead incarnation's late event
    this.store.record(e);
    if (this.ctx.trace !== null) this.traceEvent(e);
    switch (e.type) {
      case 'round':
        this.round = e.round;
        this.onRound?.(e.round);
        break;
      case 'voted': {
        const arm = this.crashAfterVote;
        if (arm !== null && arm.when(e.round)) {
          this.crashAfterVote = null;
          arm.fire();
        }
        break;
      }
      case 'equivocation':
        this.stats.equivocationsSeen++;
        this.stats.equivocators.add(e.evidence.author);
        break;
      case 'refused':
        this.stats.refusals++;
        break;
      case 'error':
        if (this.stats.errors.length < 20) {
          const err = e.error as { code?: string; message?: string } | undefined;
          this.stats.errors.push(`${e.where}: ${err?.message ?? String(e.error)}`);
        }
        break;
      default:
        break;
    }
    this.adversary?.event?.(this, e);
  }
}
