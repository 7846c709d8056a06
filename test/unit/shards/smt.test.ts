/** Property tests of the state tree (shards/smt) against its reference definition. */
import t from 'tap';
import fc from 'fast-check';
import { Tags, taggedHash } from '../../../core/hash.js';
import { hasCode } from '../../../core/errors.js';
import { toHex } from '../../../core/bytes.js';
import {
  CachedNodeReader,
  MemoryNodeStore,
  NODE_TYPE_INNER,
  NODE_TYPE_LEAF,
  SMT_EMPTY,
  SMT_NODE_LENGTH,
  SparseMerkleTree,
  decodeNode,
  decodeSmtProof,
  encodeInnerNode,
  encodeLeafNode,
  encodeSmtProof,
  fromByteKey,
  smtLeafHash,
  smtNodeHash,
  verifySmtProof,
  type SmtChange,
  type SmtUpdateResult,
} from '../../../shards/smt/index.js';
import { refRoot, type Entry } from './smt-reference.js';

const RUNS = 60;

// Keys with much shared structure (so compaction, lifting and deep splits happen), mixed with random ones.
const keyArb = fc.oneof(
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => {
    k[0] = k[0]! & 0x03;
    k[1] = 0;
    return k;
  }),
  fc.integer({ min: 0, max: 31 }).map((i) => {
    const k = new Uint8Array(32);
    k[31] = i;
    return k;
  }),
);
const valueArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const entriesArb = fc.uniqueArray(fc.record({ key: keyArb, valueHash: valueArb }), {
  maxLength: 60,
  selector: (e) => toHex(e.key),
});

function applyTo(store: MemoryNodeStore, res: SmtUpdateResult): Uint8Array {
  for (const [k, b] of res.nodes) store.putNode(fromByteKey(k), b);
  return res.root;
}

function build(entries: readonly Entry[]): {
  store: MemoryNodeStore;
  tree: SparseMerkleTree;
  root: Uint8Array;
} {
  const store = new MemoryNodeStore();
  const tree = new SparseMerkleTree(store);
  return { store, tree, root: applyTo(store, tree.update(SMT_EMPTY, entries)) };
}

t.test('the fast hashes are core taggedHash', async (t) => {
  fc.assert(
    fc.property(valueArb, valueArb, (a, b) => {
      return (
        toHex(smtLeafHash(a, b)) === toHex(taggedHash(Tags.stateLeaf, a, b)) &&
        toHex(smtNodeHash(a, b)) === toHex(taggedHash(Tags.stateNode, a, b))
      );
    }),
    { numRuns: 100 },
  );
});

t.test('the root equals the reference definition', async (t) => {
  fc.assert(
    fc.property(entriesArb, (entries) => toHex(build(entries).root) === toHex(refRoot(entries))),
    { numRuns: RUNS },
  );
});

t.test('the root does not depend on insertion order or batching', async (t) => {
  fc.assert(
    fc.property(
      entriesArb.chain((entries) =>
        fc.tuple(
          fc.constant(entries),
          fc.shuffledSubarray(entries, { minLength: entries.length }),
          fc.integer({ min: 1, max: 7 }),
        ),
      ),
      ([entries, shuffled, batchSize]) => {
        const store = new MemoryNodeStore();
        const tree = new SparseMerkleTree(store);
        let root = SMT_EMPTY;
        for (let i = 0; i < shuffled.length; i += batchSize)
          root = applyTo(store, tree.update(root, shuffled.slice(i, i + batchSize)));
        return toHex(root) === toHex(build(entries).root);
      },
    ),
    { numRuns: RUNS },
  );
});

t.test('updates and deletes match the reference, and never change an older version', async (t) => {
  fc.assert(
    fc.property(
      entriesArb.chain((entries) =>
        fc.tuple(
          fc.constant(entries),
          fc.subarray(entries),
          fc
            .subarray(entries)
            .chain((upd) =>
              fc.tuple(
                fc.constant(upd),
                fc.array(valueArb, { minLength: upd.length, maxLength: upd.length }),
              ),
            ),
          fc.uniqueArray(keyArb, { maxLength: 10, selector: toHex }),
        ),
      ),
      ([entries, deleted, [updated, newValues], absentDeletes]) => {
        const { store, tree, root: before } = build(entries);
        const changes = new Map<string, SmtChange>();
        updated.forEach((e, i) => changes.set(toHex(e.key), { key: e.key, valueHash: newValues[i]! }));
        for (const e of deleted) changes.set(toHex(e.key), { key: e.key, valueHash: null });
        const present = new Set(entries.map((e) => toHex(e.key)));
        for (const k of absentDeletes)
          if (!present.has(toHex(k)) && !changes.has(toHex(k)))
            changes.set(toHex(k), { key: k, valueHash: null });
        const after = applyTo(store, tree.update(before, changes.values()));

        const expected = new Map<string, Entry>(entries.map((e) => [toHex(e.key), e]));
        for (const [k, c] of changes) {
          if (c.valueHash === null) expected.delete(k);
          else expected.set(k, { key: c.key, valueHash: c.valueHash });
        }
        if (toHex(after) !== toHex(refRoot([...expected.values()]))) return false;
        // The old version is intact: every old value is still readable and provable at the old root.
        for (const e of entries) {
          const got = tree.get(before, e.key);
          if (got === null || toHex(got) !== toHex(e.valueHash)) return false;
          if (!verifySmtProof(before, e.key, e.valueHash, tree.prove(before, e.key))) return false;
        }
        return true;
      },
    ),
    { numRuns: RUNS },
  );
});

t.test('inclusion proofs verify; wrong values, wrong keys and tampering fail', async (t) => {
  fc.assert(
    fc.property(
      entriesArb.filter((e) => e.length > 0),
      valueArb,
      fc.nat(),
      (entries, otherValue, pick) => {
        const { tree, root } = build(entries);
        const e = entries[pick % entries.length]!;
        const proof = tree.prove(root, e.key);
        if (!verifySmtProof(root, e.key, e.valueHash, proof)) return false;
        if (toHex(otherValue) !== toHex(e.valueHash) && verifySmtProof(root, e.key, otherValue, proof))
          return false;
        if (verifySmtProof(root, e.key, null, proof)) return false; // present: non-inclusion must fail
        // The proof of one key does not prove another key.
        const other = entries[(pick + 1) % entries.length]!;
        if (entries.length > 1 && verifySmtProof(root, other.key, e.valueHash, proof)) return false;
        // Any flipped bit in a sibling breaks it.
        if (proof.siblings.length > 0) {
          const s = proof.siblings.map((x) => new Uint8Array(x));
          s[pick % s.length]![pick % 32] ^= 1;
          if (verifySmtProof(root, e.key, e.valueHash, { siblings: s, leaf: proof.leaf })) return false;
        }
        // A proof survives its canonical encoding.
        return verifySmtProof(root, e.key, e.valueHash, decodeSmtProof(encodeSmtProof(proof)));
      },
    ),
    { numRuns: RUNS },
  );
});

t.test('non-inclusion proofs verify for absent keys and fail as inclusion', async (t) => {
  fc.assert(
    fc.property(entriesArb, keyArb, valueArb, (entries, key, v) => {
      fc.pre(!entries.some((e) => toHex(e.key) === toHex(key)));
      const { tree, root } = build(entries);
      const proof = tree.prove(root, key);
      if (tree.get(root, key) !== null) return false;
      return verifySmtProof(root, key, null, proof) && !verifySmtProof(root, key, v, proof);
    }),
    { numRuns: RUNS },
  );
});

t.test('get and leaves read what was written', async (t) => {
  fc.assert(
    fc.property(entriesArb, (entries) => {
      const { tree, root } = build(entries);
      const leaves = [...tree.leaves(root)].map((l) => toHex(l.key) + toHex(l.valueHash));
      const want = entries.map((e) => toHex(e.key) + toHex(e.valueHash)).sort();
      return (
        JSON.stringify(leaves) === JSON.stringify(want) &&
        entries.every((e) => toHex(tree.get(root, e.key)!) === toHex(e.valueHash))
      );
    }),
    { numRuns: 30 },
  );
});

t.test('typed errors', async (t) => {
  const k = new Uint8Array(32).fill(7);
  const tree = new SparseMerkleTree(new MemoryNodeStore());
  t.throws(
    () =>
      tree.update(SMT_EMPTY, [
        { key: k, valueHash: k },
        { key: k, valueHash: null },
      ]),
    { code: 'DUPLICATE_KEY' },
  );
  t.throws(() => tree.update(SMT_EMPTY, [{ key: new Uint8Array(31), valueHash: k }]), { code: 'BAD_KEY' });
  t.throws(() => tree.update(SMT_EMPTY, [{ key: k, valueHash: new Uint8Array(33) }]), { code: 'BAD_KEY' });
  // A root whose nodes the store does not hold: storage is missing data, never a silent empty answer.
  const err = (() => {
    try {
      tree.get(new Uint8Array(32).fill(1), k);
    } catch (e) {
      return e;
    }
  })();
  t.ok(hasCode(err, 'MISSING_NODE'), 'missing node');
  // Malformed proofs are false, not exceptions.
  t.equal(verifySmtProof(SMT_EMPTY, k, null, { siblings: [new Uint8Array(5)], leaf: null }), false);
  t.equal(verifySmtProof(SMT_EMPTY, k, null, { siblings: Array(257).fill(SMT_EMPTY), leaf: null }), false);
  t.equal(verifySmtProof(SMT_EMPTY, k, null, null as never), false);
  t.equal(
    verifySmtProof(SMT_EMPTY, k, null, { siblings: [], leaf: null }),
    true,
    'empty tree proves absence',
  );
});

t.test('a cached reader returns the same nodes', async (t) => {
  const entries = Array.from({ length: 50 }, (_, i) => ({
    key: taggedHash('k', new Uint8Array([i])),
    valueHash: taggedHash('v', new Uint8Array([i])),
  }));
  const { store, root } = build(entries);
  let reads = 0;
  const counting = { getNode: (h: Uint8Array) => (reads++, store.getNode(h)) };
  const cached = new SparseMerkleTree(new CachedNodeReader(counting, 1000));
  for (const e of entries) t.equal(toHex(cached.get(root, e.key)!), toHex(e.valueHash));
  const first = reads;
  for (const e of entries) cached.get(root, e.key);
  t.equal(reads, first, 'second pass served from the cache');
  const tiny = new SparseMerkleTree(new CachedNodeReader(store, 2));
  for (const e of entries)
    t.equal(toHex(tiny.get(root, e.key)!), toHex(e.valueHash), 'eviction keeps answers right');
});

t.test(
  'nodes cut from shared slabs are 65 bytes each and never overlap, across slab boundaries',
  async (t) => {
    // Enough nodes to fill several 1,024-node slabs; each must keep its own bytes.
    const made = Array.from({ length: 2500 }, (_, i) => {
      const a = taggedHash('a', new Uint8Array([i & 0xff, i >> 8]));
      const b = taggedHash('b', new Uint8Array([i & 0xff, i >> 8]));
      return { a, b, node: i % 2 === 0 ? encodeLeafNode(a, b) : encodeInnerNode(a, b) };
    });
    let bad = 0;
    for (const [i, m] of made.entries()) {
      const d = decodeNode(m.node);
      const [x, y] = d.type === NODE_TYPE_LEAF ? [d.key, d.valueHash] : [d.left, d.right];
      if (m.node.length !== SMT_NODE_LENGTH || d.type !== (i % 2 === 0 ? NODE_TYPE_LEAF : NODE_TYPE_INNER))
        bad++;
      else if (toHex(x) !== toHex(m.a) || toHex(y) !== toHex(m.b)) bad++;
    }
    t.equal(bad, 0, 'every node still decodes to what it was made of after later nodes were cut');
  },
);
