/**
 * node/chain/recent-nodes.ts and the state store around it: the last
 * commits' node maps are read newest first and dropped oldest first; a node
 * no longer held is read back from the database, so every root the store
 * ever committed still reads and proves the same.
 */
import t from 'tap';
import { byteKey, equalBytes } from '../../../core/bytes.js';
import { sha256 } from '../../../core/hash.js';
import { MAX_RECENT_COMMITS, RecentCommitNodes } from '../../../node/chain/recent-nodes.js';
import { LevelStateStore } from '../../../node/chain/state-store.js';
import { ChainStore, MemoryKvStore, NodeDatabase } from '../../../node/storage/index.js';
import { SMT_EMPTY, SparseMerkleTree, type SmtChange } from '../../../shards/smt/index.js';
import { MemoryStateStore } from '../../../shards/state.js';

const key = (n: number): string => byteKey(sha256(new Uint8Array([n >> 8, n & 0xff])));
const node = (n: number): Uint8Array => new Uint8Array(65).fill(n & 0xff);

t.test(
  'RecentCommitNodes: newest first, oldest dropped past the capacity, oversized batches not kept',
  (t) => {
    const recent = new RecentCommitNodes(4);
    recent.add(new Map([[key(1), node(1)]]));
    recent.add(
      new Map([
        [key(2), node(2)],
        [key(3), node(3)],
      ]),
    );
    t.same(recent.get(key(1)), node(1));
    t.equal(recent.size, 3);
    recent.add(
      new Map([
        [key(4), node(4)],
        [key(5), node(5)],
      ]),
    );
    t.equal(recent.get(key(1)), undefined, 'the oldest commit went when the total passed 4');
    t.same(recent.get(key(5)), node(5));
    t.equal(recent.size, 4);
    recent.add(new Map());
    t.equal(recent.size, 4, 'an empty commit changes nothing');
    const big = new Map<string, Uint8Array>();
    for (let i = 10; i < 15; i++) big.set(key(i), node(i));
    recent.add(big);
    t.equal(recent.get(key(10)), undefined, 'a batch above the capacity is not kept');
    t.same(recent.get(key(2)), node(2), 'and evicts nothing');
    t.end();
  },
);

t.test('RecentCommitNodes: at most MAX_RECENT_COMMITS maps, whatever their sizes', (t) => {
  const recent = new RecentCommitNodes(1_000_000);
  for (let i = 0; i < MAX_RECENT_COMMITS + 3; i++) recent.add(new Map([[key(i), node(i)]]));
  t.equal(recent.size, MAX_RECENT_COMMITS);
  t.equal(recent.get(key(2)), undefined);
  t.same(recent.get(key(3)), node(3));
  t.end();
});

t.test(
  'LevelStateStore: roots committed long ago read and prove the same once their nodes left the recent maps',
  async (t) => {
    const db = new NodeDatabase(MemoryKvStore.create());
    t.teardown(() => db.close());
    const chainStore = new ChainStore(db, 0);
    // Tiny caches: most nodes must come back from the database.
    const store = new LevelStateStore(chainStore, {
      valueCapacity: 16,
      nodeCapacity: 64,
      readNodeCapacity: 8,
    });
    const reference = new MemoryStateStore();
    const tree = new SparseMerkleTree(store);
    const roots: Uint8Array[] = [];
    const latest = new Map<number, number>();
    let root = SMT_EMPTY;
    for (let commit = 0; commit < 40; commit++) {
      const changes: SmtChange[] = [];
      for (let j = 0; j < 7; j++) {
        const account = (commit * 7 + j * 13) % 50;
        latest.set(account, commit);
        changes.push({
          key: sha256(new Uint8Array([account])),
          valueHash: sha256(new Uint8Array([account, commit])),
        });
      }
      const res = tree.update(root, changes);
      const batch = db.batch();
      chainStore.stageStateNodes(batch, res.nodes);
      await batch.commit();
      store.applyCommitted({ root: res.root, nodes: res.nodes, values: [] }, { flushedThrough: null });
      reference.apply({ root: res.root, nodes: res.nodes, values: [] });
      root = res.root;
      roots.push(root);
    }
    const fromReference = new SparseMerkleTree(reference);
    for (const account of latest.keys()) {
      const k = sha256(new Uint8Array([account]));
      t.ok(
        equalBytes(tree.get(root, k)!, sha256(new Uint8Array([account, latest.get(account)!]))),
        `account ${account} reads its last value`,
      );
      t.same(tree.prove(root, k), fromReference.prove(root, k), `account ${account} proves the same`);
    }
    const first = sha256(new Uint8Array([0]));
    t.same(
      tree.prove(roots[0]!, first),
      fromReference.prove(roots[0]!, first),
      'the first root still proves',
    );
  },
);
