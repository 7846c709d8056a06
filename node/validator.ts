/**
 * One validator (DESIGN.md, The node): builds every component from its
 * options, starts them in order and stops them in the reverse order, the
 * database last (Lodestar's node/nodejs.ts).
 *
 *   self-test -> keys, genesis, committee -> database -> chain (genesis or
 *   the committed tip) -> verifier, mempool -> network -> engine (with the
 *   recovery of the chain) -> sync -> RPC
 *
 * The process itself (signals, stdout logs) is node/main.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519SelfTest } from '../core/ed25519.js';
import { equalBytes } from '../core/bytes.js';
import {
  ConsensusEngine,
  genesisQc,
  type EngineEvent,
  type EngineStatus,
  type EngineTiming,
} from '../consensus/engine.js';
import { ed25519Scheme, makeSigner } from '../consensus/signing.js';
import { CertificateCache, type VerifyContext } from '../consensus/verify.js';
import { ValidatorSet } from '../consensus/committee.js';
import type { Clock, CommitteeMember, ValidatorIndex } from '../consensus/types.js';
import { committeeMembers } from '../genesis/committees.js';
import { readGenesisFile } from '../genesis/json.js';
import { readKeyFile } from '../genesis/keyfile.js';
import type { Genesis } from '../genesis/types.js';
import type { ValidatorKeys } from '../genesis/keyfile.js';
import type { SignedTransaction } from '../shards/transaction.js';
import { Chain } from './chain/chain.js';
import { ChainError } from './chain/errors.js';
import type { NodeConfig } from './config.js';
import { ConsensusTransport } from './consensus-transport.js';
import { nullLogger, type Logger } from './logger.js';
import { admitGossipBatch, createShardMempool, TxBatcher, type Mempool } from './mempool/index.js';
import { MetricsRegistry, type Counter, type Gauge, type Histogram } from './metrics/registry.js';
import { GossipValidationError, Network, gossipTopic, reqRespProtocol } from './network/index.js';
import { HeightWaiters, RpcRegistry, RpcServer } from './rpc/index.js';
import { registerNodeMethods } from './rpc-methods.js';
import { ChainStore, NodeDatabase, moveSafetyData } from './storage/index.js';
import { DEFAULT_SYNC_OPTIONS, SyncError, SyncServer, SyncService } from './sync/index.js';
import {
  CachedTxVerifier,
  MainThreadVerifier,
  createSignatureVerifier,
  type SignatureVerifier,
  type VerifyItem,
  type VerifyOptions,
} from './verify/index.js';

export interface ValidatorModules {
  readonly logger?: Logger;
  readonly metrics?: MetricsRegistry;
  /** Injectable clock for the engine (tests); the real clock by default. */
  readonly clock?: Clock;
}

/** Where a started validator can be reached. */
export interface ValidatorEndpoints {
  readonly rpc: string;
  readonly peerId: string;
  readonly p2p: string;
  readonly p2pAddrs: readonly string[];
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    return () => clearTimeout(t);
  },
};

/** The engine's timing, as genesis fixes it for every validator. */
export function engineTimingFromGenesis(g: Genesis): Partial<EngineTiming> {
  return {
    baseTimeoutMs: g.consensus.baseRoundTimeoutMs,
    backoff: g.consensus.roundTimeoutBackoffPercent / 100,
    maxTimeoutMs: g.consensus.maxRoundTimeoutMs,
    minProposalIntervalMs: g.consensus.minProposalIntervalMs,
    maxClockSkewMs: g.consensus.maxClockDriftMs,
  };
}

function listenAddr(host: string, port: number): string {
  const proto = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? 'ip4' : host.includes(':') ? 'ip6' : 'dns4';
  return `/${proto}/${host}/tcp/${port}`;
}

interface ConsensusMetrics {
  readonly round: Gauge;
  readonly rounds: Counter<'reason'>;
  readonly timeouts: Counter;
  readonly proposals: Counter;
  readonly votes: Counter;
  readonly invalidBlocks: Counter;
  readonly equivocations: Counter;
  readonly rss: Gauge;
  readonly heapUsed: Gauge;
  readonly heapTotal: Gauge;
  readonly external: Gauge;
}

function consensusMetrics(r: MetricsRegistry): ConsensusMetrics {
  return {
    round: r.gauge({ name: 'hotshard_consensus_round', help: 'The round this validator is in' }),
    rounds: r.counter({
      name: 'hotshard_consensus_rounds_total',
      help: 'Rounds entered, by reason (qc, tc, start)',
      labelNames: ['reason'],
    }),
    timeouts: r.counter({
      name: 'hotshard_consensus_timeouts_total',
      help: 'Timeouts this validator signed',
    }),
    proposals: r.counter({
      name: 'hotshard_consensus_proposals_total',
      help: 'Blocks this validator proposed',
    }),
    votes: r.counter({
      name: 'hotshard_consensus_votes_total',
      // Counted when saved: a vote whose block then fails execution is saved but never sent.
      help: 'Votes this validator signed and saved',
    }),
    invalidBlocks: r.counter({
      name: 'hotshard_consensus_invalid_blocks_total',
      help: 'Verified blocks refused (timestamp order or execution)',
    }),
    rss: r.gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory of the process (worker threads included)',
    }),
    heapUsed: r.gauge({ name: 'nodejs_heap_used_bytes', help: 'V8 heap in use on the main thread' }),
    heapTotal: r.gauge({ name: 'nodejs_heap_total_bytes', help: 'V8 heap reserved on the main thread' }),
    external: r.gauge({
      name: 'nodejs_external_memory_bytes',
      help: 'Memory of the main thread outside the V8 heap (Buffers, ArrayBuffers)',
    }),
    equivocations: r.counter({
      name: 'hotshard_consensus_equivocations_total',
      help: 'Equivocations seen (two proposals or votes of one validator in one round)',
    }),
  };
}

/**
 * The verifier with its batches timed (hotshard_verify_batch_seconds): the
 * mempool's admission batches and the blocks' cache misses both go through it.
 */
class TimedVerifier implements SignatureVerifier {
  private readonly seconds: Histogram;
  private readonly signatures: Counter;

  constructor(
    private readonly inner: SignatureVerifier,
    metrics: MetricsRegistry,
  ) {
    this.seconds = metrics.histogram({
      name: 'hotshard_verify_batch_seconds',
      help: 'Time to verify one batch of signatures (main thread or worker pool)',
    });
    this.signatures = metrics.counter({
      name: 'hotshard_verify_signatures_total',
      help: 'Signatures sent to the verifier (cache hits excluded)',
    });
  }

  async verifyBatch(items: readonly VerifyItem[], options?: VerifyOptions): Promise<boolean[]> {
    const stop = this.seconds.startTimer();
    try {
      return await this.inner.verifyBatch(items, options);
    } finally {
      stop();
      this.signatures.inc(undefined, items.length);
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Batches of a few signatures are verified on the main thread: a worker round
 * trip (100 to 200 µs, TOOLCHAIN.md) costs more than the verification itself
 * (about 150 µs), and single RPC submissions arrive one at a time. Larger
 * batches (gossip, blocks) go to the pool. Both apply THE rule of
 * core/ed25519.ts.
 */
class SmallBatchesInline implements SignatureVerifier {
  private readonly inline = new MainThreadVerifier();

  constructor(
    private readonly pool: SignatureVerifier,
    private readonly threshold = INLINE_VERIFY_MAX,
  ) {}

  verifyBatch(items: readonly VerifyItem[], options?: VerifyOptions): Promise<boolean[]> {
    return items.length <= this.threshold
      ? this.inline.verifyBatch(items, options)
      : this.pool.verifyBatch(items, options);
  }

  async close(): Promise<void> {
    await this.inline.close();
    await this.pool.close();
  }
}

/** Largest batch verified inline (see SmallBatchesInline). */
const INLINE_VERIFY_MAX = 4;

/** Opens one LevelDB database of the validator; LOCKED says another process holds it. */
async function openDatabase(path: string, metrics: MetricsRegistry, logger: Logger): Promise<NodeDatabase> {
  try {
    return await NodeDatabase.open(path, { metrics, logger });
  } catch (err) {
    if ((err as { context?: { levelCode?: string } }).context?.levelCode === 'LEVEL_LOCKED') {
      throw new ChainError(
        'LOCKED',
        `the database ${path} is in use by another process: is this validator already running? Stop it, or give another --data-dir`,
        {},
        { cause: err },
      );
    }
    throw err;
  }
}

export class Validator {
  readonly engine: ConsensusEngine;
  readonly chain: Chain;
  readonly network: Network;
  readonly mempool: Mempool<SignedTransaction>;
  readonly sync: SyncService;
  readonly rpc: RpcServer;
  readonly metrics: MetricsRegistry;
  readonly committee: readonly CommitteeMember[];
  readonly self: ValidatorIndex;
  private readonly log: Logger;
  private readonly transport: ConsensusTransport;
  private readonly syncServer: SyncServer;
  private readonly batcher: TxBatcher;
  private readonly heightWaiters: HeightWaiters;
  private readonly txTopic: string;
  private readonly syncProtocol: string;
  private readonly cmetrics: ConsensusMetrics;
  private started = false;
  private stopping: Promise<void> | null = null;
  private endpointsValue: ValidatorEndpoints | null = null;

  private constructor(
    readonly config: NodeConfig,
    readonly genesis: Genesis,
    private readonly db: NodeDatabase,
    private readonly safetyDb: NodeDatabase,
    private readonly verifier: CachedTxVerifier,
    parts: {
      chain: Chain;
      store: ChainStore;
      mempool: Mempool<SignedTransaction>;
      network: Network;
      keys: ValidatorKeys;
      committee: readonly CommitteeMember[];
      self: ValidatorIndex;
      recovery: Awaited<ReturnType<Chain['recovery']>>;
      logger: Logger;
      metrics: MetricsRegistry;
      clock: Clock;
    },
  ) {
    const { chain, store, mempool, network, keys, committee, self, logger, metrics } = parts;
    this.chain = chain;
    this.mempool = mempool;
    this.network = network;
    this.committee = committee;
    this.self = self;
    this.metrics = metrics;
    this.log = logger;
    this.cmetrics = consensusMetrics(metrics);
    const shard = config.shard;
    this.txTopic = gossipTopic(genesis.chainId, shard, 'txs');
    this.syncProtocol = reqRespProtocol(genesis.chainId, 'sync');

    // The engine, sync and transport refer to each other: late-bound through closures.
    let sync: SyncService | null = null;
    let engine: ConsensusEngine | null = null;
    // What sync and the transport check certificates against (the engine keeps its own).
    const ctx: VerifyContext = {
      domain: chain.domain,
      validators: new ValidatorSet(committee),
      scheme: ed25519Scheme,
      genesisQc: genesisQc(chain.genesisBlock),
      cache: new CertificateCache(),
    };
    this.transport = new ConsensusTransport({
      network,
      chainId: genesis.chainId,
      committeeId: shard,
      self,
      committeeSize: committee.length,
      syncing: () => sync?.syncing === true,
      onCommitCertificate: (height) => sync?.noteCommitted(height),
      verify: ctx,
      committedHeight: () => chain.tip.height,
      lagThreshold: DEFAULT_SYNC_OPTIONS.lagThreshold,
      logger,
      metrics,
    });
    engine = new ConsensusEngine({
      domain: chain.domain,
      committee,
      self,
      signer: makeSigner(ed25519Scheme, keys.ed25519.seed, keys.ed25519.publicKey),
      scheme: ed25519Scheme,
      safetyStorage: store.safety,
      clock: parts.clock,
      network: this.transport,
      executor: chain,
      genesis: chain.genesisBlock,
      timing: engineTimingFromGenesis(genesis),
      recovery: parts.recovery,
      onEvent: (e) => this.onEngineEvent(e),
      // Peers further behind are served from the database (node/sync): keep few committed blocks in memory.
      retainCommittedBlocks: 8,
    });
    this.engine = engine;
    sync = new SyncService(
      {
        chain,
        verify: ctx,
        advanceRoot: (block, qc) => engine!.advanceRoot(block, qc),
        peers: () => this.connectedMembers(),
        request: (peer, data, timeoutMs) =>
          network.request({ committeeId: shard, index: peer }, this.syncProtocol, data, { timeoutMs }),
        penalize: (peer) => {
          const id = network.directory.peerOf(shard, peer);
          if (id !== undefined) network.penalize(id, 'invalid_message');
        },
        logger,
        metrics,
      },
      { batchBlocks: config.tuning.syncBatchBlocks },
    );
    this.sync = sync;
    this.syncServer = new SyncServer({
      store,
      committedHeight: () => chain.tip.height,
      serveFromEngine: (req) => engine!.serveBlocks(req),
    });
    this.batcher = new TxBatcher({
      publish: (batch) => network.publish(this.txTopic, batch).then(() => undefined),
      onError: (err) => this.log.debug('transaction batch not published', { err }),
    });
    this.heightWaiters = new HeightWaiters(() => chain.tip.height);
    const registry = new RpcRegistry();
    registerNodeMethods(registry, {
      chain,
      store,
      mempool,
      onAdmitted: (tx) => this.batcher.add(tx),
      committee,
      self,
      engineStatus: () => (this.started ? engine!.status() : null),
      highestKnownHeight: () => {
        let certified = 0;
        try {
          certified = engine!.certificates().highQc.voteData.block.height;
        } catch {
          // not started
        }
        return Math.max(certified, sync!.highestKnownHeight);
      },
      peerCount: () => network.peerCount(),
      syncing: () => sync!.syncing,
      heightWaiters: this.heightWaiters,
    });
    this.rpc = new RpcServer(
      {
        host: config.rpc.host,
        port: config.rpc.port,
        submissionRate: config.tuning.rpcSubmissionRate,
        submissionBurst: config.tuning.rpcSubmissionRate * 2,
      },
      {
        registry,
        metrics,
        logger,
        health: () => ({
          ok: this.started && this.stopping === null,
          committedHeight: chain.tip.height,
          syncing: sync!.syncing,
          peers: network.peerCount(),
        }),
      },
    );
    metrics.addCollector(() => {
      if (this.started) this.cmetrics.round.set(undefined, engine!.status().round);
      const mem = process.memoryUsage();
      this.cmetrics.rss.set(undefined, mem.rss);
      this.cmetrics.heapUsed.set(undefined, mem.heapUsed);
      this.cmetrics.heapTotal.set(undefined, mem.heapTotal);
      this.cmetrics.external.set(undefined, mem.external);
    });
  }

  /**
   * Builds a validator from its configuration: runs the ed25519 self-test
   * (refusing to run on a verifier that disagrees with the rule), reads the
   * key and genesis, checks membership, opens the database and the chain.
   * Nothing listens yet (start()).
   */
  static async create(config: NodeConfig, modules: ValidatorModules = {}): Promise<Validator> {
    const logger = modules.logger ?? nullLogger();
    const metrics = modules.metrics ?? new MetricsRegistry();
    ed25519SelfTest();
    const keys = readKeyFile(config.keyFile);
    const genesis = readGenesisFile(config.genesisFile);
    const members = committeeMembers(genesis, config.shard);
    if (members === undefined) {
      throw new ChainError(
        'NOT_A_MEMBER',
        `shard ${config.shard} does not exist: the genesis has ${genesis.shardCount} shard(s); fix "shard" in the configuration`,
      );
    }
    const self = members.findIndex((m) => equalBytes(m.publicKey, keys.ed25519.publicKey));
    if (self < 0) {
      throw new ChainError(
        'NOT_A_MEMBER',
        `the key in ${config.keyFile} is not in the committee of shard ${config.shard}; use a key listed in the genesis for that shard, or the shard this key serves`,
      );
    }
    const committee: CommitteeMember[] = members.map((m) => ({ publicKey: m.publicKey, stake: m.stake }));
    const log = logger.child('validator', { shard: config.shard, index: self });

    mkdirSync(config.dataDir, { recursive: true });
    const db = await openDatabase(join(config.dataDir, 'db'), metrics, logger);
    let safetyDb: NodeDatabase;
    try {
      safetyDb = await openDatabase(join(config.dataDir, 'safety'), metrics, logger);
      if (await moveSafetyData(db, safetyDb, config.shard))
        log.info('safety data moved to its own database', { path: join(config.dataDir, 'safety') });
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    let verifier: CachedTxVerifier | null = null;
    let network: Network | null = null;
    try {
      const store = new ChainStore(db, config.shard, safetyDb);
      const threads = config.tuning.verifierThreads;
      const base = createSignatureVerifier(threads < 0 ? {} : { threads });
      verifier = new CachedTxVerifier(
        new TimedVerifier(threads === 0 ? base : new SmallBatchesInline(base), metrics),
      );
      const chain = await Chain.open({
        store,
        genesis,
        shardId: config.shard,
        verifier,
        maxBlockTransactions: config.tuning.maxBlockTransactions,
        logger,
        metrics,
      });
      const params = chain.params;
      const mempool = createShardMempool(
        { chainId: params.chainId, shardId: params.shardId, shardMap: params.shardMap, fees: params.fees },
        { verifier, state: chain.accounts, metrics },
        { maxTxs: config.tuning.mempoolCapacity },
      );
      chain.attachMempool(mempool);
      network = await Network.create(
        {
          chainId: genesis.chainId,
          seed: keys.ed25519.seed,
          listen: [listenAddr(config.p2p.host, config.p2p.port)],
          staticPeers: config.peers.map((multiaddr) => ({ multiaddr })),
        },
        { metrics, logger },
      );
      network.setCommittee(
        config.shard,
        committee.map((m) => m.publicKey),
      );
      const recovery = await chain.recovery();
      return new Validator(config, genesis, db, safetyDb, verifier, {
        chain,
        store,
        mempool,
        network,
        keys,
        committee,
        self,
        recovery,
        logger: log,
        metrics,
        clock: modules.clock ?? realClock,
      });
    } catch (err) {
      await network?.stop().catch(() => {});
      await verifier?.close().catch(() => {});
      await db.close().catch(() => {});
      await safetyDb.close().catch(() => {});
      throw err;
    }
  }

  /** Where the started validator listens. */
  get endpoints(): ValidatorEndpoints {
    if (this.endpointsValue === null) throw new ChainError('CLOSED', 'the validator has not started');
    return this.endpointsValue;
  }

  /** Starts the network, the protocols, the engine, sync and the RPC; resolves once every part runs. */
  async start(): Promise<ValidatorEndpoints> {
    if (this.started) return this.endpoints;
    const network = this.network;
    await network.start();
    network.subscribe<null>(
      this.txTopic,
      async (data) => {
        const r = await admitGossipBatch(this.mempool, data);
        if (r.verdict === 'ACCEPT') return null;
        throw new GossipValidationError(
          r.verdict === 'REJECT' ? 'reject' : 'ignore',
          r.error?.code ?? 'BATCH_' + r.verdict,
          'transaction batch refused',
        );
      },
      () => {},
    );
    await network.handle(this.syncProtocol, async (data, ctx) => {
      if (ctx.kind !== 'request') {
        network.penalize(ctx.peerId, 'invalid_message');
        throw new SyncError('MALFORMED', 'the sync protocol carries requests only');
      }
      try {
        return await this.syncServer.handle(data);
      } catch (err) {
        if (err instanceof SyncError) network.penalize(ctx.peerId, 'invalid_message');
        throw err;
      }
    });
    // A new connection to a committee member: ask whether we are behind (at start no peer is connected yet).
    network.onPeerChange((peerId, connected) => {
      if (connected && network.directory.indexOf(this.config.shard, peerId) !== undefined)
        this.sync.trigger('peer');
    });
    await this.transport.attach(this.engine);
    await this.engine.start();
    this.started = true;
    this.sync.start();
    const rpc = await this.rpc.start();
    const addrs = network.multiaddrs();
    this.endpointsValue = { rpc, peerId: network.peerId, p2p: addrs[0] ?? '', p2pAddrs: addrs };
    const s = this.engine.status();
    this.log.info('node started', {
      rpc,
      peerId: network.peerId,
      p2p: addrs[0] ?? null,
      shard: this.config.shard,
      index: this.self,
      committedHeight: this.chain.tip.height,
      round: s.round,
    });
    return this.endpointsValue;
  }

  /** Stops everything, in order: sync, engine, transaction batching, RPC, network, chain, verifier, then the database. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping === null) this.stopping = this.stopInOrder();
    return this.stopping;
  }

  private async stopInOrder(): Promise<void> {
    const step = async (what: string, fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        this.log.warn(`stopping ${what} failed`, { err });
      }
    };
    await step('sync', () => this.sync.stop());
    await step('engine', () => this.engine.stop());
    await step('batcher', () => this.batcher.close());
    await step('rpc', () => {
      this.heightWaiters.close(); // a waiting call answers null now instead of holding the server's close
      return this.rpc.stop();
    });
    await step('network', () => this.network.stop());
    await step('chain', () => this.chain.close());
    await step('verifier', () => this.verifier.close());
    await step('database', () => this.db.close());
    await step('safety database', () => this.safetyDb.close());
    this.started = false;
    this.log.info('node stopped', { committedHeight: this.chain.tip.height });
  }

  /** The engine's status (null before start). */
  status(): EngineStatus | null {
    return this.started ? this.engine.status() : null;
  }

  private connectedMembers(): ValidatorIndex[] {
    const out: ValidatorIndex[] = [];
    for (const peerId of this.network.peers()) {
      const i = this.network.directory.indexOf(this.config.shard, peerId);
      if (i !== undefined && i !== this.self) out.push(i);
    }
    return out;
  }

  private onEngineEvent(e: EngineEvent): void {
    const m = this.cmetrics;
    // While stopping, work still queued in the engine meets a closed chain: expected, not worth a warning.
    if (this.stopping !== null && (e.type === 'invalidBlock' || e.type === 'error')) return;
    switch (e.type) {
      case 'block':
        this.chain.persistUncommitted(e.block);
        return;
      case 'qc':
        this.chain.persistHighQc(e.qc);
        return;
      case 'tc':
        this.chain.persistHighTc(e.tc);
        return;
      case 'round':
        m.rounds.inc({ reason: e.reason });
        m.round.set(undefined, e.round);
        return;
      case 'timeout':
        m.timeouts.inc();
        this.log.debug('timed out', { round: e.round });
        return;
      case 'proposed':
        m.proposals.inc();
        return;
      case 'voted':
        m.votes.inc();
        return;
      case 'committed':
        if (this.log.isEnabled('debug')) {
          const last = e.blocks[e.blocks.length - 1]!;
          this.log.debug('committed', { height: last.height, round: last.round, blocks: e.blocks.length });
        }
        return;
      case 'syncNeeded':
        this.log.info('far behind: syncing', { height: e.height, committedHeight: e.committedHeight });
        this.sync.trigger('syncNeeded');
        return;
      case 'rootAdvanced':
        this.log.info('root advanced by sync', { height: e.block.height, round: e.block.round });
        return;
      case 'invalidBlock':
        m.invalidBlocks.inc();
        this.log.warn('block refused', { round: e.round, blockId: e.blockId, reason: e.reason });
        return;
      case 'equivocation':
        m.equivocations.inc();
        this.log.warn('equivocation', {
          kind: e.evidence.kind,
          round: e.evidence.round,
          author: e.evidence.author,
        });
        return;
      case 'refused':
        this.log.debug('safety rules refused', { what: e.what, round: e.round, code: e.code });
        return;
      case 'error':
        this.log.warn('engine error', { where: e.where, err: e.error });
        return;
    }
  }
}
