/**
 * The shard's committed state on the node database (shards/ StateStore):
 * tree nodes in Bucket.stateNode (content-addressed, never overwritten) and
 * the latest committed value of each state key in Bucket.accountIndex.
 *
 * Reads are synchronous (`getSync`, ~3 µs, against ~100 µs for an awaited
 * get: TOOLCHAIN.md), so execution runs without a single await. In front:
 * - tree nodes (never stale: a hash names one node forever): the maps of
 *   the last commits' new nodes (recent-nodes.ts), where the top levels,
 *   read by every block, always are; then a bounded cache of the nodes read
 *   from LevelDB;
 * - values, in a bounded cache updated in place when a commit is written
 *   (write-through), so a cached value is always the committed one.
 * The bounded caches evict their oldest insertions first (a hit does not
 * move its entry: that cost two more map operations on every read).
 *
 * Writes: a commit's values go to the database in its own batch; its tree
 * nodes wait in memory (unwritten-nodes.ts) until every `flushCommits`-th
 * commit, or `flushNodes` held nodes, writes those reachable from the newest
 * root. Commits in between journal the keys they changed (tree-journal.ts).
 */
import type { Hash32 } from '../../core/hash.js';
import { makeRoom } from '../../core/bounded-map.js';
import type { ChainStore } from '../storage/chain-store.js';
import type { StateBatch, StateStore } from '../../shards/state.js';
import { CachedNodeReader, byteKey } from '../../shards/smt/node.js';
import type { WriteBatch } from '../storage/write-batch.js';
import { RecentCommitNodes } from './recent-nodes.js';
import { UnwrittenTreeNodes } from './unwritten-nodes.js';
import { encodeJournalKeys } from './tree-journal.js';

/**
 * 32,768 nodes of 65 bytes plus map and buffer overhead is about 8 MB: the
 * upper 14 levels of a tree of millions of accounts (the levels every block
 * reads), or the whole tree of the last commits of a small state, within the
 * 300 MB budget of a validator. Measured: at 200,000 a single node cache
 * held about 40 MB of a validator's heap under the benchmark, as every
 * commit brings new nodes; deeper nodes cost one LevelDB read (~3 µs) each.
 */
export const DEFAULT_NODE_CACHE = 32_768;
/** Nodes read from LevelDB (older than the recent commits) kept for the next reads. */
export const DEFAULT_READ_NODE_CACHE = 8_192;
/** Accounts touched recently (a block's senders and recipients, many times over). About 10 MB. */
export const DEFAULT_VALUE_CACHE = 50_000;
/**
 * Commits whose tree nodes wait in memory before one batch writes the newest
 * root's: at most 16 commits' keys to replay after a crash (a millisecond).
 */
export const DEFAULT_FLUSH_COMMITS = 16;
/** Held nodes that force a flush sooner (blocks of 2,000 transfers make 2,000 to 4,000 each): about 7 MB. */
export const DEFAULT_FLUSH_NODES = 50_000;

export interface StateStoreOptions {
  readonly valueCapacity?: number;
  readonly nodeCapacity?: number;
  readonly readNodeCapacity?: number;
  /** 1 writes every commit's nodes. */
  readonly flushCommits?: number;
  readonly flushNodes?: number;
}

/** What a staged commit did with its tree nodes, for applyCommitted. */
export interface StagedState {
  /** The commit's sequence number when its batch writes the tree (a flush), else null. */
  readonly flushedThrough: number | null;
}

export class LevelStateStore implements StateStore {
  /** The last commits' new nodes. */
  private readonly recent: RecentCommitNodes;
  /** Older nodes, as read from LevelDB. */
  private readonly nodes: CachedNodeReader;
  /** Committed nodes not yet on disk. */
  private readonly unwritten = new UnwrittenTreeNodes();
  /** Absent values are cached as null: a transfer to a new account reads it once. */
  private readonly values = new Map<string, Uint8Array | null>();
  private readonly valueCapacity: number;
  private readonly flushCommits: number;
  private readonly flushNodes: number;
  /** New nodes staged since the last flush was staged. */
  private nodesSinceFlush = 0;
  /** Heights journaled since the last flush was staged (one per commit): the flush deletes them. */
  private journaled: number[] = [];

  constructor(
    private readonly store: ChainStore,
    opts: StateStoreOptions = {},
  ) {
    this.valueCapacity = opts.valueCapacity ?? DEFAULT_VALUE_CACHE;
    this.flushCommits = opts.flushCommits ?? DEFAULT_FLUSH_COMMITS;
    this.flushNodes = opts.flushNodes ?? DEFAULT_FLUSH_NODES;
    this.recent = new RecentCommitNodes(opts.nodeCapacity ?? DEFAULT_NODE_CACHE);
    this.nodes = new CachedNodeReader(
      { getNode: (h) => store.stateNodes.getSync(h) ?? undefined },
      opts.readNodeCapacity ?? DEFAULT_READ_NODE_CACHE,
    );
  }

  getNode(hash: Hash32): Uint8Array | undefined {
    const k = byteKey(hash);
    return this.recent.get(k) ?? this.unwritten.get(k) ?? this.nodes.getNodeByKey(hash, k);
  }

  /**
   * Adds a commit's state to its batch: the values always; the tree nodes
   * reachable from its root when a flush is due, else the journal of the
   * keys it changed. `height` is the commit's last block's.
   */
  stageCommit(batch: WriteBatch, state: StateBatch, height: number): StagedState {
    const store = this.store;
    for (const [k, v] of state.values) {
      if (v === null) batch.del(store.accounts, k);
      else batch.put(store.accounts, k, v);
    }
    if (state.values.length === 0 && state.nodes.size === 0) return { flushedThrough: null }; // an empty block
    const seq = this.unwritten.add(state.nodes);
    this.nodesSinceFlush += state.nodes.size;
    // This commit and the journaled ones are the commits since the last flush.
    if (this.journaled.length + 1 < this.flushCommits && this.nodesSinceFlush < this.flushNodes) {
      batch.put(store.stateJournal, height, encodeJournalKeys(state.values.map(([k]) => k)));
      this.journaled.push(height);
      return { flushedThrough: null };
    }
    store.stageStateNodes(batch, this.unwritten.reachable(state.root));
    store.stageStateTreeHeight(batch, height);
    for (const h of this.journaled) batch.del(store.stateJournal, h);
    this.journaled = [];
    this.nodesSinceFlush = 0;
    return { flushedThrough: seq };
  }

  getValue(key: Hash32): Uint8Array | undefined {
    const k = byteKey(key);
    const cached = this.values.get(k);
    if (cached !== undefined) return cached ?? undefined;
    const v = this.store.accounts.getSync(key);
    this.remember(k, v);
    return v ?? undefined;
  }

  /**
   * Called once a commit batch is durably written: the caches now hold the
   * new committed values and tree nodes. They are what the next block and the
   * mempool's re-validation read first, so they go in rather than being read
   * back from LevelDB (and the values keep their identity, which lets
   * shards/account.ts skip decoding them again). The batch's node map is kept
   * as it is: it must not change afterwards (state.ts never mutates a
   * committed block's map).
   */
  applyCommitted(batch: StateBatch, staged: StagedState): void {
    for (const [key, value] of batch.values) {
      const k = byteKey(key);
      if (this.values.has(k)) this.values.set(k, value);
      else this.remember(k, value);
    }
    this.recent.add(batch.nodes);
    if (staged.flushedThrough !== null) this.unwritten.release(staged.flushedThrough);
  }

  private remember(k: string, v: Uint8Array | null): void {
    makeRoom(this.values, this.valueCapacity);
    this.values.set(k, v);
  }
}
