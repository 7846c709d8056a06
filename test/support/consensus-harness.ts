/**
 * A tiny deterministic harness for consensus unit tests: a fake clock with an
 * ordered timer queue, an in-memory network that delivers through that clock,
 * and a trivial executor. (The full simulator with faults lives in
 * consensus/sim/; this is only enough to run a few honest nodes.)
 */
import { sha256 } from '../../core/hash.js';
import { toHex, u64be } from '../../core/bytes.js';
import { keyPairFromSeed } from '../../core/ed25519.js';
import {
  ConsensusEngine,
  makeGenesisBlock,
  type EngineEvent,
  type EngineOptions,
  type EngineRecovery,
} from '../../consensus/engine.js';
import { InMemorySafetyStorage } from '../../consensus/safety-rules.js';
import { ed25519Scheme, makeSigner } from '../../consensus/signing.js';
import { blockId } from '../../consensus/messages.js';
import type {
  Block,
  BlockExecutor,
  BlockId,
  Clock,
  CommitteeMember,
  ConsensusDomain,
  ConsensusMessage,
  ConsensusNetwork,
  ExecutionVerdict,
  Height,
  Proposal,
  QuorumCert,
  Round,
  SignatureScheme,
  TimeoutCert,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
} from '../../consensus/types.js';

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; seq: number; fn: () => void }>();

  constructor(start = 1_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, delayMs), seq: id, fn });
    return () => {
      this.timers.delete(id);
    };
  }

  /** Runs every timer due within `ms` in time order, letting promise chains settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      let next: { at: number; seq: number; fn: () => void; id: number } | null = null;
      for (const [id, tm] of this.timers) {
        if (tm.at <= end && (next === null || tm.at < next.at || (tm.at === next.at && tm.seq < next.seq)))
          next = { ...tm, id };
      }
      if (next === null) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets every pending promise chain run (no real I/O happens in these tests). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Payload: the round as 8 bytes; every payload executes. */
export class CountingExecutor implements BlockExecutor {
  readonly committed: Block[] = [];
  readonly commitQcs: QuorumCert[] = [];
  executed = 0;
  /** Rounds whose blocks carry work (carriesWork); null: the method is absent, as in an executor without it. */
  workRounds: ((round: Round) => boolean) | null = null;
  private readonly roundOf = new Map<string, Round>();

  carriesWork?(id: BlockId): boolean;

  payloadDigest(payload: Uint8Array): Uint8Array {
    return sha256(payload);
  }
  async buildPayload(_parent: Block, round: Round, _height: Height, _timestamp: number): Promise<Uint8Array> {
    return u64be(round);
  }
  /** Blocks of these rounds fail execution here (this node finds them invalid). */
  failRounds: (round: Round) => boolean = () => false;

  async execute(block: Block): Promise<ExecutionVerdict> {
    this.executed++;
    if (this.failRounds(block.round)) return { ok: false, reason: `round ${block.round} fails here` };
    this.roundOf.set(toHex(blockId(block)), block.round);
    return { ok: true };
  }

  /** Makes the executor answer carriesWork: true for the blocks of the rounds `work` names. */
  reportWork(work: (round: Round) => boolean): void {
    this.workRounds = work;
    this.carriesWork = (id) => {
      const round = this.roundOf.get(toHex(id));
      return round !== undefined && work(round);
    };
  }
  async commit(blocks: readonly Block[], commitQc: QuorumCert): Promise<void> {
    this.committed.push(...blocks);
    this.commitQcs.push(commitQc);
  }
}

export const TEST_DOMAIN: ConsensusDomain = { chainId: 7, committeeId: 1, epoch: 1 };

export interface TestKey {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function testKeys(n: number): TestKey[] {
  return Array.from({ length: n }, (_, i) => {
    const seed = sha256(new TextEncoder().encode(`hotshard consensus test key ${i}`));
    return keyPairFromSeed(seed);
  });
}

export function testCommittee(keys: readonly TestKey[], stakes?: readonly bigint[]): CommitteeMember[] {
  return keys.map((k, i) => ({ publicKey: k.publicKey, stake: stakes?.[i] ?? 100n }));
}

export function testGenesis(domain: ConsensusDomain = TEST_DOMAIN): Block {
  const payload = new Uint8Array([0]);
  return makeGenesisBlock(domain, payload, sha256(payload));
}

export interface NetOptions {
  readonly delayMs?: number;
  /** Drop messages for which this returns true. */
  readonly drop?: (from: ValidatorIndex, to: ValidatorIndex, msg: ConsensusMessage) => boolean;
}

/** What a node persists besides the safety data, as node/ would: the committed root, uncommitted blocks, certificates. */
export class NodeRecords {
  root: Block | null = null;
  rootQc: QuorumCert | null = null;
  readonly blocks = new Map<string, Block>();
  highQc: QuorumCert | null = null;
  highTc: TimeoutCert | null = null;

  record(e: EngineEvent): void {
    if (e.type === 'block') this.blocks.set(toHex(blockId(e.block)), e.block);
    else if (e.type === 'qc') this.highQc = e.qc;
    else if (e.type === 'tc') this.highTc = e.tc;
    else if (e.type === 'committed' || e.type === 'rootAdvanced') {
      const root = e.type === 'committed' ? e.blocks[e.blocks.length - 1]! : e.block;
      this.root = root;
      this.rootQc = e.commitQc;
      for (const [k, b] of this.blocks) if (b.height <= root.height) this.blocks.delete(k);
    }
  }

  recovery(): EngineRecovery | undefined {
    if (this.root === null || this.rootQc === null) return undefined;
    return {
      root: this.root,
      rootCommitQc: this.rootQc,
      blocks: [...this.blocks.values()],
      ...(this.highQc !== null ? { highQc: this.highQc } : {}),
      highTc: this.highTc,
    };
  }
}

export interface TestNode {
  readonly index: ValidatorIndex;
  engine: ConsensusEngine;
  readonly executor: CountingExecutor;
  readonly storage: InMemorySafetyStorage;
  readonly records: NodeRecords;
  readonly events: EngineEvent[];
}

/** N honest nodes over the fake clock and an in-memory network. */
export class TestNetwork {
  readonly clock = new FakeClock();
  readonly keys: TestKey[];
  readonly committee: CommitteeMember[];
  readonly genesis: Block;
  readonly nodes: TestNode[] = [];
  readonly scheme: SignatureScheme;
  /** Every message sent, with its verdict at the receiver once delivered. */
  readonly verdicts: { from: number; to: number; type: string; verdict: string }[] = [];
  private readonly down = new Set<number>();

  constructor(
    n: number,
    private readonly net: NetOptions = {},
    opts: { stakes?: readonly bigint[]; scheme?: SignatureScheme; engine?: Partial<EngineOptions> } = {},
  ) {
    this.keys = testKeys(n);
    this.committee = testCommittee(this.keys, opts.stakes);
    this.genesis = testGenesis();
    this.scheme = opts.scheme ?? ed25519Scheme;
    for (let i = 0; i < n; i++) {
      const executor = new CountingExecutor();
      const storage = new InMemorySafetyStorage();
      const events: EngineEvent[] = [];
      const node: TestNode = {
        index: i,
        engine: null as unknown as ConsensusEngine,
        executor,
        storage,
        records: new NodeRecords(),
        events,
      };
      node.engine = this.makeEngine(node, opts.engine ?? {});
      this.nodes.push(node);
    }
  }

  makeEngine(node: TestNode, extra: Partial<EngineOptions> = {}): ConsensusEngine {
    const i = node.index;
    return new ConsensusEngine({
      domain: TEST_DOMAIN,
      committee: this.committee,
      self: i,
      signer: makeSigner(this.scheme, this.keys[i]!.seed, this.keys[i]!.publicKey),
      scheme: this.scheme,
      safetyStorage: node.storage,
      clock: this.clock,
      network: this.networkFor(i),
      executor: node.executor,
      genesis: this.genesis,
      timing: { baseTimeoutMs: 200, maxTimeoutMs: 1600, minProposalIntervalMs: 20 },
      onEvent: (e) => {
        node.events.push(e);
        node.records.record(e);
      },
      ...extra,
    });
  }

  async start(): Promise<void> {
    for (const n of this.nodes) await n.engine.start();
  }

  stop(): void {
    for (const n of this.nodes) n.engine.stop();
  }

  crash(i: number): void {
    this.down.add(i);
    this.nodes[i]!.engine.stop();
  }

  /** Restarts node i with a new engine over the same safety storage, executor and records (its recovery). */
  async restart(i: number, extra: Partial<EngineOptions> = {}): Promise<void> {
    const node = this.nodes[i]!;
    node.engine.stop();
    const recovery = node.records.recovery();
    node.engine = this.makeEngine(node, { ...(recovery !== undefined ? { recovery } : {}), ...extra });
    this.down.delete(i);
    await node.engine.start();
  }

  private deliver(from: number, to: number, msg: ConsensusMessage): void {
    if (this.down.has(to) || this.down.has(from)) return;
    if (this.net.drop?.(from, to, msg) === true) return;
    this.clock.setTimer(this.net.delayMs ?? 5, () => {
      if (this.down.has(to)) return;
      void this.nodes[to]!.engine.handleMessage(msg, from).then((verdict) =>
        this.verdicts.push({ from, to, type: msg.type, verdict }),
      );
    });
  }

  private networkFor(from: number): ConsensusNetwork {
    const all = (): number[] => this.nodes.map((n) => n.index).filter((j) => j !== from);
    return {
      broadcastProposal: (p: Proposal) =>
        all().forEach((j) => this.deliver(from, j, { type: 'proposal', value: p })),
      sendVote: (to: ValidatorIndex, v: Vote) => this.deliver(from, to, { type: 'vote', value: v }),
      broadcastTimeout: (t: TimeoutMsg) =>
        all().forEach((j) => this.deliver(from, j, { type: 'timeout', value: t })),
      fetchBlocks: (peer: ValidatorIndex, id: BlockId, count: number) =>
        new Promise<Block[]>((resolve, reject) => {
          if (this.down.has(peer)) {
            reject(new Error('peer down'));
            return;
          }
          this.clock.setTimer((this.net.delayMs ?? 5) * 2, () =>
            resolve([...this.nodes[peer]!.engine.serveBlocks({ blockId: id, count }).blocks]),
          );
        }),
    };
  }

  committedIds(i: number): string[] {
    return this.nodes[i]!.executor.committed.map((b) => Buffer.from(blockId(b)).toString('hex'));
  }
}
