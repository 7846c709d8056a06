/**
 * The shard's committed state on the node database (shards/ StateStore):
 * tree nodes in Bucket.stateNode (content-addressed, never overwritten) and
 * the latest committed value of each state key in Bucket.accountIndex.
 *
 * Reads are synchronous (`getSync`, ~3 µs, against ~100 µs for an awaited
 * get: TOOLCHAIN.md), so execution runs without a single await. Two bounded
 * caches sit in front, evicting the oldest insertions first (a hit does not
 * move its entry: that cost two more map operations on every read, and the
 * entries read most, the tree's upper nodes and the active accounts, are
 * rewritten, so re-inserted, by every commit that touches them):
 * - tree nodes (never stale: a hash names one node forever); the top levels,
 *   read by every block, stay cached;
 * - values, updated in place when a commit is written (write-through), so a
 *   cached value is always the committed one.
 */
import type { Hash32 } from '../../core/hash.js';
import { makeRoom } from '../../core/bounded-map.js';
import type { ChainStore } from '../storage/chain-store.js';
import type { StateBatch, StateStore } from '../../shards/state.js';
import { CachedNodeReader, byteKey } from '../../shards/smt/node.js';

/**
 * 32,768 nodes of 65 bytes plus map and buffer overhead is about 8 MB: the
 * upper 14 levels of a tree of millions of accounts (the levels every block
 * reads), or the whole tree of the last commits of a small state, within the
 * 300 MB budget of a validator. Measured: at 200,000 the cache alone held
 * about 40 MB of a validator's heap under the benchmark, as every commit
 * brings new nodes; deeper nodes cost one LevelDB read (~3 µs) each.
 */
export const DEFAULT_NODE_CACHE = 32_768;
/** Accounts touched recently (a block's senders and recipients, many times over). About 10 MB. */
export const DEFAULT_VALUE_CACHE = 50_000;

export class LevelStateStore implements StateStore {
  private readonly nodes: CachedNodeReader;
  /** Absent values are cached as null: a transfer to a new account reads it once. */
  private readonly values = new Map<string, Uint8Array | null>();

  constructor(
    private readonly store: ChainStore,
    private readonly valueCapacity = DEFAULT_VALUE_CACHE,
    nodeCapacity = DEFAULT_NODE_CACHE,
  ) {
    this.nodes = new CachedNodeReader(
      { getNode: (h) => store.stateNodes.getSync(h) ?? undefined },
      nodeCapacity,
    );
  }

  getNode(hash: Hash32): Uint8Array | undefined {
    return this.nodes.getNode(hash);
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
   * shards/account.ts skip decoding them again).
   */
  applyCommitted(batch: StateBatch): void {
    for (const [key, value] of batch.values) {
      const k = byteKey(key);
      if (this.values.has(k)) this.values.set(k, value);
      else this.remember(k, value);
    }
    for (const [hash, bytes] of batch.nodes) this.nodes.remember(hash, bytes);
  }

  private remember(k: string, v: Uint8Array | null): void {
    makeRoom(this.values, this.valueCapacity);
    this.values.set(k, v);
  }
}
