/**
 * The shard chain of one validator: the BlockExecutor that consensus drives
 * (DESIGN.md, Consensus: execution before the vote, overlays, atomic commit,
 * recovery), over the shard state machine (shards/) and the node database.
 *
 * - buildPayload: transactions chosen by the mempool on the parent's state,
 *   executed by shards/ proposeShardPayload; the result is kept so that the
 *   engine's execute() of our own block does not run it twice.
 * - execute: signatures the verification cache does not know are verified in
 *   ONE batch (worker pool), then a serial apply and one state-tree update;
 *   the writes become the block's overlay over its parent's (ShardState).
 * - commit: blocks, the commit certificate, state values, receipts,
 *   transaction locations, the removal of uncommitted records and the
 *   committed height go to the database in ONE atomic batch, with the state
 *   tree's nodes every 16th commit and the changed keys' journal at the
 *   others (state-store.ts); only then does the in-memory state advance
 *   (never a half-written state). Opening the chain rebuilds the tree of the
 *   committed height from that journal (tree-journal.ts).
 * - uncommitted blocks are persisted as they join the engine's tree, with
 *   the highest QC and TC, so a restarted node re-executes them (recovery()).
 *
 * Every state change runs under one lock: the engine and sync both drive
 * this object, and neither may see the other's half-done step.
 */
import type {
  Block,
  BlockExecutor,
  ExecutionVerdict,
  Height,
  QuorumCert,
  Round,
  TimeoutCert,
} from '../../consensus/types.js';
import type { EngineRecovery } from '../../consensus/engine.js';
import { genesisQc } from '../../consensus/engine.js';
import { QuorumCertCodec, TimeoutCertCodec, blockId } from '../../consensus/messages.js';
import { decode, encode } from '../../core/codec.js';
import { equalBytes, toHex } from '../../core/bytes.js';
import { makeRoom } from '../../core/bounded-map.js';
import { HotshardError } from '../../core/errors.js';
import type { Genesis } from '../../genesis/types.js';
import { genesisHash as computeGenesisHash } from '../../genesis/codec.js';
import { BlockError } from '../../shards/errors.js';
import {
  executeDecodedShardPayload,
  proposeShardPayload,
  type ShardBlockOutcome,
} from '../../shards/block.js';
import { shardParamsFromGenesis, type BlockContext, type ShardParams } from '../../shards/execute.js';
import {
  decodeShardPayload,
  payloadHeaderDigest,
  type ShardPayload,
  type ShardPayloadHeader,
} from '../../shards/payload.js';
import type { Receipt } from '../../shards/receipt.js';
import { ShardState, flattenWrites, type StateBatch, type StateView } from '../../shards/state.js';
import type { SignedTransaction } from '../../shards/transaction.js';
import type { ChainStore } from '../storage/chain-store.js';
import type { WriteBatch } from '../storage/write-batch.js';
import { ChainMetaKey } from '../storage/chain-store.js';
import type { CachedTxVerifier } from '../verify/cache.js';
import { txVerifyItem } from '../verify/transactions.js';
import type { Mempool } from '../mempool/mempool.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { nullLogger, type Logger } from '../logger.js';
import { ChainError } from './errors.js';
import { shardGenesis, type ShardGenesis } from './genesis-block.js';
import { LevelStateStore, type StagedState } from './state-store.js';
import { completeStateTree } from './tree-journal.js';
import { CommittedAccounts } from './committed-accounts.js';
import { createChainMetrics, type ChainMetrics } from './metrics.js';

/** Chain metadata records of this module (Bucket.chainMeta, beside the storage module's own). */
export const HIGH_QC_KEY = 'highQc';
export const HIGH_TC_KEY = 'highTc';

/** Proposals we built and have not yet executed as blocks: a leader proposes a few per second at most. */
const BUILT_CACHE = 4;
/** Received payloads decoded for their digest, awaiting execute(): the blocks of a round or two. */
const DECODED_CACHE = 8;

export interface ChainOptions {
  readonly store: ChainStore;
  readonly genesis: Genesis;
  readonly shardId: number;
  /** Shared with the mempool, so a transaction verified at admission is not verified again. */
  readonly verifier: CachedTxVerifier;
  /** Most transactions in a block we propose (at most the protocol's 2,000). */
  readonly maxBlockTransactions?: number;
  readonly logger?: Logger | null;
  readonly metrics?: MetricsRegistry | null;
}

/** The committed tip: the last committed block and the certificate that committed it. */
export interface CommittedTip {
  readonly block: Block;
  readonly id: Uint8Array;
  readonly height: Height;
  readonly commitQc: QuorumCert;
  readonly header: ShardPayloadHeader;
}

/** One block of a commit, with what its execution produced. */
export interface CommittedBlockResult {
  readonly block: Block;
  readonly id: Uint8Array;
  readonly transactions: readonly SignedTransaction[];
  readonly receipts: readonly Receipt[];
  /** The receipts' canonical encodings (what the commit stores). */
  readonly encodedReceipts: readonly Uint8Array[];
}

export type CommitListener = (blocks: readonly CommittedBlockResult[], commitQc: QuorumCert) => void;

interface Executed {
  readonly block: Block;
  readonly outcome: ShardBlockOutcome;
}

interface Built {
  readonly parentId: string;
  readonly height: Height;
  readonly timestamp: number;
  readonly outcome: ShardBlockOutcome;
}

function hex(b: Uint8Array): string {
  return toHex(b);
}

function describe(err: unknown): { code: string; message: string } {
  if (err instanceof HotshardError) return { code: String(err.code), message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export class Chain implements BlockExecutor {
  readonly shardId: number;
  readonly params: ShardParams;
  readonly genesisBlock: Block;
  readonly genesisId: Uint8Array;
  readonly genesisHash: Uint8Array;
  readonly domain: ShardGenesis['domain'];
  private readonly store: ChainStore;
  private readonly stateStore: LevelStateStore;
  private readonly state: ShardState;
  /** The committed accounts, decoded and cached (the mempool's AccountReader). */
  readonly accounts: CommittedAccounts;
  private readonly verifier: CachedTxVerifier;
  private readonly log: Logger;
  private readonly metrics: ChainMetrics | null;
  private readonly maxBlockTransactions: number;
  private tipValue: CommittedTip;
  private mempool: Mempool<SignedTransaction> | null = null;
  private readonly executed = new Map<string, Executed>();
  private readonly built = new Map<string, Built>();
  /**
   * Received payloads decoded by payloadDigest(), for execute(), by the
   * payload's bytes object; removed once executed, and bounded (a verified
   * block need not be executed: a newer one may win the round).
   */
  private readonly decodedPayloads = new Map<Uint8Array, ShardPayload>();
  /** The digests of the payloads we built, by their bytes object (payloadDigest of our own proposal). */
  private readonly builtDigests = new WeakMap<Uint8Array, Uint8Array>();
  /** Uncommitted blocks persisted for recovery (id hex -> height), deleted once at or below the committed height. */
  private readonly persisted = new Map<string, Height>();
  private readonly listeners: CommitListener[] = [];
  private lock: Promise<void> = Promise.resolve();
  private closed = false;
  /** The writes and applications of the commits staged so far, in order (rejected once one write failed). */
  private applied: Promise<void> = Promise.resolve();
  /** The last commit staged but not yet applied (null when every staged commit is applied). */
  private staged: { readonly id: Uint8Array; readonly height: Height } | null = null;
  /** The block ids of staged, not yet applied commits, by height. */
  private readonly stagedIds = new Map<Height, Uint8Array>();
  private pendingRecovery: WriteBatch | null = null;
  private recoveryWrite: Promise<void> = Promise.resolve();

  private constructor(opts: ChainOptions, g: ShardGenesis, tip: CommittedTip, genesisHash: Uint8Array) {
    this.store = opts.store;
    this.shardId = opts.shardId;
    this.params = shardParamsFromGenesis(opts.genesis, opts.shardId);
    this.genesisBlock = g.block;
    this.genesisId = blockId(g.block);
    this.genesisHash = genesisHash;
    this.domain = g.domain;
    this.verifier = opts.verifier;
    this.log = (opts.logger ?? nullLogger()).child('chain');
    this.metrics = opts.metrics ? createChainMetrics(opts.metrics) : null;
    this.maxBlockTransactions = opts.maxBlockTransactions ?? 2000;
    this.stateStore = new LevelStateStore(opts.store);
    this.tipValue = tip;
    this.state = new ShardState(this.stateStore, tip.header.stateRoot, tip.id);
    this.accounts = new CommittedAccounts(this.state.committed);
    this.metrics?.committedHeight.set(undefined, tip.height);
  }

  /**
   * Opens the chain of `shardId` on its database: writes the genesis block
   * and state in one batch on a fresh database, refuses a database made from
   * another genesis, and loads the committed tip.
   */
  static async open(opts: ChainOptions): Promise<Chain> {
    const g = shardGenesis(opts.genesis, opts.shardId);
    const gHash = computeGenesisHash(opts.genesis);
    const store = opts.store;
    const gId = blockId(g.block);
    if (store.committedHeight() === null) {
      const batch = store.db.batch();
      const state = flattenWrites([g.state]);
      store.stageCommit(batch, [g.block], genesisQc(g.block));
      store.stageStateNodes(batch, state.nodes);
      for (const [k, v] of state.values) if (v !== null) batch.put(store.accounts, k, v);
      batch.put(store.meta, ChainMetaKey.genesisHash, gHash);
      await batch.commit({ sync: true });
      opts.logger
        ?.child('chain')
        .info('genesis written', { shard: opts.shardId, genesisBlock: gId, stateRoot: g.state.root });
    } else {
      const stored = store.genesisHash();
      if (stored === null || !equalBytes(stored, gHash)) {
        throw new ChainError(
          'GENESIS_MISMATCH',
          `the database in this data directory was created from another genesis (stored ${stored === null ? 'nothing' : toHex(stored)}, genesis file ${toHex(gHash)}); use a fresh --data-dir for this network`,
        );
      }
      const at0 = await store.blockIdByHeight.get(0);
      if (at0 === null || !equalBytes(at0, gId))
        throw new ChainError(
          'GENESIS_MISMATCH',
          'the stored genesis block differs from the one genesis.json gives',
        );
    }
    const tip = await Chain.loadTip(store);
    // The newest commits' tree nodes may have been in memory only when the process stopped.
    await completeStateTree(
      store,
      tip.height,
      tip.header.stateRoot,
      async (height) => (await Chain.headerAt(store, height)).stateRoot,
      (opts.logger ?? nullLogger()).child('chain'),
    );
    return new Chain(opts, g, tip, gHash);
  }

  /** The payload header of the committed block at `height`. */
  private static async headerAt(store: ChainStore, height: Height): Promise<ShardPayloadHeader> {
    const block = await store.blockAtHeight(height);
    if (block === null) throw new ChainError('CORRUPT', `the committed block at height ${height} is missing`);
    return Chain.headerOf(block, height);
  }

  private static headerOf(block: Block, height: Height): ShardPayloadHeader {
    try {
      return decodeShardPayload(block.payload).header;
    } catch (err) {
      throw new ChainError(
        'CORRUPT',
        `the committed block at height ${height} has an undecodable payload`,
        {},
        { cause: err },
      );
    }
  }

  private static async loadTip(store: ChainStore): Promise<CommittedTip> {
    const height = store.committedHeight();
    if (height === null) throw new ChainError('CORRUPT', 'no committed height after genesis');
    const block = await store.blockAtHeight(height);
    if (block === null) throw new ChainError('CORRUPT', `the committed block at height ${height} is missing`);
    const commitQc = await store.commitCerts.get(height);
    if (commitQc === null)
      throw new ChainError('CORRUPT', `the commit certificate of height ${height} is missing`);
    return { block, id: blockId(block), height, commitQc, header: Chain.headerOf(block, height) };
  }

  /** Wires the mempool (built after the chain, since its AccountReader reads committedView()). */
  attachMempool(mempool: Mempool<SignedTransaction>): void {
    this.mempool = mempool;
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  get tip(): CommittedTip {
    return this.tipValue;
  }

  /** The committed state (reads see each commit as soon as it is written). */
  committedView(): StateView {
    return this.state.committed;
  }

  /** The state after `id` (committed tip or an executed, uncommitted block). */
  viewOf(id: Uint8Array): StateView | undefined {
    return this.state.view(id);
  }

  /** Whether `id` was executed and is not yet committed, or is the committed tip. */
  hasState(id: Uint8Array): boolean {
    return this.state.view(id) !== undefined;
  }

  get uncommittedCount(): number {
    return this.executed.size;
  }

  private context(height: Height, timestamp: number): BlockContext {
    return { ...this.params, height, timestamp };
  }

  /** Runs `fn` after every earlier state change has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(() => {
      if (this.closed) throw new ChainError('CLOSED', 'the chain is closed');
      return fn();
    });
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  // ------------------------------------------------------------ BlockExecutor

  /**
   * Decodes the payload (the engine asks before it executes a received
   * block) and keeps the decoding for execute(), keyed by the payload's
   * bytes object: a 1,000-transaction payload is decoded once, not twice.
   */
  payloadDigest(payload: Uint8Array): Uint8Array {
    return this.builtDigests.get(payload) ?? payloadHeaderDigest(this.decodedPayload(payload).header);
  }

  private decodedPayload(payload: Uint8Array): ShardPayload {
    let decoded = this.decodedPayloads.get(payload);
    if (decoded === undefined) {
      // Transactions our mempool holds are taken from it, already decoded (and verified).
      decoded = decodeShardPayload(payload, (h) => this.mempool?.get(h)?.tx);
      makeRoom(this.decodedPayloads, DECODED_CACHE);
      this.decodedPayloads.set(payload, decoded);
    }
    return decoded;
  }

  buildPayload(parent: Block, _round: Round, height: Height, timestamp: number): Promise<Uint8Array> {
    return this.exclusive(async () => {
      const stop = this.metrics?.buildSeconds.startTimer();
      const parentId = blockId(parent);
      const view = this.state.view(parentId);
      if (view === undefined)
        throw new ChainError(
          'PARENT_UNKNOWN',
          `cannot build on block ${toHex(parentId)}: it was not executed`,
        );
      let candidates: SignedTransaction[] = [];
      if (this.mempool !== null) {
        // Decoded once per sender for this build: selection asks for nonces and balances per transaction.
        const reader = new CommittedAccounts(view);
        candidates = this.mempool
          .selectForBlock({
            nonceOf: (a) => reader.getNonce(a),
            balanceOf: (a, asset) => reader.getBalance(a, asset),
            now: timestamp,
            maxTxs: this.maxBlockTransactions,
          })
          .map((s) => s.tx);
      }
      // Admitted transactions are in the verification cache; one evicted since is verified again (in one batch).
      const valid = await this.verifySignatures(candidates);
      const after = this.state.view(parentId);
      if (after === undefined)
        throw new ChainError('PARENT_UNKNOWN', `block ${toHex(parentId)} was pruned while building on it`);
      const proposed = proposeShardPayload(after, candidates, this.context(height, timestamp), {
        isSignatureValid: (t) => valid.has(t),
        maxTransactions: this.maxBlockTransactions,
      });
      this.dropRejected(proposed.rejected, after);
      makeRoom(this.built, BUILT_CACHE);
      this.built.set(hex(proposed.digest), { parentId: hex(parentId), height, timestamp, outcome: proposed });
      this.builtDigests.set(proposed.payload, proposed.digest);
      stop?.();
      return proposed.payload;
    });
  }

  execute(block: Block): Promise<ExecutionVerdict> {
    return this.exclusive(() => this.executeLocked(block));
  }

  /** True when the executed, uncommitted block `id` holds transactions (the engine then proposes on it at once). */
  carriesWork(id: Uint8Array): boolean {
    return (this.executed.get(hex(id))?.outcome.header.txCount ?? 0) > 0;
  }

  private async executeLocked(block: Block): Promise<ExecutionVerdict> {
    const id = blockId(block);
    const key = hex(id);
    if (this.executed.has(key) || this.isCommitted(block, id)) {
      this.decodedPayloads.delete(block.payload);
      return { ok: true };
    }
    if (this.state.view(block.parentId) === undefined) {
      return {
        ok: false,
        reason: `parent ${toHex(block.parentId)} is neither the committed tip nor an executed block`,
      };
    }
    const ctx = this.context(block.height, block.timestamp);
    const built = this.built.get(hex(block.payloadDigest));
    let outcome: ShardBlockOutcome;
    let source: 'own' | 'peer';
    const stop = process.hrtime.bigint();
    try {
      if (
        built !== undefined &&
        built.parentId === hex(block.parentId) &&
        built.height === block.height &&
        built.timestamp === block.timestamp
      ) {
        // Our own proposal: executed while building it, on this very parent state.
        outcome = built.outcome;
        source = 'own';
        this.built.delete(hex(block.payloadDigest));
      } else {
        source = 'peer';
        const decoded = this.decodedPayload(block.payload);
        this.decodedPayloads.delete(block.payload); // executed once
        const valid = await this.verifySignatures(decoded.transactions);
        // The parent may have been pruned (a conflicting commit) while verifying.
        const view = this.state.view(block.parentId);
        if (view === undefined) return { ok: false, reason: 'the parent was pruned during execution' };
        outcome = executeDecodedShardPayload(view, decoded, ctx, {
          isSignatureValid: (t) => valid.has(t),
        });
      }
    } catch (err) {
      const d = describe(err);
      this.metrics?.invalidBlocks.inc({ code: d.code });
      if (!(err instanceof BlockError))
        this.log.warn('block execution failed', { height: block.height, round: block.round, err });
      return { ok: false, reason: d.message };
    }
    this.state.addBlock(id, block.parentId, outcome.result.writes);
    this.executed.set(key, { block, outcome });
    this.metrics?.executeSeconds.observe({ source }, Number(process.hrtime.bigint() - stop) / 1e9);
    this.metrics?.uncommittedBlocks.set(undefined, this.executed.size);
    return { ok: true };
  }

  /** True when `block` is committed already (sync ran ahead of the engine). */
  private isCommitted(block: Block, id: Uint8Array): boolean {
    if (block.height > this.tipValue.height) return false;
    if (block.height === this.tipValue.height) return equalBytes(id, this.tipValue.id);
    const stored = this.store.blockIdByHeight.getSync(block.height);
    return stored !== null && equalBytes(stored, id);
  }

  /**
   * Signatures of `txs` that are neither pooled nor cached are verified in
   * one batch on the pool. A transaction object the mempool holds verified
   * at admission (the mempool admits nothing else, and decodeShardPayload
   * hands out the pooled objects), so the verified-transactions cache only
   * serves the others. Returns the valid transactions; the set is local, so
   * an eviction between verification and execution cannot change the verdict.
   */
  private async verifySignatures(txs: readonly SignedTransaction[]): Promise<Set<SignedTransaction>> {
    const valid = new Set<SignedTransaction>();
    const misses: SignedTransaction[] = [];
    for (const t of txs) {
      if (this.mempool?.getByKey(t.hashKey)?.tx === t || this.verifier.isVerified(t.hash)) valid.add(t);
      else misses.push(t);
    }
    this.metrics?.signatures.inc({ result: 'cached' }, txs.length - misses.length);
    if (misses.length > 0) {
      const stop = this.metrics?.verifySeconds.startTimer();
      // Consensus waits for these: they go before admission work (VerifyOptions.urgent).
      const results = await this.verifier.verifyBatch(misses.map(txVerifyItem), { urgent: true });
      stop?.();
      this.metrics?.signatures.inc({ result: 'verified' }, misses.length);
      misses.forEach((t, i) => {
        if (results[i] === true) valid.add(t);
      });
    }
    return valid;
  }

  /** Transactions that can never enter a block on this chain leave the mempool; a nonce gap stays (it may close). */
  private dropRejected(
    rejected: readonly { tx: SignedTransaction; error: BlockError }[],
    view: StateView,
  ): void {
    if (this.mempool === null || rejected.length === 0) return;
    const reader = new CommittedAccounts(view);
    for (const { tx, error } of rejected) {
      const gap = error.code === 'NONCE_MISMATCH' && tx.tx.nonce > reader.getNonce(tx.sender);
      if (!gap) this.mempool.remove(tx.hash);
    }
  }

  commit(blocks: readonly Block[], commitQc: QuorumCert): Promise<void> {
    return this.exclusive(() => this.commitLocked(blocks, commitQc));
  }

  /**
   * Stages the commit and hands its batch to the database, then returns: the
   * engine goes on (its next proposal and vote need the overlays, which stay
   * until the write lands), and the write leaves the critical path of the
   * round. A commit is staged on top of the previous one even while that one
   * is still being written (the engine waited for each write before: 30 ms
   * of every round under load); each write is issued only once the previous
   * one landed and was applied, so commits land and apply in order, and a
   * write that fails stops every later one (never a gap on disk).
   */
  private async commitLocked(blocks: readonly Block[], commitQc: QuorumCert): Promise<void> {
    // Blocks committed already (by sync, or staged by an earlier commit) are skipped: the same ids,
    // or a conflict that must never pass.
    const base = this.staged ?? { id: this.tipValue.id, height: this.tipValue.height };
    const fresh: Block[] = [];
    for (const b of blocks) {
      const id = blockId(b);
      if (b.height <= base.height) {
        const same =
          b.height <= this.tipValue.height
            ? this.isCommitted(b, id)
            : equalBytes(this.stagedIds.get(b.height) ?? new Uint8Array(0), id);
        if (!same) {
          throw new ChainError(
            'COMMIT_CONFLICT',
            `block ${toHex(id)} conflicts with the committed block at height ${b.height}`,
            { height: b.height },
          );
        }
        continue;
      }
      fresh.push(b);
    }
    if (fresh.length === 0) return;
    const stop = this.metrics?.commitSeconds.startTimer();
    const ids = fresh.map((b) => blockId(b));
    let lastHeader: ShardPayloadHeader | null = null;
    const results: CommittedBlockResult[] = fresh.map((b, i) => {
      const e = this.executed.get(hex(ids[i]!));
      if (e === undefined)
        throw new ChainError(
          'NOT_EXECUTED',
          `block at height ${b.height} was committed without being executed`,
          { height: b.height },
        );
      lastHeader = e.outcome.header;
      return {
        block: b,
        id: ids[i]!,
        transactions: e.outcome.result.transactions,
        receipts: e.outcome.result.receipts,
        encodedReceipts: e.outcome.result.encodedReceipts,
      };
    });
    const stateBatch = this.state.commitBatch(ids, base.id);
    const last = fresh[fresh.length - 1]!;
    const store = this.store;
    const batch = store.db.batch();
    store.stageCommit(batch, fresh, commitQc, base.height);
    const stagedState = this.stateStore.stageCommit(batch, stateBatch, last.height);
    let txCount = 0;
    for (const r of results) {
      r.transactions.forEach((t, index) => {
        batch.put(store.receipts, t.hash, r.encodedReceipts[index]!);
        batch.put(store.txLocations, t.hash, { height: r.block.height, index });
      });
      txCount += r.transactions.length;
    }
    // Uncommitted records at or below the new height are either committed now or on a dead fork.
    const dropped: string[] = [];
    for (const [k, h] of this.persisted) {
      if (h <= last.height) {
        batch.del(store.uncommitted, fromHexKey(k));
        dropped.push(k);
      }
    }
    const tip: CommittedTip = {
      block: last,
      id: ids[ids.length - 1]!,
      height: last.height,
      commitQc,
      header: lastHeader!,
    };
    fresh.forEach((b, i) => this.stagedIds.set(b.height, ids[i]!));
    this.staged = { id: tip.id, height: tip.height };
    this.applied = this.applied.then(async () => {
      try {
        await batch.commit({ sync: false });
      } catch (err) {
        // The database refused the write (disk full, closed): the in-memory state stays at the last
        // written tip, so nothing claims a commit the disk does not hold, and no later commit is written.
        this.log.error('commit write failed', { height: last.height, err });
        throw err;
      }
      stop?.();
      this.applyCommit(tip, ids, stateBatch, stagedState, results, dropped, txCount);
    });
  }

  /** The commit's batch is written: advance the in-memory view, free the committed overlays, release dead forks. */
  private applyCommit(
    tip: CommittedTip,
    ids: readonly Uint8Array[],
    stateBatch: StateBatch,
    stagedState: StagedState,
    results: readonly CommittedBlockResult[],
    dropped: readonly string[],
    txCount: number,
  ): void {
    for (const k of dropped) this.persisted.delete(k);
    for (const h of [...this.stagedIds.keys()]) if (h <= tip.height) this.stagedIds.delete(h);
    if (this.staged !== null && this.staged.height <= tip.height) this.staged = null;
    this.stateStore.applyCommitted(stateBatch, stagedState);
    this.state.markCommitted(ids);
    this.accounts.invalidate(stateBatch.values.map(([k]) => k));
    for (const id of ids) this.executed.delete(hex(id));
    // ShardState released every overlay that does not descend from the new tip: forget those blocks too.
    for (const [k, e] of [...this.executed])
      if (this.state.view(blockId(e.block)) === undefined) this.executed.delete(k);
    this.tipValue = tip;
    this.metrics?.committedBlocks.inc(undefined, ids.length);
    this.metrics?.committedTransactions.inc(undefined, txCount);
    this.metrics?.committedHeight.set(undefined, tip.height);
    this.metrics?.uncommittedBlocks.set(undefined, this.executed.size);
    if (this.mempool !== null && txCount > 0) {
      const committed = results.flatMap((r) =>
        r.transactions.map((t) => ({
          hash: t.hash,
          sender: t.sender,
          hashKey: t.hashKey,
          senderKey: t.senderKey,
        })),
      );
      this.mempool.onBlockCommitted(committed);
    }
    for (const l of this.listeners) {
      try {
        l(results, tip.commitQc);
      } catch (err) {
        this.log.error('commit listener failed', { err });
      }
    }
  }

  /** Resolves once every commit handed to the database so far is written and applied (the tip shows it). */
  flushed(): Promise<void> {
    return this.applied;
  }

  /** Resolves once every staged commit is written and applied, or a write failed (close() must not throw for it). */
  private async settled(): Promise<void> {
    await this.applied.catch(() => undefined);
  }

  // ------------------------------------------------------------- recovery

  /**
   * Records for recovery (uncommitted blocks, the highest QC and TC) are
   * gathered into one write per event-loop turn: a round yields a block and
   * a QC, and one LevelDB write instead of two keeps the write queue (which
   * a commit waits behind) short. Not synced: a killed process loses nothing
   * the kernel has; a machine crash loses at most what recovery refetches.
   */
  private recoveryBatch(): WriteBatch {
    if (this.pendingRecovery === null) {
      const batch = this.store.db.batch();
      this.pendingRecovery = batch;
      setImmediate(() => {
        this.pendingRecovery = null;
        this.recoveryWrite = batch
          .commit()
          .catch((err: unknown) => this.log.warn('cannot persist recovery records', { err }));
      });
    }
    return this.pendingRecovery;
  }

  /** Persists a block that joined the engine's tree (engine event 'block'), for recovery after a restart. */
  persistUncommitted(block: Block): void {
    if (this.closed || block.height <= this.tipValue.height) return;
    const id = blockId(block);
    const key = hex(id);
    if (this.persisted.has(key)) return;
    this.persisted.set(key, block.height);
    this.recoveryBatch().put(this.store.uncommitted, id, block);
  }

  /** Persists the highest QC (engine event 'qc'). */
  persistHighQc(qc: QuorumCert): void {
    if (this.closed) return;
    this.recoveryBatch().put(this.store.meta, HIGH_QC_KEY, encode(QuorumCertCodec, qc));
  }

  /** Persists the highest TC (engine event 'tc'). */
  persistHighTc(tc: TimeoutCert): void {
    if (this.closed) return;
    this.recoveryBatch().put(this.store.meta, HIGH_TC_KEY, encode(TimeoutCertCodec, tc));
  }

  /**
   * What the engine needs to resume (its `recovery` option): the committed
   * tip with its commit certificate, the persisted uncommitted blocks above
   * it (the engine re-executes them through execute()), and the highest QC
   * and TC seen. Records that do not decode are reported as CORRUPT rather
   * than silently dropped.
   */
  async recovery(): Promise<EngineRecovery> {
    const tip = this.tipValue;
    const all = await this.store.listUncommitted();
    const blocks: Block[] = [];
    for (const b of all) {
      const k = hex(blockId(b));
      this.persisted.set(k, b.height);
      if (b.height > tip.height) blocks.push(b);
    }
    const qcBytes = this.store.meta.getSync(HIGH_QC_KEY);
    const tcBytes = this.store.meta.getSync(HIGH_TC_KEY);
    let highQc: QuorumCert | undefined;
    let highTc: TimeoutCert | null = null;
    try {
      if (qcBytes !== null) highQc = decode(QuorumCertCodec, qcBytes);
      if (tcBytes !== null) highTc = decode(TimeoutCertCodec, tcBytes);
    } catch (err) {
      throw new ChainError('CORRUPT', 'the stored high QC or TC does not decode', {}, { cause: err });
    }
    // A QC or TC below the committed root adds nothing (and a QC naming a pruned block cannot be used).
    if (highQc !== undefined && highQc.voteData.block.round <= tip.block.round) highQc = undefined;
    if (highTc !== null && highTc.round <= tip.block.round) highTc = null;
    this.log.info('recovery loaded', {
      committedHeight: tip.height,
      uncommitted: blocks.length,
      highQcRound: highQc?.voteData.block.round ?? null,
      highTcRound: highTc?.round ?? null,
    });
    return {
      root: tip.block,
      rootCommitQc: tip.commitQc,
      blocks,
      ...(highQc !== undefined ? { highQc } : {}),
      highTc,
    };
  }

  /** Refuses further state changes; waits for the one in progress (the database is closed after this). */
  async close(): Promise<void> {
    const last = this.lock;
    this.closed = true;
    await last;
    await this.settled();
    // The recovery records of the last turn, then their write.
    if (this.pendingRecovery !== null) await new Promise<void>((resolve) => setImmediate(resolve));
    await this.recoveryWrite;
  }
}

function fromHexKey(k: string): Uint8Array {
  return new Uint8Array(Buffer.from(k, 'hex'));
}
