/**
 * Proofs of the state tree: inclusion (a key holds a value) and
 * non-inclusion (a key is absent) against a root (docs/state-tree.md, Proofs).
 *
 * A proof lists the siblings from the root down (siblings[d] is the sibling at
 * depth d) and the leaf found at the end of the key's path, if any. The
 * verifier recomputes the root from the bottom up with the bits of the key.
 */
import { bytes32, decode, encode, list, optional, struct } from '../../core/codec.js';
import { compareBytes, equalBytes } from '../../core/bytes.js';
import type { Hash32 } from '../../core/hash.js';
import { SMT_EMPTY, SMT_HASH_LENGTH, keyBit, smtLeafHash, smtNodeHash } from './hash.js';

/** Keys have 256 bits, so a path never has more than 256 siblings. */
export const SMT_MAX_DEPTH = 256;

export interface SmtProof {
  readonly siblings: readonly Hash32[];
  /** The leaf at the end of the path: the key's own (inclusion), another key's, or none (non-inclusion). */
  readonly leaf: { readonly key: Hash32; readonly valueHash: Hash32 } | null;
}

export const smtProofCodec = struct(
  'SmtProof',
  [
    ['siblings', list(bytes32, SMT_MAX_DEPTH)],
    [
      'leaf',
      optional(
        struct('SmtProofLeaf', [
          ['key', bytes32],
          ['valueHash', bytes32],
        ]),
      ),
    ],
  ],
  1,
);

export function encodeSmtProof(proof: SmtProof): Uint8Array {
  return encode(smtProofCodec, { siblings: [...proof.siblings], leaf: proof.leaf });
}

/** Decodes a proof; throws CodecError on anything non-canonical. */
export function decodeSmtProof(bytes: Uint8Array): SmtProof {
  return decode(smtProofCodec, bytes, 16 * 1024);
}

function is32(b: unknown): b is Uint8Array {
  return b instanceof Uint8Array && b.length === SMT_HASH_LENGTH;
}

/** True when `a` and `b` agree on their first `bits` bits. */
function sharePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) if (keyBit(a, i) !== keyBit(b, i)) return false;
  return true;
}

/**
 * Verifies `proof` against `root` for `key`: with a `valueHash`, that the key
 * holds that value; with null, that the key is absent. Never throws; any
 * malformed proof is false.
 */
export function verifySmtProof(
  root: Hash32,
  key: Hash32,
  valueHash: Hash32 | null,
  proof: SmtProof,
): boolean {
  if (!is32(root) || !is32(key) || (valueHash !== null && !is32(valueHash))) return false;
  if (typeof proof !== 'object' || proof === null || !Array.isArray(proof.siblings)) return false;
  const n = proof.siblings.length;
  if (n > SMT_MAX_DEPTH || !proof.siblings.every(is32)) return false;
  const leaf = proof.leaf;
  if (leaf !== null && (typeof leaf !== 'object' || !is32(leaf.key) || !is32(leaf.valueHash))) return false;

  let current: Hash32;
  if (valueHash !== null) {
    // Inclusion: the path ends at this key's leaf with this value.
    if (leaf === null || !equalBytes(leaf.key, key) || !equalBytes(leaf.valueHash, valueHash)) return false;
    current = smtLeafHash(key, valueHash);
  } else if (leaf === null) {
    // Non-inclusion: the path ends in an empty subtree.
    current = SMT_EMPTY;
  } else {
    // Non-inclusion: the path ends at another key's leaf, which occupies the
    // whole subtree on this key's prefix, so this key cannot be below it.
    if (compareBytes(leaf.key, key) === 0 || !sharePrefix(leaf.key, key, n)) return false;
    current = smtLeafHash(leaf.key, leaf.valueHash);
  }
  for (let depth = n - 1; depth >= 0; depth--) {
    const sibling = proof.siblings[depth]!;
    current = keyBit(key, depth) === 1 ? smtNodeHash(sibling, current) : smtNodeHash(current, sibling);
  }
  return equalBytes(current, root);
}
