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
 */
import type { Hash32 } from '../../core/hash.js';
import { makeRoom } from '../../core/bounded-map.js';
import type { ChainStore } from '../storage/chain-store.js';
import type { StateBatch, StateStore } from '../../shards/state.js';
import { CachedNodeReader, byteKey } from '../../shards/smt/node.js';
import { RecentCommitNodes } from './recent-nodes.js';

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

export class LevelStateStore implements StateStore {
  /** The last commits' new nodes. */
  private readonly recent: RecentCommitNodes;
  /** Older nodes, as read from LevelDB. */
  private readonly nodes: CachedNodeReader;
  /** Absent values are cached as null: a transfer to a new account reads it once. */
  private readonly values = new Map<string, Uint8Array | null>();

  constructor(
    private readonly store: ChainStore,
    private readonly valueCapacity = DEFAULT_VALUE_CACHE,
    nodeCapacity = DEFAULT_NODE_CACHE,
    readNodeCapacity = DEFAULT_READ_NODE_CACHE,
  ) {
    this.recent = new RecentCommitNodes(nodeCapacity);
    this.nodes = new CachedNodeReader(
      { getNode: (h) => store.stateNodes.getSync(h) ?? undefined },
      readNodeCapacity,
    );
  }

  getNode(hash: Hash32): Uint8Array | undefined {
    const k = byteKey(hash);
    return this.recent.get(k) ?? this.nodes.getNodeByKey(hash, k);
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
  applyCommitted(batch: StateBatch): void {
    for (const [key, value] of batch.values) {
      const k = byteKey(key);
      if (this.values.has(k)) this.values.set(k, value);
      else this.remember(k, value);
    }
    this.recent.add(batch.nodes);
  }

  private remember(k: string, v: Uint8Array | null): void {
    makeRoom(this.values, this.valueCapacity);
    this.values.set(k, v);
  }
}
