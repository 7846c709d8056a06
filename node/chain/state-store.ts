/**
 * The shard's committed state on the node database (shards/ StateStore):
 * tree nodes in Bucket.stateNode (content-addressed, never overwritten) and
 * the latest committed value of each state key in Bucket.accountIndex.
 *
 * Reads are synchronous (`getSync`, ~3 µs, against ~100 µs for an awaited
 * get: TOOLCHAIN.md), so execution runs without a single await. Two bounded
 * caches sit in front:
 * - tree nodes (never stale: a hash names one node forever); the top levels,
 *   read by every block, stay cached;
 * - values, updated in place when a commit is written (write-through), so a
 *   cached value is always the committed one.
 */
import type { Hash32 } from '../../core/hash.js';
import type { ChainStore } from '../storage/chain-store.js';
import type { StateBatch, StateStore } from '../../shards/state.js';
import { CachedNodeReader, byteKey } from '../../shards/smt/node.js';

/**
 * 200,000 nodes of 65 bytes plus map overhead is about 40 MB: the upper
 * levels of a tree of millions of accounts, within the 300 MB budget of a
 * validator.
 */
export const DEFAULT_NODE_CACHE = 200_000;
/** Accounts touched recently (the active senders of a load test fit). About 20 MB. */
export const DEFAULT_VALUE_CACHE = 100_000;

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
    if (cached !== undefined) {
      this.values.delete(k);
      this.values.set(k, cached);
      return cached ?? undefined;
    }
    const v = this.store.accounts.getSync(key);
    this.remember(k, v);
    return v ?? undefined;
  }

  /** Called once a commit batch is durably written: the cache now shows the new committed values. */
  applyCommitted(batch: StateBatch): void {
    for (const [key, value] of batch.values) {
      const k = byteKey(key);
      if (this.values.has(k)) this.values.set(k, value);
    }
  }

  private remember(k: string, v: Uint8Array | null): void {
    if (this.values.size >= this.valueCapacity) this.values.delete(this.values.keys().next().value as string);
    this.values.set(k, v);
  }
}
