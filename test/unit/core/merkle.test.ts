import t from 'tap';
import fc from 'fast-check';
import {
  EMPTY_ROOT,
  hashLeaf,
  hashNode,
  inclusionProof,
  merkleRoot,
  rootFromLeafHashes,
  verifyInclusion,
} from '../../../core/merkle.js';
import { sha256 } from '../../../core/hash.js';
import { toHex } from '../../../core/bytes.js';
import {
  RFC6962_PUBLISHED_ROOTS_HEX,
  RFC6962_REFERENCE_LEAVES_HEX,
} from '../../support/rfc6962-published-roots.js';

/** RFC 6962 section 2.1 MTH, written recursively as the RFC states it, to check the iterative version. */
function mthReference(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return hashLeaf(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashNode(mthReference(leaves.slice(0, k)), mthReference(leaves.slice(k)));
}

const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => new Uint8Array([i, i * 7 + 1]));

t.test('RFC 6962 test vectors (certificate-transparency-go merkle tree)', async (t) => {
  // The 8 leaves and roots of the RFC 6962 reference tests.
  const hexLeaves = RFC6962_REFERENCE_LEAVES_HEX;
  const roots = RFC6962_PUBLISHED_ROOTS_HEX;
  const leaves = hexLeaves.map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
  for (let n = 1; n <= 8; n++) t.equal(toHex(merkleRoot(leaves.slice(0, n))), roots[n - 1], `root of ${n}`);
  t.equal(toHex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

t.test('iterative root equals the recursive RFC definition; the last leaf is never duplicated', async (t) => {
  for (let n = 0; n <= 40; n++)
    t.equal(toHex(merkleRoot(leavesOf(n))), toHex(mthReference(leavesOf(n))), `n=${n}`);
  const three = leavesOf(3);
  const dup = [...three, three[2]!];
  t.not(toHex(merkleRoot(three)), toHex(merkleRoot(dup)));
});

t.test('every proof of every leaf verifies for sizes 1..40, and fails when altered', async (t) => {
  for (let n = 1; n <= 40; n++) {
    const hashes = leavesOf(n).map(hashLeaf);
    const root = rootFromLeafHashes(hashes);
    for (let i = 0; i < n; i++) {
      const proof = inclusionProof(hashes, i);
      if (!verifyInclusion(root, hashes[i]!, i, n, proof)) t.fail(`n=${n} i=${i}`);
      if (proof.length > 0) {
        if (verifyInclusion(root, hashes[i]!, i, n, proof.slice(0, -1))) t.fail(`short proof n=${n} i=${i}`);
        if (verifyInclusion(root, hashes[i]!, i, n, [...proof, proof[0]!]))
          t.fail(`long proof n=${n} i=${i}`);
      }
      if (n > 1 && verifyInclusion(root, hashes[(i + 1) % n]!, i, n, proof))
        t.fail(`other leaf n=${n} i=${i}`);
      // The size is part of what a proof is checked against (the checkpoint commits it): a wrong index fails.
      if (n > 1 && verifyInclusion(root, hashes[i]!, (i + 1) % n, n, proof))
        t.fail(`wrong index n=${n} i=${i}`);
    }
  }
  t.pass('all proofs checked');
});

t.test('leaf and node hashes are domain separated', async (t) => {
  const a = hashLeaf(new Uint8Array([1]));
  const b = hashLeaf(new Uint8Array([2]));
  const node = hashNode(a, b);
  // A 64-byte "leaf" equal to a||b must not hash like the inner node.
  t.not(toHex(hashLeaf(new Uint8Array([...a, ...b]))), toHex(node));
});

t.test('bad indices are typed errors', async (t) => {
  t.throws(() => inclusionProof([], 0), { code: 'EMPTY_TREE' });
  t.throws(() => inclusionProof([hashLeaf(new Uint8Array([1]))], 1), { code: 'INDEX_OUT_OF_RANGE' });
  t.notOk(verifyInclusion(EMPTY_ROOT, EMPTY_ROOT, 0, 0, []));
});

t.test('property: random trees, random leaf, proof verifies', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 70 }),
      fc.nat(),
      (leaves, k) => {
        const hashes = leaves.map(hashLeaf);
        const i = k % leaves.length;
        return verifyInclusion(merkleRoot(leaves), hashes[i]!, i, leaves.length, inclusionProof(hashes, i));
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});
