/**
 * core/merkle.ts against test/vectors/merkle-rfc6962.json (the Solidity side runs the same file in
 * test/e2e/bridge-merkle.test.ts), the generator reproducing the file, and the withdrawals tree built on it.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import {
  EMPTY_ROOT,
  hashLeaf,
  inclusionProof,
  merkleRoot,
  rootFromProof,
  verifyInclusion,
} from '../../../core/merkle.js';
import { generateMerkleVectors, MERKLE_VECTORS_PATH } from '../../support/gen-merkle-vectors.js';
import { encodeWithdrawalLeaf, WithdrawalTree, withdrawalLeafHash } from '../../../bridge/withdrawals.js';
import { EMPTY_WITHDRAWALS_ROOT } from '../../../bridge/checkpoint.js';
import { RFC6962_PUBLISHED_ROOTS_HEX } from '../../support/rfc6962-published-roots.js';

interface Vectors {
  emptyRoot: Hex;
  leaves: Hex[];
  leafHashes: Hex[];
  trees: { size: number; root: Hex; proofs: { index: number; path: Hex[] }[] }[];
}
const text = readFileSync(MERKLE_VECTORS_PATH, 'utf8');
const v = JSON.parse(text) as Vectors;
const bytes = (h: Hex) => hexToBytes(h);

t.test('the committed vectors are what the generator makes from core/merkle.ts', async (t) => {
  t.equal(JSON.stringify(generateMerkleVectors(), null, 1) + '\n', text);
});

t.test('roots of the RFC 6962 reference leaves are the published ones', async (t) => {
  const published = RFC6962_PUBLISHED_ROOTS_HEX;
  for (let n = 1; n <= 8; n++) t.equal(v.trees[n - 1]!.root, `0x${published[n - 1]}`, `size ${n}`);
  t.equal(v.emptyRoot, bytesToHex(EMPTY_ROOT));
  t.equal(v.emptyRoot, EMPTY_WITHDRAWALS_ROOT, 'the bridge refuses the same empty root');
});

t.test('core/ agrees with every root and proof of sizes 1..17', async (t) => {
  for (let i = 0; i < v.leaves.length; i++)
    t.equal(bytesToHex(hashLeaf(bytes(v.leaves[i]!))), v.leafHashes[i]);
  for (const tree of v.trees) {
    const leaves = v.leaves.slice(0, tree.size).map(bytes);
    t.equal(bytesToHex(merkleRoot(leaves)), tree.root, `root of ${tree.size}`);
    const hashes = v.leafHashes.slice(0, tree.size).map(bytes);
    for (const { index, path } of tree.proofs) {
      if (
        inclusionProof(hashes, index)
          .map((p) => bytesToHex(p))
          .join() !== path.join()
      )
        t.fail(`proof ${tree.size}/${index}`);
      const r = rootFromProof(hashes[index]!, index, tree.size, path.map(bytes));
      if (r === null || bytesToHex(r) !== tree.root) t.fail(`root from proof ${tree.size}/${index}`);
      if (
        path.length > 0 &&
        verifyInclusion(bytes(tree.root), hashes[index]!, index, tree.size, path.slice(1).map(bytes))
      ) {
        t.fail(`short proof ${tree.size}/${index}`);
      }
    }
  }
  t.equal(
    v.trees.reduce((n, tr) => n + tr.proofs.length, 0),
    153,
  );
});

t.test(
  'the withdrawals tree: abi-encoded leaves, cumulative prefixes, proofs per checkpoint size',
  async (t) => {
    const w = (id: bigint) => ({
      id,
      recipient: '0x00000000000000000000000000000000000000aa' as const,
      token: '0x0000000000000000000000000000000000000000' as const,
      amount: 1000n + id,
    });
    const leaf = encodeWithdrawalLeaf(w(7n));
    t.equal(leaf.length, 2 + 4 * 64, 'abi.encode of four static words');
    t.equal(leaf.slice(2, 66), 7n.toString(16).padStart(64, '0'));
    t.equal(bytesToHex(withdrawalLeafHash(w(7n))), bytesToHex(hashLeaf(bytes(leaf))));

    const tree = new WithdrawalTree();
    t.equal(tree.root(), EMPTY_WITHDRAWALS_ROOT);
    const roots: Hex[] = [];
    for (let i = 0n; i < 9n; i++) {
      tree.append(w(i));
      roots.push(tree.root());
    }
    t.throws(() => tree.append(w(3n)), { code: 'BAD_WITHDRAWAL' }, 'an id appears once');
    for (let size = 1; size <= 9; size++) {
      t.equal(tree.root(size), roots[size - 1], `the prefix of ${size} keeps its root`);
      for (let i = 0; i < size; i++) {
        const p = tree.proof(BigInt(i), size);
        if (
          !verifyInclusion(
            bytes(roots[size - 1]!),
            withdrawalLeafHash(p.withdrawal),
            p.index,
            size,
            p.proof.map(bytes),
          )
        ) {
          t.fail(`proof ${i} in ${size}`);
        }
      }
    }
    t.throws(() => tree.proof(8n, 5), { code: 'BAD_WITHDRAWAL' }, 'no proof for a leaf beyond the prefix');
    t.throws(() => tree.proof(99n), { code: 'BAD_WITHDRAWAL' });
    t.throws(
      () => encodeWithdrawalLeaf({ ...w(1n), amount: 1n << 128n }),
      { code: 'BAD_WITHDRAWAL' },
      'amounts are u128',
    );
    t.throws(() => encodeWithdrawalLeaf({ ...w(1n), recipient: '0x1234' as `0x${string}` }), {
      code: 'BAD_WITHDRAWAL',
    });
  },
);
