/** The block tree: insertion, 2-chain commit paths, pruning, the committed window, certificates. */
import t from 'tap';
import { BlockTree, fetchMissingChain } from '../../../consensus/block-tree.js';
import { ConsensusError } from '../../../consensus/errors.js';
import { blockId } from '../../../consensus/messages.js';
import { equalBytes } from '../../../core/bytes.js';
import { Fixture } from '../../support/consensus-fixtures.js';
import type { Block } from '../../../consensus/types.js';

const f = new Fixture(4);
const { blocks, qcs } = f.chain(5);
const [b1, b2, b3, b4, b5] = blocks as [Block, Block, Block, Block, Block];
// A fork off b2 (round 4, after a timeout in round 3).
const tc3 = f.tc(
  3,
  [0, 1, 2].map((i) => f.timeout(i, 3, qcs[1]!)),
);
const fork4 = f.block({ parent: b2, round: 4, tc: tc3 });
const fork5 = f.block({ parent: fork4 });

function code(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof ConsensusError ? err.code : String(err);
  }
}

t.test('insert needs the parent and a following block', async (t) => {
  const tree = new BlockTree(f.genesis, f.gqc);
  t.equal(
    code(() => tree.insert(b2)),
    'UNKNOWN_BLOCK',
  );
  t.ok(tree.insert(b1));
  t.notOk(tree.insert(b1), 'already there');
  t.equal(
    code(() => tree.insert({ ...b2, round: 1 })),
    'INVALID_BLOCK',
    'round not above the parent',
  );
  t.equal(
    code(() => tree.insert({ ...b2, height: 5 })),
    'INVALID_BLOCK',
    'height not parent + 1',
  );
  tree.insert(b2);
  t.ok(tree.has(blockId(b2)));
  t.equal(tree.size, 3);
  t.same(
    tree.pathFromRoot(blockId(b2))!.map((b) => b.round),
    [1, 2],
  );
  t.same(
    tree.ancestors(blockId(b2), 10).map((b) => b.round),
    [2, 1, 0],
    'newest first down to the root',
  );
  t.same(
    tree.ancestors(blockId(b2), 2).map((b) => b.round),
    [2, 1],
  );
});

t.test('2-chain commit: the QC naming a block commits it and its ancestors, and prunes forks', async (t) => {
  const tree = new BlockTree(f.genesis, f.gqc);
  for (const b of [b1, b2, b3, b4, fork4, fork5]) tree.insert(b);
  t.equal(tree.size, 7);
  // qcs[3] certifies b4 (round 4, parent round 3): its commit info names b3.
  t.ok(equalBytes(qcs[3]!.voteData.commit!.id, blockId(b3)));
  const committed = tree.commit(blockId(b3), qcs[3]!);
  t.same(
    committed.map((b) => b.round),
    [1, 2, 3],
    'oldest first, every uncommitted ancestor',
  );
  t.equal(tree.root, b3);
  t.equal(tree.rootCommitQc, qcs[3]);
  t.equal(tree.highCommitQc, qcs[3]);
  t.notOk(tree.has(blockId(fork4)), 'the fork off b2 is pruned');
  t.notOk(tree.has(blockId(fork5)));
  t.ok(tree.has(blockId(b4)));
  t.equal(tree.size, 2);
  t.notOk(tree.has(blockId(b2)), 'committed blocks leave the tree');
  t.equal(tree.get(blockId(b2)), b2, 'but stay fetchable in the committed window');
  t.equal(tree.get(blockId(f.genesis)), f.genesis);
  t.same(
    tree.ancestors(blockId(b4), 10).map((b) => b.round),
    [4, 3, 2, 1, 0],
  );
  t.same(tree.commit(blockId(b3), qcs[3]!), [], 'committing the root again is a no-op');
  t.equal(tree.pathFromRoot(blockId(b2)), null, 'below the root is not a path');
  t.equal(
    code(() => tree.commit(blockId(fork4), qcs[3]!)),
    'UNKNOWN_BLOCK',
  );
  t.equal(
    code(() => tree.insert(fork5)),
    'UNKNOWN_BLOCK',
    'a pruned fork cannot come back',
  );
});

t.test('the committed window is bounded', async (t) => {
  const tree = new BlockTree(f.genesis, f.gqc, { retainCommitted: 2 });
  for (const b of [b1, b2, b3, b4, b5]) tree.insert(b);
  tree.commit(blockId(b4), qcs[4]!);
  t.equal(tree.get(blockId(b3)), b3);
  t.equal(tree.get(blockId(b2)), b2);
  t.equal(tree.get(blockId(b1)), undefined, 'older committed blocks are forgotten');
});

t.test('highest QC and TC only move up', async (t) => {
  const tree = new BlockTree(f.genesis, f.gqc);
  t.equal(tree.highQc, f.gqc);
  t.ok(tree.insertQc(qcs[1]!));
  t.notOk(tree.insertQc(qcs[0]!));
  t.notOk(tree.insertQc(qcs[1]!));
  t.equal(tree.highQc, qcs[1]);
  t.equal(tree.highTc, null);
  t.ok(tree.insertTc(tc3));
  t.notOk(tree.insertTc(tc3));
  t.equal(tree.highTc, tc3);
});

t.test('state sync re-roots the tree', async (t) => {
  const tree = new BlockTree(f.genesis, f.gqc);
  tree.insert(b1);
  tree.resetRoot(b4, qcs[4]!);
  t.equal(tree.root, b4);
  t.equal(tree.size, 1, 'blocks not above the new root are dropped');
  t.equal(tree.highQc, qcs[4], 'the commit certificate is the highest QC');
  t.equal(tree.highCommitQc, qcs[4]);
  t.ok(tree.insert(b5), 'the next block builds on the new root');
});

t.test('state sync to a block the tree already holds keeps committing', async (t) => {
  // A restarted node recovers its uncommitted blocks, then sync hands it a
  // decoded copy of one of them as the new root (equal, not the same object).
  const tree = new BlockTree(f.genesis, f.gqc);
  for (const b of [b1, b2, b3]) tree.insert(b);
  const copy = structuredClone(b2);
  tree.resetRoot(copy, qcs[2]!);
  t.equal(tree.root, b2, "the tree's own copy is the root");
  t.same(
    tree.pathFromRoot(blockId(b3))!.map((b) => b.round),
    [3],
    'its child has a path from the root',
  );
  tree.insert(b4);
  t.same(
    tree.commit(blockId(b3), qcs[3]!).map((b) => b.round),
    [3],
    'and commits',
  );
  t.equal(tree.root, b3);
});

t.test('fetching a missing chain follows the certificates, whatever the peer sends', async (t) => {
  const tree = new BlockTree(f.genesis, f.gqc);
  tree.insert(b1);
  const served = new BlockTree(f.genesis, f.gqc);
  for (const b of [b1, b2, b3, b4, fork4]) served.insert(b);
  const asks: number[] = [];
  const honest = {
    fetchBlocks: async (_p: number, id: Uint8Array, count: number) => {
      asks.push(count);
      return served.ancestors(id, count);
    },
    check: () => undefined,
  };
  const target = qcs[3]!.voteData.block; // b4
  const chain = await fetchMissingChain(tree, 1, target, honest);
  t.same(
    chain!.map((b) => b.round),
    [4, 3, 2],
    'newest first, down to the tree',
  );
  t.same(asks, [4], 'asks for at most the gap to the root');
  // A peer that answers with another block (the fork) for b4: refused.
  const errors: unknown[] = [];
  const liar = { ...honest, fetchBlocks: async () => [fork4, b2], onInvalid: (e: unknown) => errors.push(e) };
  t.equal(await fetchMissingChain(tree, 1, target, liar), null);
  t.equal((errors[0] as ConsensusError).code, 'INVALID_BLOCK');
  // A block that fails verification: refused.
  const strict = {
    ...honest,
    check: () => {
      throw new ConsensusError('BAD_SIGNATURE', 'forged');
    },
  };
  t.equal(await fetchMissingChain(tree, 1, target, strict), null);
  // Silence, errors and empty answers: null.
  t.equal(await fetchMissingChain(tree, 1, target, { ...honest, fetchBlocks: async () => [] }), null);
  t.equal(
    await fetchMissingChain(tree, 1, target, {
      ...honest,
      fetchBlocks: () => Promise.reject(new Error('timeout')),
    }),
    null,
  );
  // Paged: one block per answer still gets there.
  const paged = { ...honest, fetchBlocks: async (_p: number, id: Uint8Array) => served.ancestors(id, 1) };
  t.same(
    (await fetchMissingChain(tree, 1, target, paged))!.map((b) => b.round),
    [4, 3, 2],
  );
  // A chain that does not reach the tree above the root is not ours.
  const rooted = new BlockTree(f.genesis, f.gqc);
  for (const b of [b1, b2, b3, b4]) rooted.insert(b);
  rooted.commit(blockId(b3), qcs[3]!);
  const forkTarget = f.qcFor(fork4).voteData.block;
  const other = new BlockTree(f.genesis, f.gqc);
  for (const b of [b1, b2, fork4]) other.insert(b);
  t.equal(
    await fetchMissingChain(rooted, 1, forkTarget, {
      ...honest,
      fetchBlocks: async (_p, id, c) => other.ancestors(id, c),
    }),
    null,
    'no chain below the root',
  );
});
