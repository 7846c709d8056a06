/**
 * Hashing of the state tree (docs/state-tree.md).
 *
 * - empty subtree: 32 zero bytes (SMT_EMPTY), never a hash of anything
 * - leaf:          taggedHash('hotshard/state-leaf/v1', key || valueHash)
 * - inner node:    taggedHash('hotshard/state-node/v1', left || right)
 *
 * These are exactly core's `taggedHash` (SHA-256 of `len(tag) || tag || data`);
 * the tag prefix and the two 32-byte halves are written into one buffer so that
 * node:crypto's one-shot hash runs once per node (about three times faster than
 * a streaming hash of three parts, and the tree hashes tens of thousands of
 * nodes per block). A unit test pins the equality with `taggedHash`.
 */
import { Tags, domainPrefix, sha256, type Hash32 } from '../../core/hash.js';
import { SmtError } from '../errors.js';

export const SMT_HASH_LENGTH = 32;

/** The hash of an empty subtree: a constant no node or leaf hashes to (with overwhelming probability). */
export const SMT_EMPTY: Hash32 = new Uint8Array(SMT_HASH_LENGTH);

const LEAF_PREFIX = domainPrefix(Tags.stateLeaf);
const NODE_PREFIX = domainPrefix(Tags.stateNode);

// One scratch buffer per tag: hashing is synchronous, so no call can interleave.
const LEAF_SCRATCH = new Uint8Array(LEAF_PREFIX.length + 64);
LEAF_SCRATCH.set(LEAF_PREFIX, 0);
const NODE_SCRATCH = new Uint8Array(NODE_PREFIX.length + 64);
NODE_SCRATCH.set(NODE_PREFIX, 0);

function tagged3(scratch: Uint8Array, prefixLength: number, a: Uint8Array, b: Uint8Array): Hash32 {
  if (a.length !== SMT_HASH_LENGTH || b.length !== SMT_HASH_LENGTH) {
    throw new SmtError(
      'BAD_KEY',
      `state tree hashes take two ${SMT_HASH_LENGTH}-byte inputs, got ${a.length} and ${b.length}`,
    );
  }
  scratch.set(a, prefixLength);
  scratch.set(b, prefixLength + 32);
  return sha256(scratch);
}

/** Hash of a leaf holding `key` with a value whose hash is `valueHash`. */
export function smtLeafHash(key: Hash32, valueHash: Hash32): Hash32 {
  return tagged3(LEAF_SCRATCH, LEAF_PREFIX.length, key, valueHash);
}

/** Hash of an inner node from its children's hashes. */
export function smtNodeHash(left: Hash32, right: Hash32): Hash32 {
  return tagged3(NODE_SCRATCH, NODE_PREFIX.length, left, right);
}

export function isEmptyHash(h: Hash32): boolean {
  for (let i = 0; i < SMT_HASH_LENGTH; i++) if (h[i] !== 0) return false;
  return true;
}

/** Bit `depth` of `key`, most significant bit of byte 0 first (depth 0 is the root's branch). */
export function keyBit(key: Uint8Array, depth: number): number {
  return (key[depth >> 3]! >> (7 - (depth & 7))) & 1;
}
