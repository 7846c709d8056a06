/**
 * The sparse Merkle tree of the shard state (docs/state-tree.md).
 *
 * A binary tree over 256-bit keys, compacted as in Aptos's Jellyfish Merkle
 * tree: a subtree holding one leaf is that leaf, placed at the shortest prefix
 * of its key that no other key shares; a subtree holding nothing is the
 * constant SMT_EMPTY. So the root of a set S of (key, valueHash) at depth d is
 *
 *   root(S, d) = SMT_EMPTY                                  if S is empty
 *              = smtLeafHash(key, valueHash)                 if S = {(key, valueHash)}
 *              = smtNodeHash(root(S0, d+1), root(S1, d+1))   otherwise,
 *
 * where S0 / S1 hold the keys whose bit d is 0 / 1. The root depends only on
 * the set, never on the order of updates.
 *
 * The tree object holds no version: every method takes the root to work on,
 * and `update` returns the new root with the nodes it created (content
 * addressed, so older versions stay intact and readable).
 */
import { compareBytes } from '../../core/bytes.js';
import type { Hash32 } from '../../core/hash.js';
import { SmtError } from '../errors.js';
import { SMT_EMPTY, SMT_HASH_LENGTH, isEmptyHash, keyBit, smtLeafHash, smtNodeHash } from './hash.js';
import {
  NODE_TYPE_LEAF,
  byteKey,
  decodeNode,
  encodeInnerNode,
  encodeLeafNode,
  type DecodedNode,
  type NodeReader,
} from './node.js';
import type { SmtProof } from './proof.js';

/** One change of a batch: set `key` to a value whose hash is `valueHash`, or delete it (null). */
export interface SmtChange {
  readonly key: Hash32;
  readonly valueHash: Hash32 | null;
}

/** Nodes created by an update, by `byteKey(hash)`, as their stored bytes. */
export type SmtNodeWrites = Map<string, Uint8Array>;

export interface SmtUpdateResult {
  readonly root: Hash32;
  readonly nodes: SmtNodeWrites;
}

export interface SmtLeaf {
  readonly key: Hash32;
  readonly valueHash: Hash32;
}

const KIND_EMPTY = 0;
const KIND_LEAF = 1;
const KIND_INNER = 2;
const KIND_UNKNOWN = 3; // an unchanged child: its kind is read only when the parent needs it
interface Sub {
  readonly hash: Hash32;
  readonly kind: number;
}
const EMPTY_SUB: Sub = { hash: SMT_EMPTY, kind: KIND_EMPTY };

/** The key of a leaf: 32 bytes (in the state, the tagged hash of an address or another state id). */
function checkKey(key: unknown, what: string): asserts key is Hash32 {
  if (!(key instanceof Uint8Array) || key.length !== SMT_HASH_LENGTH) {
    throw new SmtError('BAD_KEY', `${what} must be ${SMT_HASH_LENGTH} bytes`);
  }
}

export class SparseMerkleTree {
  constructor(private readonly reader: NodeReader) {}

  private read(hash: Hash32): DecodedNode {
    const bytes = this.reader.getNode(hash);
    if (bytes === undefined) {
      throw new SmtError(
        'MISSING_NODE',
        `state tree node ${Buffer.from(hash).toString('hex')} is not in storage`,
        {
          hash: Buffer.from(hash).toString('hex'),
        },
      );
    }
    return decodeNode(bytes, hash);
  }

  /** The value hash stored under `key` in the tree with root `root`, or null when absent. */
  get(root: Hash32, key: Hash32): Hash32 | null {
    checkKey(key, 'key');
    let h = root;
    for (let depth = 0; ; depth++) {
      if (isEmptyHash(h)) return null;
      const node = this.read(h);
      if (node.type === NODE_TYPE_LEAF)
        return compareBytes(node.key, key) === 0 ? new Uint8Array(node.valueHash) : null;
      h = keyBit(key, depth) === 1 ? node.right : node.left;
    }
  }

  /**
   * A proof for `key` against `root`: the siblings on the path from the root
   * down to where `key` is or would be, and the leaf found there (the key's
   * own leaf for inclusion; another key's leaf or nothing for non-inclusion).
   */
  prove(root: Hash32, key: Hash32): SmtProof {
    checkKey(key, 'key');
    const siblings: Hash32[] = [];
    let h = root;
    for (let depth = 0; ; depth++) {
      if (isEmptyHash(h)) return { siblings, leaf: null };
      const node = this.read(h);
      if (node.type === NODE_TYPE_LEAF) {
        return {
          siblings,
          leaf: { key: new Uint8Array(node.key), valueHash: new Uint8Array(node.valueHash) },
        };
      }
      if (keyBit(key, depth) === 1) {
        siblings.push(new Uint8Array(node.left));
        h = node.right;
      } else {
        siblings.push(new Uint8Array(node.right));
        h = node.left;
      }
    }
  }

  /** Every leaf of the tree with root `root`, in key order. */
  *leaves(root: Hash32): Generator<SmtLeaf> {
    if (isEmptyHash(root)) return;
    const node = this.read(root);
    if (node.type === NODE_TYPE_LEAF) {
      yield { key: new Uint8Array(node.key), valueHash: new Uint8Array(node.valueHash) };
      return;
    }
    yield* this.leaves(node.left);
    yield* this.leaves(node.right);
  }

  /**
   * Applies a batch of changes to the tree with root `root` and returns the
   * new root with the nodes created. Keys must be distinct. Deleting an
   * absent key changes nothing. Nothing is written to storage: the caller
   * keeps the nodes in an overlay and later writes them in one batch.
   */
  update(root: Hash32, changes: Iterable<SmtChange>): SmtUpdateResult {
    const sorted: SmtChange[] = [];
    for (const c of changes) {
      checkKey(c.key, 'key');
      if (c.valueHash !== null) checkKey(c.valueHash, 'valueHash');
      sorted.push(c);
    }
    sorted.sort((a, b) => compareBytes(a.key, b.key));
    for (let i = 1; i < sorted.length; i++) {
      if (compareBytes(sorted[i - 1]!.key, sorted[i]!.key) === 0) {
        throw new SmtError(
          'DUPLICATE_KEY',
          `key ${Buffer.from(sorted[i]!.key).toString('hex')} appears twice in one batch`,
        );
      }
    }
    const keys = sorted.map((c) => c.key);
    const vals = sorted.map((c) => c.valueHash);
    const nodes: SmtNodeWrites = new Map();
    if (keys.length === 0) return { root, nodes };
    const out = new Updater(nodes, (h) => this.read(h));
    return { root: out.update(root, 0, keys, vals, 0, keys.length).hash, nodes };
  }
}

/** One batch update in progress: the recursive descent and the nodes it creates. */
class Updater {
  constructor(
    private readonly nodes: SmtNodeWrites,
    private readonly read: (h: Hash32) => DecodedNode,
  ) {}

  /** New subtree for the node `hash` at `depth` with the changes [lo, hi) (all under this node's prefix). */
  update(hash: Hash32, depth: number, keys: Hash32[], vals: (Hash32 | null)[], lo: number, hi: number): Sub {
    if (isEmptyHash(hash)) {
      const k: Hash32[] = [];
      const v: Hash32[] = [];
      for (let i = lo; i < hi; i++) {
        if (vals[i] !== null) {
          k.push(keys[i]!);
          v.push(vals[i]!);
        }
      }
      return this.build(depth, k, v, 0, k.length);
    }
    const node = this.read(hash);
    if (node.type === NODE_TYPE_LEAF)
      return this.mergeIntoLeaf(hash, node.key, node.valueHash, depth, keys, vals, lo, hi);
    const mid = splitPoint(keys, lo, hi, depth);
    const left =
      lo < mid
        ? this.update(node.left, depth + 1, keys, vals, lo, mid)
        : { hash: node.left, kind: KIND_UNKNOWN };
    const right =
      mid < hi
        ? this.update(node.right, depth + 1, keys, vals, mid, hi)
        : { hash: node.right, kind: KIND_UNKNOWN };
    return this.combine(left, right);
  }

  /** An existing leaf meets changes under its position: merge them and rebuild the subtree. */
  private mergeIntoLeaf(
    hash: Hash32,
    leafKey: Hash32,
    leafValue: Hash32,
    depth: number,
    keys: Hash32[],
    vals: (Hash32 | null)[],
    lo: number,
    hi: number,
  ): Sub {
    const k: Hash32[] = [];
    const v: Hash32[] = [];
    let placed = false;
    let changed = false;
    for (let i = lo; i < hi; i++) {
      const c = compareBytes(keys[i]!, leafKey);
      if (!placed && c > 0) {
        k.push(leafKey);
        v.push(leafValue);
        placed = true;
      }
      if (c === 0) {
        placed = true; // the change replaces (or deletes) the existing leaf
        changed = true;
      }
      if (vals[i] !== null) {
        k.push(keys[i]!);
        v.push(vals[i]!);
        changed = true;
      }
    }
    if (!placed) {
      k.push(leafKey);
      v.push(leafValue);
    }
    if (!changed) return { hash, kind: KIND_LEAF }; // only deletions of absent keys
    return this.build(depth, k, v, 0, k.length);
  }

  /** The subtree of the sorted, distinct leaves [lo, hi) at `depth`, built from nothing. */
  private build(depth: number, keys: Hash32[], vals: Hash32[], lo: number, hi: number): Sub {
    const n = hi - lo;
    if (n === 0) return EMPTY_SUB;
    if (n === 1) {
      const h = smtLeafHash(keys[lo]!, vals[lo]!);
      this.nodes.set(byteKey(h), encodeLeafNode(keys[lo]!, vals[lo]!));
      return { hash: h, kind: KIND_LEAF };
    }
    const mid = splitPoint(keys, lo, hi, depth);
    const left = this.build(depth + 1, keys, vals, lo, mid);
    const right = this.build(depth + 1, keys, vals, mid, hi);
    return this.inner(left.hash, right.hash);
  }

  private inner(left: Hash32, right: Hash32): Sub {
    const h = smtNodeHash(left, right);
    this.nodes.set(byteKey(h), encodeInnerNode(left, right));
    return { hash: h, kind: KIND_INNER };
  }

  private kindOf(s: Sub): number {
    if (s.kind !== KIND_UNKNOWN) return s.kind;
    if (isEmptyHash(s.hash)) return KIND_EMPTY;
    return this.read(s.hash).type === NODE_TYPE_LEAF ? KIND_LEAF : KIND_INNER;
  }

  /** A parent of two subtrees, compacted: nothing beside a lone leaf lifts the leaf up. */
  private combine(left: Sub, right: Sub): Sub {
    const leftEmpty = left.kind === KIND_EMPTY || (left.kind === KIND_UNKNOWN && isEmptyHash(left.hash));
    const rightEmpty = right.kind === KIND_EMPTY || (right.kind === KIND_UNKNOWN && isEmptyHash(right.hash));
    if (leftEmpty && rightEmpty) return EMPTY_SUB;
    if (leftEmpty && this.kindOf(right) === KIND_LEAF) return { hash: right.hash, kind: KIND_LEAF };
    if (rightEmpty && this.kindOf(left) === KIND_LEAF) return { hash: left.hash, kind: KIND_LEAF };
    return this.inner(left.hash, right.hash);
  }
}

/** First index in [lo, hi) whose key has bit `depth` set (keys are sorted and share the bits above). */
function splitPoint(keys: Hash32[], lo: number, hi: number, depth: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (keyBit(keys[m]!, depth) === 1) b = m;
    else a = m + 1;
  }
  return a;
}
