/**
 * Committed state tree nodes not yet written to the database.
 *
 * Every block rewrites the upper levels of the paths it touches: at blocks
 * of 100 transfers that is about 7 new nodes per transfer, most of them
 * replaced by the next block's. Writing every commit's nodes made them two
 * thirds of a commit batch's operations, and LevelDB's compactions of them
 * (content-addressed keys, spread over the whole key space) about 7% of the
 * machine at half rate (docs/benchmark.md, Tenth session). So a commit's new
 * nodes wait here, and every few commits the nodes reachable from the newest
 * root are written in that commit's batch: a node replaced meanwhile is
 * never written. What the database lacks in between is rebuilt at start-up
 * from the state journal (tree-journal.ts).
 *
 * Invariant, for the writes that have landed: a node on disk has its
 * children on disk. A flush writes every unwritten node reachable from its
 * root, so the walk stops at the first node that is not held here.
 */
import type { Hash32 } from '../../core/hash.js';
import { byteKey } from '../../core/bytes.js';
import { isEmptyHash } from '../../shards/smt/hash.js';
import { NODE_TYPE_INNER } from '../../shards/smt/node.js';
import { newestWith } from './recent-nodes.js';

export class UnwrittenTreeNodes {
  /** The commits' own maps (never mutated), oldest first, and their sequence numbers. */
  private readonly maps: ReadonlyMap<string, Uint8Array>[] = [];
  private readonly seqs: number[] = [];
  private nextSeq = 1;
  private count = 0;

  /** Nodes held (a node written by two commits counts twice). */
  get size(): number {
    return this.count;
  }

  /** Commits whose nodes are held. */
  get commits(): number {
    return this.maps.length;
  }

  /** Holds a commit's new nodes until a flush that covers them has landed. Returns the commit's sequence number. */
  add(nodes: ReadonlyMap<string, Uint8Array>): number {
    const seq = this.nextSeq++;
    if (nodes.size > 0) {
      this.maps.push(nodes);
      this.seqs.push(seq);
      this.count += nodes.size;
    }
    return seq;
  }

  /** The node under `key` (byteKey of its hash), if held. */
  get(key: string): Uint8Array | undefined {
    return newestWith(this.maps, key);
  }

  /**
   * The held nodes reachable from `root`, by key: what a flush at `root`
   * writes. A node not held is on disk (or in a flush still being written,
   * which lands first), and so is everything below it.
   */
  reachable(root: Hash32): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    if (isEmptyHash(root)) return out;
    const stack = [byteKey(root)];
    while (stack.length > 0) {
      const key = stack.pop()!;
      if (out.has(key)) continue;
      const bytes = this.get(key);
      if (bytes === undefined) continue;
      out.set(key, bytes);
      if (bytes[0] === NODE_TYPE_INNER) {
        const left = bytes.subarray(1, 33);
        const right = bytes.subarray(33, 65);
        if (!isEmptyHash(left)) stack.push(byteKey(left));
        if (!isEmptyHash(right)) stack.push(byteKey(right));
      }
    }
    return out;
  }

  /** A flush covering every commit up to sequence `seq` has landed: their nodes can be read from disk. */
  release(seq: number): void {
    while (this.seqs.length > 0 && this.seqs[0]! <= seq) {
      this.seqs.shift();
      this.count -= this.maps.shift()!.size;
    }
  }
}
