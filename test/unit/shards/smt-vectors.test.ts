/** shards/smt against the vectors of test/vectors/smt-*.json (generated from the reference definition). */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../../../core/bytes.js';
import {
  MemoryNodeStore,
  SMT_EMPTY,
  SparseMerkleTree,
  fromByteKey,
  verifySmtProof,
  type SmtProof,
} from '../../../shards/smt/index.js';

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../vectors/${name}`, import.meta.url), 'utf8'));
const roots = load('smt-roots.json');
const proofs = load('smt-proofs.json');

type EntryJson = { key: string; valueHash: string };

function buildTree(entries: EntryJson[]): { tree: SparseMerkleTree; root: Uint8Array } {
  const store = new MemoryNodeStore();
  const tree = new SparseMerkleTree(store);
  const res = tree.update(
    SMT_EMPTY,
    entries.map((e) => ({ key: fromHex(e.key), valueHash: fromHex(e.valueHash) })),
  );
  for (const [k, b] of res.nodes) store.putNode(fromByteKey(k), b);
  return { tree, root: res.root };
}

t.test('the empty root', async (t) => {
  t.equal(toHex(SMT_EMPTY), roots.empty);
});

t.test('roots of fixed sets', async (t) => {
  for (const s of roots.sets) {
    t.equal(toHex(buildTree(s.entries).root), s.root, s.name);
  }
});

t.test('a sequence of batch updates (inserts, updates, deletes)', async (t) => {
  const store = new MemoryNodeStore();
  const tree = new SparseMerkleTree(store);
  let root = SMT_EMPTY;
  roots.sequence.forEach(
    (step: { changes: { key: string; valueHash: string | null }[]; root: string }, i: number) => {
      const res = tree.update(
        root,
        step.changes.map((c) => ({
          key: fromHex(c.key),
          valueHash: c.valueHash === null ? null : fromHex(c.valueHash),
        })),
      );
      for (const [k, b] of res.nodes) store.putNode(fromByteKey(k), b);
      root = res.root;
      t.equal(toHex(root), step.root, `root after batch ${i}`);
    },
  );
  t.equal(toHex(root), roots.empty, 'deleting every key gives the empty root');
});

t.test('proofs', async (t) => {
  const { tree, root } = buildTree(proofs.entries);
  t.equal(toHex(root), proofs.root, 'the tree of the proof vectors');
  for (const c of proofs.cases) {
    const proof: SmtProof = {
      siblings: c.proof.siblings.map(fromHex),
      leaf:
        c.proof.leaf === null
          ? null
          : { key: fromHex(c.proof.leaf.key), valueHash: fromHex(c.proof.leaf.valueHash) },
    };
    const r = c.root === undefined ? root : fromHex(c.root);
    const vh = c.valueHash === null ? null : fromHex(c.valueHash);
    t.equal(verifySmtProof(r, fromHex(c.key), vh, proof), c.valid, c.name);
    if (c.valid && c.root === undefined) {
      // The implementation builds exactly the proof of the reference.
      const mine = tree.prove(root, fromHex(c.key));
      t.same(
        {
          siblings: mine.siblings.map(toHex),
          leaf:
            mine.leaf === null ? null : { key: toHex(mine.leaf.key), valueHash: toHex(mine.leaf.valueHash) },
        },
        c.proof,
        `${c.name}: built proof`,
      );
    }
  }
});
