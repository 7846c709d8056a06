/**
 * The Merkle tree of hotshard (DESIGN.md, Encoding and hashing): RFC 6962 /
 * RFC 9162 Merkle Tree Hash over SHA-256.
 *
 * - leaf hash  = SHA-256(0x00 || leaf bytes)
 * - inner node = SHA-256(0x01 || left || right)
 * - n > 1 leaves split at k, the largest power of two below n; the last leaf
 *   is never duplicated.
 * - the empty tree's root is SHA-256 of the empty string (RFC 6962), which
 *   the bridge contract refuses as a root.
 *
 * An inclusion proof is the RFC 9162 audit path; verifying it needs the leaf
 * index and the tree size, so a proof of the wrong length never verifies.
 * bridge/contracts/MerkleProof (Solidity) implements the same verification
 * and passes the same vectors (test/vectors/merkle-rfc6962.json).
 */
import { MerkleError } from './errors.js';
import { equalBytes } from './bytes.js';
import { sha256 } from './hash.js';

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

export function hashLeaf(leaf: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, leaf);
}

export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

export const EMPTY_ROOT = sha256(new Uint8Array(0));

/** Largest power of two strictly below n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Root over already-hashed leaves. */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  // Bottom-up with RFC 6962 shape: pair left to right, carry an odd last node up unchanged.
  let level = leafHashes.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashNode(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** Merkle Tree Hash of raw leaves. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  return rootFromLeafHashes(leaves.map(hashLeaf));
}

/** The RFC 9162 audit path for leaf `index` in a tree of the given leaf hashes. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  if (leafHashes.length === 0) throw new MerkleError('EMPTY_TREE', 'no proof in an empty tree');
  if (!Number.isInteger(index) || index < 0 || index >= leafHashes.length) {
    throw new MerkleError('INDEX_OUT_OF_RANGE', `leaf ${index} is not in a tree of ${leafHashes.length}`);
  }
  const path: Uint8Array[] = [];
  const walk = (lo: number, hi: number, m: number): void => {
    const n = hi - lo;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(lo, lo + k, m);
      path.push(rootFromLeafHashes(leafHashes.slice(lo + k, hi)));
    } else {
      walk(lo + k, hi, m - k);
      path.push(rootFromLeafHashes(leafHashes.slice(lo, lo + k)));
    }
  };
  walk(0, leafHashes.length, index);
  return path;
}

/** Recomputes the root from a leaf hash and its audit path (RFC 9162, 2.1.3.2); null when the path is malformed. */
export function rootFromProof(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array | null {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = hashNode(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashNode(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(
  root: Uint8Array,
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): boolean {
  const r = rootFromProof(leafHash, index, size, proof);
  return r !== null && equalBytes(r, root);
}
