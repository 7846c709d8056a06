/**
 * Deferred state tree writes (node/chain/unwritten-nodes.ts, tree-journal.ts):
 * commits between flushes keep their tree nodes in memory and journal the
 * keys they changed; a flush writes only the nodes reachable from its root;
 * a restarted chain rebuilds the missing part of the tree from the journal,
 * checks it against the committed block's root, and refuses a journal that
 * does not lead there, writing nothing.
 */
import t, { type Test } from 'tap';
import { blockId } from '../../../consensus/messages.js';
import { genesisQc } from '../../../consensus/engine.js';
import type { Block, QuorumCert } from '../../../consensus/types.js';
import { equalBytes, toHex } from '../../../core/bytes.js';
import { hasCode } from '../../../core/errors.js';
import { sha256 } from '../../../core/hash.js';
import { stateValueHash } from '../../../shards/account.js';
import { MemoryStateStore } from '../../../shards/state.js';
import { SMT_EMPTY } from '../../../shards/smt/hash.js';
import { byteKey } from '../../../shards/smt/node.js';
import { SparseMerkleTree, type SmtChange } from '../../../shards/smt/tree.js';
import { MemoryDisk } from '../../../node/storage/index.js';
import { DEFAULT_FLUSH_COMMITS } from '../../../node/chain/state-store.js';
import { UnwrittenTreeNodes } from '../../../node/chain/unwritten-nodes.js';
import { decodeJournalKeys, encodeJournalKeys } from '../../../node/chain/tree-journal.js';
import {
  GENESIS_TIME,
  INITIAL,
  USERS,
  balanceOf,
  certify,
  makeBlock,
  openChain,
  testGenesis,
  transfer,
  type OpenedChain,
} from './chain-fixtures.js';

const genesis = testGenesis();

/** A QC that commits `block` (2-chain: a certified child one round later). */
function commitQcOf(c: OpenedChain, block: Block): QuorumCert {
  const child = { ...block, round: block.round + 1, height: block.height + 1, parentId: blockId(block) };
  return certify(c.chain.domain, child as Block, block);
}

/** Commits `count` blocks of one transfer each (user i % 6 pays user (i + 1) % 6), one commit per block. */
async function commitTransfers(t: Test, c: OpenedChain, count: number, nonces: bigint[]): Promise<void> {
  let parent = c.chain.tip.block;
  let qc = parent.height === 0 ? genesisQc(parent) : c.chain.tip.commitQc;
  for (let i = 0; i < count; i++) {
    const from = (parent.height + i) % USERS.length;
    const to = (from + 1) % USERS.length;
    await c.mempool.addBatch([transfer(USERS[from]!, nonces[from]!, USERS[to]!.address, 7n).bytes]);
    nonces[from]!++;
    const round = parent.round + 1;
    const ts = GENESIS_TIME + round * 1000;
    const payload = await c.chain.buildPayload(parent, round, parent.height + 1, ts);
    const block = makeBlock(c.chain, parent, qc, payload, round, ts);
    t.same(await c.chain.execute(block), { ok: true });
    await c.chain.commit([block], commitQcOf(c, block));
    await c.chain.flushed();
    qc = certify(c.chain.domain, block, parent);
    parent = block;
  }
}

/** Every leaf of the committed root, read from the database alone (no cache, no memory). */
function leavesOnDisk(c: OpenedChain): { key: Uint8Array; valueHash: Uint8Array }[] {
  return [...new SparseMerkleTree(c.store.stateNodeReader()).leaves(c.chain.committedView().root)];
}

async function journalHeights(c: OpenedChain): Promise<number[]> {
  return (await c.store.stateJournal.list()).map(([h]) => h);
}

t.test(
  'UnwrittenTreeNodes: a flush takes the held nodes its root reaches, and nothing replaced',
  async (t) => {
    const held = new UnwrittenTreeNodes();
    const written = new Map<string, Uint8Array>();
    const tree = new SparseMerkleTree({ getNode: (h) => held.get(byteKey(h)) ?? written.get(byteKey(h)) });
    const key = (i: number): Uint8Array => sha256(new Uint8Array([i]));
    const value = (i: number, v: number): Uint8Array => sha256(new Uint8Array([i, v]));
    // Written: a tree of 8 keys.
    let res = tree.update(
      SMT_EMPTY,
      Array.from({ length: 8 }, (_, i) => ({ key: key(i), valueHash: value(i, 0) })),
    );
    for (const [k, b] of res.nodes) written.set(k, b);
    let root = res.root;
    // Three commits held: each changes key 0 (its path replaced every time), the last adds key 9.
    let created = 0;
    const seqs: number[] = [];
    for (let v = 1; v <= 3; v++) {
      const change: SmtChange[] = [{ key: key(0), valueHash: value(0, v) }];
      if (v === 3) change.push({ key: key(9), valueHash: value(9, 0) });
      res = tree.update(root, change);
      created += res.nodes.size;
      seqs.push(held.add(res.nodes));
      root = res.root;
    }
    t.equal(held.size, created, 'every new node is held');
    const flush = held.reachable(root);
    t.ok(flush.size < created, `the flush writes ${flush.size} of the ${created} nodes created`);
    // Written after the older tree, the flush makes the newest root whole: no node is missing below it.
    const disk = new MemoryStateStore();
    disk.apply({ root, nodes: new Map([...written, ...flush]), values: [] });
    t.equal([...new SparseMerkleTree(disk).leaves(root)].length, 9, 'the newest root reads whole from disk');
    t.equal(held.reachable(SMT_EMPTY).size, 0);
    held.release(seqs[1]!);
    t.equal(held.commits, 1, 'a landed flush releases the commits it covers, not later ones');
    held.release(seqs[2]!);
    t.equal(held.size, 0);
  },
);

t.test('journal entries: keys round trip; a length that is not whole keys is corrupt', async (t) => {
  const keys = [sha256(new Uint8Array([1])), sha256(new Uint8Array([2]))];
  t.same(decodeJournalKeys(encodeJournalKeys(keys), 5), keys);
  t.same(decodeJournalKeys(new Uint8Array(0), 5), []);
  t.throws(() => decodeJournalKeys(new Uint8Array(33), 5), { code: 'CORRUPT' });
});

t.test(
  'commits between flushes journal their keys; a restart rebuilds the tree on disk from the journal',
  async (t) => {
    const disk = new MemoryDisk();
    const a = await openChain(disk, genesis);
    t.equal(a.store.stateTreeHeight(), 0, 'a fresh chain records its genesis tree as whole');
    const nonces = USERS.map(() => 0n);
    const commits = DEFAULT_FLUSH_COMMITS + 4;
    await commitTransfers(t, a, commits, nonces);
    t.equal(a.chain.tip.height, commits);
    t.equal(a.store.stateTreeHeight(), DEFAULT_FLUSH_COMMITS, 'the 16th commit wrote the tree');
    t.same(
      await journalHeights(a),
      [17, 18, 19, 20],
      'the commits after it journaled their keys, the flush deleted the earlier entries',
    );
    t.throws(() => leavesOnDisk(a), { code: 'MISSING_NODE' }, 'the newest root is not on disk yet');
    const balances = USERS.map((u) => balanceOf(a.chain, u.address));
    const root = toHex(a.chain.committedView().root);
    await a.close();

    const b = await openChain(disk, genesis);
    t.equal(b.chain.tip.height, commits);
    t.equal(toHex(b.chain.committedView().root), root);
    t.equal(
      b.store.stateTreeHeight(),
      commits,
      'the tree of the committed height is whole after the restart',
    );
    t.same(await journalHeights(b), [], 'the replayed entries are gone');
    const leaves = leavesOnDisk(b);
    t.equal(leaves.length, USERS.length + 1, 'every account (and the fee sink) reads from disk');
    for (const leaf of leaves) {
      const v = b.store.accounts.getSync(leaf.key);
      t.ok(v !== null && equalBytes(stateValueHash(v), leaf.valueHash), 'each leaf holds the stored value');
    }
    t.same(
      USERS.map((u) => balanceOf(b.chain, u.address)),
      balances,
    );
    t.ok(
      balances.every((x) => x !== INITIAL),
      'every user paid or was paid',
    );
    // The chain goes on from there, and flushes again.
    await commitTransfers(t, b, DEFAULT_FLUSH_COMMITS, nonces);
    t.equal(b.store.stateTreeHeight(), commits + DEFAULT_FLUSH_COMMITS);
    t.equal(leavesOnDisk(b).length, USERS.length + 1);
    await b.close();
  },
);

t.test('a journal that does not lead to the committed root is refused, and nothing is written', async (t) => {
  for (const damage of ['a missing key', 'a torn entry'] as const) {
    const disk = new MemoryDisk();
    const a = await openChain(disk, genesis);
    await commitTransfers(
      t,
      a,
      DEFAULT_FLUSH_COMMITS + 2,
      USERS.map(() => 0n),
    );
    const [height, bytes] = (await a.store.stateJournal.list())[0]!;
    const damaged = damage === 'a torn entry' ? bytes.subarray(0, bytes.length - 1) : bytes.subarray(32);
    await a.store.stateJournal.put(height, damaged);
    await a.close();
    const before = disk.open();
    const keysBefore = await countKeys(before);
    await before.close();
    try {
      await openChain(disk, genesis);
      t.fail(`${damage}: the chain opened`);
    } catch (err) {
      t.ok(hasCode(err, 'CORRUPT'), `${damage}: CORRUPT (${(err as Error).message})`);
    }
    const after = disk.open();
    t.equal(await countKeys(after), keysBefore, `${damage}: nothing was written`);
    await after.close();
  }
});

async function countKeys(store: ReturnType<MemoryDisk['open']>): Promise<number> {
  let n = 0;
  for await (const _ of store.entries({})) n++;
  return n;
}

t.test('a database from before the journal is taken as whole at its committed height', async (t) => {
  const disk = new MemoryDisk();
  const a = await openChain(disk, genesis);
  await commitTransfers(
    t,
    a,
    DEFAULT_FLUSH_COMMITS,
    USERS.map(() => 0n),
  );
  t.same(await journalHeights(a), [], 'a flush wrote the whole tree');
  // As a version that wrote every commit's nodes left it: no journal, no recorded tree height.
  await a.store.meta.del('stateTreeHeight');
  t.equal(a.store.stateTreeHeight(), null);
  await a.close();
  const b = await openChain(disk, genesis);
  t.equal(b.store.stateTreeHeight(), DEFAULT_FLUSH_COMMITS, 'recorded at the committed height on open');
  t.equal(leavesOnDisk(b).length, USERS.length + 1);
  await b.close();
});
