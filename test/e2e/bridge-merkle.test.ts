/**
 * Merkle agreement: the Solidity verifier (bridge/contracts/MerkleRfc6962.sol, through a harness on anvil)
 * and core/merkle.ts agree on test/vectors/merkle-rfc6962.json: every leaf hash, and the root from the
 * proof of every leaf of every tree of 1 to 17 leaves; a proof one level short or long, at another index
 * or for another size never gives the root.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes, zeroHash, type Address, type Hex } from 'viem';
import { startAnvil, type Anvil } from '../../bridge/anvil.js';
import { artifact } from '../../bridge/compile.js';
import { connectL1, deployContract, type L1 } from '../../bridge/l1.js';
import { hashLeaf, hashNode, rootFromProof } from '../../core/merkle.js';

interface Vectors {
  emptyRoot: Hex;
  leaves: Hex[];
  leafHashes: Hex[];
  trees: { size: number; root: Hex; proofs: { index: number; path: Hex[] }[] }[];
}
const vectors = JSON.parse(
  readFileSync(new URL('../vectors/merkle-rfc6962.json', import.meta.url), 'utf8'),
) as Vectors;

let anvil: Anvil;
let l1: L1;
let harness: Address;
let abi: import('viem').Abi;

t.before(async () => {
  anvil = await startAnvil();
  l1 = await connectL1(anvil.rpcUrl, { privateKey: anvil.privateKeys[0]!, pollingIntervalMs: 10 });
  const a = await artifact('MerkleHarness');
  abi = a.abi;
  harness = (await deployContract(l1, a, [], 'MerkleHarness')).address;
});
t.teardown(async () => {
  await anvil?.stop();
});

const read = <T>(functionName: string, args: readonly unknown[]): Promise<T> =>
  l1.public.readContract({ address: harness, abi, functionName, args } as never) as Promise<T>;

t.test('leaf and node hashes', async (t) => {
  for (let i = 0; i < vectors.leaves.length; i++) {
    t.equal(await read<Hex>('hashLeaf', [vectors.leaves[i]]), vectors.leafHashes[i], `leaf ${i}`);
    t.equal(bytesToHex(hashLeaf(hexToBytes(vectors.leaves[i]!))), vectors.leafHashes[i]);
  }
  const [a, b] = [vectors.leafHashes[0]!, vectors.leafHashes[1]!];
  t.equal(await read<Hex>('hashNode', [a, b]), bytesToHex(hashNode(hexToBytes(a), hexToBytes(b))));
  t.equal(
    vectors.trees[1]!.root,
    await read<Hex>('hashNode', [a, b]),
    'the root of two leaves is their node',
  );
});

t.test('every proof of every tree of 1..17 leaves gives the root, in Solidity and in core/', async (t) => {
  t.equal(vectors.trees.length, 17);
  let checked = 0;
  for (const tree of vectors.trees) {
    await Promise.all(
      tree.proofs.map(async ({ index, path }) => {
        const leaf = vectors.leafHashes[index]!;
        const [ok, root] = await read<[boolean, Hex]>('rootFromProof', [
          leaf,
          BigInt(index),
          BigInt(tree.size),
          path,
        ]);
        const ts = rootFromProof(
          hexToBytes(leaf),
          index,
          tree.size,
          path.map((p) => hexToBytes(p)),
        );
        if (!ok || root !== tree.root || ts === null || bytesToHex(ts) !== tree.root)
          t.fail(`size ${tree.size} index ${index}`);
        if (!(await read<boolean>('verify', [tree.root, leaf, BigInt(index), BigInt(tree.size), path])))
          t.fail(`verify ${tree.size}/${index}`);
        checked++;
      }),
    );
  }
  t.equal(checked, (17 * 18) / 2, 'all 153 (size, index) pairs');
});

t.test('altered proofs never give the root, in either implementation', async (t) => {
  let checked = 0;
  const jobs: Promise<void>[] = [];
  for (const tree of vectors.trees) {
    for (const { index, path } of tree.proofs) {
      const leaf = vectors.leafHashes[index]!;
      const cases: [string, bigint, bigint, Hex[]][] = [
        ['one level short', BigInt(index), BigInt(tree.size), path.slice(0, -1)],
        ['one level long', BigInt(index), BigInt(tree.size), [...path, zeroHash]],
        ['another index', BigInt((index + 1) % tree.size), BigInt(tree.size), path],
        ['index out of range', BigInt(tree.size), BigInt(tree.size), path],
      ];
      for (const [what, i, size, p] of cases) {
        if (what === 'one level short' && path.length === 0) continue;
        if (what === 'another index' && tree.size === 1) continue;
        jobs.push(
          (async () => {
            const sol = await read<boolean>('verify', [tree.root, leaf, i, size, p]);
            const ts = rootFromProof(
              hexToBytes(leaf),
              Number(i),
              Number(size),
              p.map((x) => hexToBytes(x)),
            );
            const tsOk = ts !== null && bytesToHex(ts) === tree.root;
            if (sol || tsOk) t.fail(`${what}: size ${tree.size} index ${index} verified`);
            checked++;
          })(),
        );
      }
    }
  }
  await Promise.all(jobs);
  t.ok(checked > 600, `${checked} altered proofs refused`);
  t.equal(
    await read<boolean>('verify', [vectors.emptyRoot, vectors.leafHashes[0], 0n, 0n, []]),
    false,
    'nothing verifies in an empty tree',
  );
});
