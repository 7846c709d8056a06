/**
 * node/chain: the BlockExecutor adapter over the shard state machine.
 * Execution before the vote (own proposals and peers' blocks agree on the
 * roots), overlays per uncommitted block, the commit as one atomic batch,
 * and recovery: a restarted chain re-executes its persisted uncommitted
 * blocks and reaches the same state root.
 */
import t from 'tap';
import { blockId } from '../../../consensus/messages.js';
import { genesisQc } from '../../../consensus/engine.js';
import type { Block, QuorumCert } from '../../../consensus/types.js';
import { equalBytes, toHex } from '../../../core/bytes.js';
import { hasCode } from '../../../core/errors.js';
import { decodeShardPayload, encodeShardPayload } from '../../../shards/payload.js';
import { MemoryDisk } from '../../../node/storage/index.js';
import { decodeReceipt, ReceiptStatus } from '../../../shards/receipt.js';
import {
  GENESIS_TIME,
  INITIAL,
  FEE,
  USERS,
  balanceOf,
  certify,
  makeBlock,
  openChain,
  testGenesis,
  transfer,
} from './chain-fixtures.js';

const genesis = testGenesis();
const [alice, bob, carol] = USERS as [(typeof USERS)[0], (typeof USERS)[0], (typeof USERS)[0]];

/** True when `p` rejects with a HotshardError of `code`. */
async function failsWith(p: Promise<unknown>, code: string): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (err) {
    return hasCode(err, code);
  }
}

/** Builds a block as a leader does: payload from the mempool on `parent`, then the block around it. */
async function propose(
  c: Awaited<ReturnType<typeof openChain>>,
  parent: Block,
  qc: QuorumCert,
  round: number,
): Promise<Block> {
  const ts = GENESIS_TIME + round * 1000;
  const payload = await c.chain.buildPayload(parent, round, parent.height + 1, ts);
  return makeBlock(c.chain, parent, qc, payload, round, ts);
}

t.test('genesis: block, state and metadata are written once; another genesis is refused', async (t) => {
  const disk = new MemoryDisk();
  const a = await openChain(disk, genesis);
  t.equal(a.chain.tip.height, 0);
  t.ok(equalBytes(a.chain.tip.id, blockId(a.chain.genesisBlock)));
  t.equal(balanceOf(a.chain, alice.address), INITIAL, 'genesis funds are in the committed state');
  t.equal(a.store.committedHeight(), 0);
  await a.close();
  // Reopening finds the same genesis; a different genesis is refused with a typed error.
  const again = await openChain(disk, genesis);
  t.equal(again.chain.tip.height, 0);
  await again.close();
  const other = testGenesis({ genesisTime: GENESIS_TIME + 1 });
  t.ok(
    await failsWith(openChain(disk, other), 'GENESIS_MISMATCH'),
    'another genesis is refused: GENESIS_MISMATCH',
  );
});

t.test('execute before the vote, overlays, one atomic commit, receipts and indexes', async (t) => {
  const disk = new MemoryDisk();
  const leader = await openChain(disk, genesis);
  const peer = await openChain(new MemoryDisk(), genesis);
  const g = leader.chain.genesisBlock;
  const domain = leader.chain.domain;

  const txs = [
    transfer(alice, 0n, bob.address, 500n),
    transfer(alice, 1n, carol.address, 700n),
    transfer(bob, 0n, carol.address, 100n),
  ];
  const admitted = await leader.mempool.addBatch(txs.map((x) => x.bytes));
  t.ok(
    admitted.every((r) => r.ok),
    'the mempool admits the transfers',
  );

  // Height 1: the leader builds, both execute; the roots agree.
  const b1 = await propose(leader, g, genesisQc(g), 1);
  t.equal(decodeShardPayload(b1.payload).transactions.length, 3, 'the block carries the pooled transfers');
  t.same(await leader.chain.execute(b1), { ok: true }, 'own proposal executes (reused from building)');
  t.same(await peer.chain.execute(b1), { ok: true }, "a peer's execution agrees with the block's roots");
  t.ok(equalBytes(leader.chain.viewOf(blockId(b1))!.root, peer.chain.viewOf(blockId(b1))!.root));
  // Execution wrote nothing: the committed state is still genesis.
  t.equal(balanceOf(leader.chain, bob.address), INITIAL);
  t.equal(leader.store.committedHeight(), 0);

  // Height 2 on the overlay of height 1: the same sender continues with nonce 2.
  await leader.mempool.addBatch([transfer(alice, 2n, bob.address, 1n).bytes]);
  const b2 = await propose(leader, b1, certify(domain, b1, g), 2);
  t.equal(
    decodeShardPayload(b2.payload).transactions.length,
    1,
    'transactions of the uncommitted parent are not selected again',
  );
  t.same(await leader.chain.execute(b2), { ok: true });
  t.same(await peer.chain.execute(b2), { ok: true });

  // A block whose claimed state root differs is refused and leaves no trace.
  const { header, transactions } = decodeShardPayload(b2.payload);
  const forged = encodeShardPayload({
    header: { ...header, stateRoot: new Uint8Array(32).fill(7) },
    transactions,
  });
  const bad = makeBlock(peer.chain, b1, certify(domain, b1, g), forged, 3, GENESIS_TIME + 3000);
  const verdict = await peer.chain.execute(bad);
  t.equal(verdict.ok, false);
  t.match(!verdict.ok && verdict.reason, /STATE_ROOT_MISMATCH/);
  t.notOk(peer.chain.hasState(blockId(bad)));

  // Commit height 1 with the certificate of its child (round 2 = 1 + 1: the 2-chain rule).
  const qc2 = certify(domain, b2, b1);
  await leader.chain.commit([b1], qc2);
  t.ok(leader.chain.hasState(blockId(b2)), 'execution goes on on the overlays while the commit is written');
  await leader.chain.flushed();
  t.equal(leader.chain.tip.height, 1);
  t.equal(leader.store.committedHeight(), 1);
  t.equal(balanceOf(leader.chain, bob.address), INITIAL + 500n - 100n - FEE);
  t.equal(balanceOf(leader.chain, alice.address), INITIAL - 500n - 700n - 2n * FEE);
  t.ok(
    equalBytes((await leader.store.commitCerts.get(1))!.voteData.commit!.id, blockId(b1)),
    'the commit certificate is stored at the height',
  );
  const receipt = decodeReceipt((await leader.store.receipts.get(txs[0]!.hash))!);
  t.equal(receipt.status, ReceiptStatus.SUCCESS);
  t.same(await leader.store.txLocations.get(txs[1]!.hash), { height: 1, index: 1 });
  t.equal(leader.mempool.size, 1, 'committed transactions left the mempool; the one of height 2 stays');
  t.ok(leader.chain.hasState(blockId(b2)), 'the overlay of height 2 survives the commit of its parent');

  // The same commit again (sync ran ahead) is a no-op; a conflicting block at a committed height is refused.
  await leader.chain.commit([b1], qc2);
  await leader.chain.flushed();
  t.equal(leader.chain.tip.height, 1);
  const rival = makeBlock(leader.chain, g, genesisQc(g), b1.payload, 1, b1.timestamp + 1);
  t.ok(
    await failsWith(leader.chain.commit([rival], qc2), 'COMMIT_CONFLICT'),
    'another block at a committed height is refused: COMMIT_CONFLICT',
  );

  // The peer commits both heights back to back: the second is staged while the first is being
  // written, and both land in order.
  const b3 = await propose(leader, b2, certify(domain, b2, b1), 3);
  t.same(await peer.chain.execute(b3), { ok: true });
  await peer.chain.commit([b1], qc2);
  await peer.chain.commit([b2], certify(domain, b3, b2));
  t.ok(
    await failsWith(peer.chain.commit([rival], qc2), 'COMMIT_CONFLICT'),
    'a block conflicting with a commit still being written is refused',
  );
  await peer.chain.flushed();
  t.equal(peer.chain.tip.height, 2);
  t.equal(peer.store.committedHeight(), 2);
  t.ok(equalBytes(peer.chain.tip.header.stateRoot, leader.chain.viewOf(blockId(b2))!.root));
  t.ok(equalBytes((await peer.store.blockIdByHeight.get(1))!, blockId(b1)), 'height 1 landed too');

  await leader.close();
  await peer.close();
});

t.test(
  'recovery: a restarted chain re-executes its uncommitted blocks and reaches the same state root',
  async (t) => {
    const disk = new MemoryDisk();
    const a = await openChain(disk, genesis);
    const g = a.chain.genesisBlock;
    const domain = a.chain.domain;
    await a.mempool.addBatch([transfer(carol, 0n, alice.address, 42n).bytes]);
    const b1 = await propose(a, g, genesisQc(g), 1);
    await a.chain.execute(b1);
    a.chain.persistUncommitted(b1);
    await a.mempool.addBatch([transfer(carol, 1n, bob.address, 43n).bytes]);
    const qc1 = certify(domain, b1, g);
    const b2 = await propose(a, b1, qc1, 2);
    await a.chain.execute(b2);
    a.chain.persistUncommitted(b2);
    const qc2 = certify(domain, b2, b1);
    a.chain.persistHighQc(qc2);
    await a.chain.commit([b1], qc2);
    await a.chain.flushed();
    const b3 = await propose(a, b2, qc2, 3);
    await a.chain.execute(b3);
    a.chain.persistUncommitted(b3);
    const rootBefore = a.chain.viewOf(blockId(b3))!.root;
    await a.close();

    // Restart on the same disk: the committed tip and the uncommitted blocks come back.
    const b = await openChain(disk, genesis);
    t.equal(b.chain.tip.height, 1, 'resumes at the committed height');
    const rec = await b.chain.recovery();
    t.ok(equalBytes(blockId(rec.root), blockId(b1)));
    t.ok(equalBytes(rec.rootCommitQc.voteData.commit!.id, blockId(b1)));
    t.same(
      rec.blocks.map((x) => x.height),
      [2, 3],
      'blocks at or below the committed height are not replayed',
    );
    t.equal(rec.highQc?.voteData.block.round, 2);
    for (const blk of rec.blocks) t.same(await b.chain.execute(blk), { ok: true });
    t.equal(
      toHex(b.chain.viewOf(blockId(b3))!.root),
      toHex(rootBefore),
      'the re-executed tip has the same state root',
    );
    await b.chain.commit(
      [b2, b3],
      certify(domain, { ...b3, round: 4, height: 4, parentId: blockId(b3) } as Block, b3),
    );
    await b.chain.flushed();
    t.equal(b.chain.tip.height, 3);
    t.equal(balanceOf(b.chain, bob.address), INITIAL + 43n);
    t.same(
      await b.store.listUncommitted(),
      [],
      'committed blocks left the uncommitted bucket in the same batch',
    );
    await b.close();
  },
);

t.test('a commit is all or nothing across a power cut', async (t) => {
  const disk = new MemoryDisk();
  const a = await openChain(disk, genesis);
  const g = a.chain.genesisBlock;
  const tx = transfer(bob, 0n, alice.address, 5n);
  await a.mempool.addBatch([tx.bytes]);
  const b1 = await propose(a, g, genesisQc(g), 1);
  await a.chain.execute(b1);
  const b2 = await propose(a, b1, certify(a.chain.domain, b1, g), 2);
  await a.chain.commit([b1], certify(a.chain.domain, b2, b1));
  await a.chain.flushed();
  t.equal(a.chain.tip.height, 1);
  // The commit was written without fsync: a machine crash now loses all of it, never a part.
  disk.powerCut();
  const b = await openChain(disk, genesis);
  t.equal(b.chain.tip.height, 0, 'the whole commit is gone');
  t.equal(balanceOf(b.chain, alice.address), INITIAL, 'no state of the lost commit');
  t.equal(await b.store.receipts.get(tx.hash), null, 'no receipt of the lost commit');
  t.equal(await b.store.blockIdByHeight.get(1), null, 'no block of the lost commit');
  await b.close();
});
