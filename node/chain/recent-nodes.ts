/**
 * The state tree nodes of the last commits, kept as the maps the tree's
 * updates built (node hash's byteKey -> node bytes): a commit hands its map
 * over whole, and the oldest map goes when the total passes the capacity.
 *
 * Why not one bounded Map: copying every new node of a commit into a large
 * long-lived Map cost about 0.8 µs a node (measured with young keys and
 * values, as a commit's are: each insertion records an old-to-new pointer
 * for the scavenger, and evictions force the table to be rehashed), against
 * 0.15 µs for the same insertions of old objects. At blocks of 100 transfers
 * (7 to 9 new nodes a transfer) that copy was two fifths of a commit's
 * main-thread time (bench/pipeline.ts, docs/benchmark.md). A read now probes
 * the maps newest first: the upper levels, which every block reads, are in
 * the newest one.
 */

/** Most maps kept, whatever their sizes: a read that misses probes each of them. */
export const MAX_RECENT_COMMITS = 16;

/** The node under `key` in the newest of `maps` (oldest first) that holds it. */
export function newestWith(
  maps: readonly ReadonlyMap<string, Uint8Array>[],
  key: string,
): Uint8Array | undefined {
  for (let i = maps.length - 1; i >= 0; i--) {
    const bytes = maps[i]!.get(key);
    if (bytes !== undefined) return bytes;
  }
  return undefined;
}

export class RecentCommitNodes {
  /** Oldest first. Never mutated: a commit's map is read-only once committed. */
  private readonly commits: ReadonlyMap<string, Uint8Array>[] = [];
  private count = 0;

  /** @param capacity nodes kept at most, over all maps. */
  constructor(private readonly capacity: number) {}

  /** Nodes held. */
  get size(): number {
    return this.count;
  }

  /** The node under `key` (byteKey of its hash), if a recent commit wrote it. */
  get(key: string): Uint8Array | undefined {
    return newestWith(this.commits, key);
  }

  /**
   * Keeps a committed batch's nodes (it must not change afterwards). A batch
   * larger than the capacity (a sync commit of many blocks) is not kept:
   * its nodes are read back from the database when asked for.
   */
  add(nodes: ReadonlyMap<string, Uint8Array>): void {
    if (nodes.size === 0 || nodes.size > this.capacity) return;
    this.commits.push(nodes);
    this.count += nodes.size;
    while (this.count > this.capacity || this.commits.length > MAX_RECENT_COMMITS) {
      this.count -= this.commits.shift()!.size;
    }
  }
}
