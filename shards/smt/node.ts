/**
 * Stored nodes of the state tree and the storage interface.
 *
 * Nodes are content-addressed: stored under their own hash, so a node, once
 * written, never changes, and an update writes new nodes beside the old ones.
 * Every committed version stays readable from its root, and an uncommitted
 * block's overlay cannot disturb its parent's (docs/state-tree.md, Storage).
 *
 * Storage layout of one node (65 bytes, not hashed as such):
 *   leaf:  0x00 || key (32) || valueHash (32)
 *   inner: 0x01 || left hash (32) || right hash (32)
 */
import { SmtError } from '../errors.js';
import type { Hash32 } from '../../core/hash.js';
import { makeRoom } from '../../core/bounded-map.js';

export const SMT_NODE_LENGTH = 65;
export const NODE_TYPE_LEAF = 0;
export const NODE_TYPE_INNER = 1;

/** Read access to stored nodes by hash. The empty hash is never stored. */
export interface NodeReader {
  /** The stored bytes of the node whose hash is `hash`, or undefined when absent. */
  getNode(hash: Hash32): Uint8Array | undefined;
}

/** A node store that also accepts writes (the in-memory store of tests and tools; the node writes batches to LevelDB). */
export interface NodeStore extends NodeReader {
  putNode(hash: Hash32, bytes: Uint8Array): void;
}

export type DecodedNode =
  | { readonly type: typeof NODE_TYPE_LEAF; readonly key: Hash32; readonly valueHash: Hash32 }
  | { readonly type: typeof NODE_TYPE_INNER; readonly left: Hash32; readonly right: Hash32 };

/** Nodes per slab: one 65 KB allocation. */
const NODES_PER_SLAB = 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

/**
 * A fresh, zeroed 65-byte array for a new node, cut from a shared slab.
 *
 * V8 keeps a typed array of at most 64 bytes on its own heap; a node is 65,
 * so `new Uint8Array(65)` costs a malloc, an ArrayBuffer object and a
 * backing store that the GC's array-buffer sweeper must track and free. A
 * block creates thousands of nodes and the node cache keeps tens of
 * thousands: views into 1,024-node slabs cost one of each per slab. A slab
 * lives while any of its nodes does; nodes are cached and evicted in
 * creation order, so a slab's nodes go together.
 */
function allocateNode(): Uint8Array {
  if (slabUsed + SMT_NODE_LENGTH > slab.length) {
    slab = new Uint8Array(SMT_NODE_LENGTH * NODES_PER_SLAB);
    slabUsed = 0;
  }
  const b = slab.subarray(slabUsed, slabUsed + SMT_NODE_LENGTH);
  slabUsed += SMT_NODE_LENGTH;
  return b;
}

export function encodeLeafNode(key: Hash32, valueHash: Hash32): Uint8Array {
  const b = allocateNode();
  b[0] = NODE_TYPE_LEAF;
  b.set(key, 1);
  b.set(valueHash, 33);
  return b;
}

export function encodeInnerNode(left: Hash32, right: Hash32): Uint8Array {
  const b = allocateNode();
  b[0] = NODE_TYPE_INNER;
  b.set(left, 1);
  b.set(right, 33);
  return b;
}

export function decodeNode(bytes: Uint8Array, hash?: Hash32): DecodedNode {
  if (bytes.length !== SMT_NODE_LENGTH || (bytes[0] !== NODE_TYPE_LEAF && bytes[0] !== NODE_TYPE_INNER)) {
    throw new SmtError(
      'BAD_NODE',
      `stored tree node is malformed (${bytes.length} bytes, type ${bytes[0]})`,
      {
        hash: hash === undefined ? undefined : Buffer.from(hash).toString('hex'),
      },
    );
  }
  const a = bytes.subarray(1, 33);
  const b = bytes.subarray(33, 65);
  return bytes[0] === NODE_TYPE_LEAF
    ? { type: NODE_TYPE_LEAF, key: a, valueHash: b }
    : { type: NODE_TYPE_INNER, left: a, right: b };
}

import { byteKey } from '../../core/bytes.js';

export { byteKey };

export function fromByteKey(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/** An in-memory node store. */
export class MemoryNodeStore implements NodeStore {
  private readonly nodes = new Map<string, Uint8Array>();

  getNode(hash: Hash32): Uint8Array | undefined {
    return this.nodes.get(byteKey(hash));
  }

  putNode(hash: Hash32, bytes: Uint8Array): void {
    this.nodes.set(byteKey(hash), bytes);
  }

  get size(): number {
    return this.nodes.size;
  }
}

/**
 * A bounded cache in front of a slower reader (LevelDB). Nodes never change
 * under a hash, so a cached node is never stale. The oldest insertions go
 * first and a hit does not move its entry (that cost two more map operations
 * on every read). The node keeps the last commits' new nodes in front of it
 * (node/chain/recent-nodes.ts): this cache holds what was read back.
 */
export class CachedNodeReader implements NodeReader {
  private readonly cache = new Map<string, Uint8Array>();

  constructor(
    private readonly inner: NodeReader,
    private readonly capacity = 1_000_000,
  ) {}

  getNode(hash: Hash32): Uint8Array | undefined {
    return this.getNodeByKey(hash, byteKey(hash));
  }

  /** `getNode` for a caller that already holds the hash's byteKey `k`. */
  getNodeByKey(hash: Hash32, k: string): Uint8Array | undefined {
    let v = this.cache.get(k);
    if (v !== undefined) return v;
    v = this.inner.getNode(hash);
    if (v !== undefined) this.put(k, v);
    return v;
  }

  private put(k: string, v: Uint8Array): void {
    makeRoom(this.cache, this.capacity);
    this.cache.set(k, v);
  }
}
