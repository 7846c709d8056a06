import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bucket,
  BUCKET_NAMES,
  ChainStore,
  LevelKvStore,
  MemoryDisk,
  MemoryKvStore,
  NodeDatabase,
  StorageError,
  bytes32Key,
  bytesValue,
  canonicalValue,
  reusedBucketNumbers,
  singletonKey,
  stringKey,
  uintKey,
  type KvStore,
} from '../../../node/storage/index.js';
import { MetricsRegistry } from '../../../node/metrics/index.js';
import { blockId, blockInfo } from '../../../consensus/messages.js';
import type { Block, BlockInfo, QuorumCert } from '../../../consensus/types.js';
import { str, struct, u128, uint } from '../../../core/codec.js';
import { byteKey, equalBytes } from '../../../core/bytes.js';
import { sha256 } from '../../../core/hash.js';

const Account = struct('Account', [
  ['nonce', uint],
  ['balance', u128],
  ['name', str(32)],
] as const);

/** The part of a tap test the helpers use. */
type Teardown = { teardown(fn: () => unknown): void };

function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'hotshard-storage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Both real stores: every repository behaviour must hold on LevelDB and on the memory disk. */
const stores: [string, (t: Teardown) => Promise<KvStore>][] = [
  ['level', async (t) => LevelKvStore.open({ path: tempDir(t) })],
  ['memory', async () => MemoryKvStore.create()],
];

const GENESIS_ID = new Uint8Array(32);

function qc(block: BlockInfo, parent: BlockInfo, commit: BlockInfo | null): QuorumCert {
  return {
    voteData: { block, parent, commit },
    signers: new Uint8Array([0b1011]),
    signatures: [new Uint8Array(64).fill(1), new Uint8Array(64).fill(2), new Uint8Array(64).fill(3)],
  };
}

/** A parent-linked chain of `n` blocks at consecutive rounds; block i carries the QC of block i-1. */
function chain(n: number): Block[] {
  const out: Block[] = [];
  let parentInfo: BlockInfo = { id: GENESIS_ID, round: 0, height: 0 };
  let grand = parentInfo;
  for (let h = 1; h <= n; h++) {
    const payload = new Uint8Array([h, h, h]);
    const b: Block = {
      version: 1,
      chainId: 7,
      committeeId: 3,
      epoch: 1,
      round: h,
      height: h,
      parentId: parentInfo.id,
      proposer: h % 4,
      timestamp: 1_700_000_000_000 + h,
      payloadDigest: sha256(payload),
      payload,
      qc: qc(parentInfo, grand, null),
      tc: null,
    };
    out.push(b);
    grand = parentInfo;
    parentInfo = blockInfo(b);
  }
  return out;
}

/** The QC over `child` whose commit info names `parent` (2-chain commit). */
function commitQcFor(parent: Block, child: Block): QuorumCert {
  return qc(blockInfo(child), blockInfo(parent), blockInfo(parent));
}

for (const [kind, open] of stores) {
  t.test(`${kind}: repositories round-trip typed values and keep buckets and committees apart`, async (t) => {
    const db = new NodeDatabase(await open(t));
    t.teardown(() => db.close());
    const accounts0 = db.repository(Bucket.accountIndex, 0, bytes32Key, canonicalValue(Account));
    const accounts1 = db.repository(Bucket.accountIndex, 1, bytes32Key, canonicalValue(Account));
    const receipts0 = db.repository(Bucket.receiptByTxHash, 0, bytes32Key, bytesValue);
    const k = sha256(new Uint8Array([1]));
    const big = (1n << 100n) + 5n;
    await accounts0.put(k, { nonce: 3, balance: big, name: 'alice' });
    await receipts0.put(k, new Uint8Array([9, 9]));

    t.same(await accounts0.get(k), { nonce: 3, balance: big, name: 'alice' });
    t.same(accounts0.getSync(k), { nonce: 3, balance: big, name: 'alice' }, 'getSync reads the same value');
    t.equal(await accounts1.get(k), null, 'another committee does not see it');
    t.same(await receipts0.get(k), new Uint8Array([9, 9]));
    t.equal(await accounts0.has(sha256(new Uint8Array([2]))), false);

    await accounts0.del(k);
    t.equal(await accounts0.get(k), null, 'deleted');
    t.same(await receipts0.get(k), new Uint8Array([9, 9]), 'the other bucket keeps its record');
  });

  t.test(`${kind}: getMany, ranges in height order, last()`, async (t) => {
    const db = new NodeDatabase(await open(t));
    t.teardown(() => db.close());
    const ids = db.repository(Bucket.blockIdByHeight, 2, uintKey, bytesValue);
    const other = db.repository(Bucket.blockIdByHeight, 3, uintKey, bytesValue);
    const batch = db.batch();
    // Heights that sort wrongly as decimal strings or little-endian bytes.
    for (const h of [1, 2, 9, 10, 255, 256, 65_536, 2 ** 40]) batch.put(ids, h, new Uint8Array([h % 251]));
    batch.put(other, 5, new Uint8Array([1]));
    await batch.commit();

    const many = await ids.getMany([10, 3, 256, 2 ** 40]);
    t.same(many, [new Uint8Array([10]), null, new Uint8Array([5]), new Uint8Array([2 ** 40 % 251])]);
    t.same(
      (await ids.list()).map(([h]) => h),
      [1, 2, 9, 10, 255, 256, 65_536, 2 ** 40],
      'keys in numeric order, committee 3 excluded',
    );
    t.same(
      (await ids.list({ gte: 9, lt: 256 })).map(([h]) => h),
      [9, 10, 255],
    );
    t.same(
      (await ids.list({ gt: 9, lte: 256, reverse: true })).map(([h]) => h),
      [256, 255, 10],
    );
    t.same(
      (await ids.list({ limit: 2 })).map(([h]) => h),
      [1, 2],
    );
    t.same((await ids.last())?.[0], 2 ** 40);
    t.equal(await db.repository(Bucket.blockIdByHeight, 9, uintKey, bytesValue).last(), null, 'empty bucket');
  });

  t.test(`${kind}: a batch is atomic, refuses bad values before writing, and commits once`, async (t) => {
    const db = new NodeDatabase(await open(t));
    t.teardown(() => db.close());
    const accounts = db.repository(Bucket.accountIndex, 0, bytes32Key, canonicalValue(Account));
    const meta = db.repository(Bucket.chainMeta, 0, stringKey, bytesValue);
    const k1 = sha256(new Uint8Array([1]));
    const batch = db.batch();
    batch.put(accounts, k1, { nonce: 1, balance: 10n, name: 'a' });
    batch.put(meta, 'x', new Uint8Array([1]));
    t.throws(
      () => batch.put(accounts, k1, { nonce: -1, balance: 10n, name: 'a' }),
      { code: 'BAD_VALUE' },
      'bad value refused at put',
    );
    t.throws(() => batch.put(accounts, new Uint8Array(31), { nonce: 1, balance: 1n, name: 'a' }), {
      code: 'BAD_KEY',
    });
    t.equal(await accounts.get(k1), null, 'nothing written before commit');
    t.equal(batch.length, 2);
    await batch.commit();
    t.same(await accounts.get(k1), { nonce: 1, balance: 10n, name: 'a' });
    t.same(await meta.get('x'), new Uint8Array([1]));
    await t.rejects(batch.commit(), { code: 'BATCH_DONE' });
    t.throws(() => batch.put(meta, 'y', new Uint8Array()), { code: 'BATCH_DONE' });
  });

  t.test(`${kind}: a value that does not decode is CORRUPT, never absent`, async (t) => {
    const db = new NodeDatabase(await open(t));
    t.teardown(() => db.close());
    const raw = db.repository(Bucket.accountIndex, 0, bytes32Key, bytesValue);
    const typed = db.repository(Bucket.accountIndex, 0, bytes32Key, canonicalValue(Account));
    const k = sha256(new Uint8Array([7]));
    await raw.put(k, new Uint8Array([0x93, 0xc1, 0xc1, 0xc1]));
    await t.rejects(typed.get(k), { code: 'CORRUPT' });
    t.throws(() => typed.getSync(k), StorageError);
  });
}

t.test(
  'ChainStore: a commit writes blocks, ids, certificate, state, receipts and height in one batch',
  async (t) => {
    const metrics = new MetricsRegistry();
    const db = new NodeDatabase(MemoryKvStore.create(), { metrics });
    t.teardown(() => db.close());
    const store = new ChainStore(db, 3);
    const blocks = chain(6);
    t.equal(store.committedHeight(), null);

    // Blocks 1..3 are committed by the QC of block 4 (round 4 = round 3 + 1).
    const batch = db.batch();
    store.stageCommit(batch, blocks.slice(0, 3), commitQcFor(blocks[2]!, blocks[3]!));
    const nodeHash = sha256(new Uint8Array([1]));
    store.stageStateNodes(batch, [[byteKey(nodeHash), new Uint8Array(65).fill(7)]]);
    t.throws(
      () => store.stageStateNodes(db.batch(), [['short', new Uint8Array(65)]]),
      { code: 'BAD_KEY' },
      'a node key that is not a 32-byte hash is refused',
    );
    batch.put(store.receipts, sha256(new Uint8Array([2])), new Uint8Array([1, 2, 3]));
    batch.put(store.txLocations, sha256(new Uint8Array([2])), { height: 2, index: 0 });
    t.equal(store.committedHeight(), null, 'staging writes nothing');
    await batch.commit();

    t.equal(store.committedHeight(), 3);
    const got = await store.committedBlocks(1, 10);
    t.same(
      got.map((c) => c.height),
      [1, 2, 3],
    );
    t.ok(
      got.every((c, i) => equalBytes(c.id, blockId(blocks[i]!)) && equalBytes(blockId(c.block), c.id)),
      'blocks read back hash to their ids',
    );
    t.same(
      store.stateNodeReader().getNode(nodeHash),
      new Uint8Array(65).fill(7),
      'a node staged by its key string is read by its hash',
    );
    t.same(await store.txLocations.get(sha256(new Uint8Array([2]))), { height: 2, index: 0 });
    const cert = await store.commitCertAtOrAbove(1);
    t.equal(cert?.height, 3, 'the certificate of height 3 proves heights 1..3');
    t.same(cert?.qc.voteData.commit, blockInfo(blocks[2]!));
    t.ok(metrics.expose().includes('hotshard_db_write_seconds_count{sync="false"} 1'), 'write time measured');

    // The next commit must continue at height 4 and be linked.
    t.throws(
      () => store.stageCommit(db.batch(), blocks.slice(4, 5), commitQcFor(blocks[4]!, blocks[5]!)),
      { code: 'BAD_VALUE' },
      'gap refused',
    );
    t.throws(
      () => store.stageCommit(db.batch(), [blocks[3]!, blocks[5]!], commitQcFor(blocks[5]!, blocks[5]!)),
      { code: 'BAD_VALUE' },
      'unlinked refused',
    );
    t.throws(
      () => store.stageCommit(db.batch(), [blocks[3]!], commitQcFor(blocks[4]!, blocks[5]!)),
      { code: 'BAD_VALUE' },
      'certificate of another block refused',
    );

    await store.putUncommitted(blocks[3]!);
    await store.putUncommitted(blocks[4]!);
    t.same(
      (await store.listUncommitted()).map((b) => b.height),
      [4, 5],
    );
    const b2 = db.batch();
    store.stageCommit(b2, [blocks[3]!], commitQcFor(blocks[3]!, blocks[4]!));
    await b2.commit();
    t.equal(store.committedHeight(), 4);
    t.same(
      (await store.listUncommitted()).map((b) => b.height),
      [5],
      'committed blocks leave the uncommitted bucket in the same batch',
    );
    t.same((await store.blockAtHeight(4))?.payload, blocks[3]!.payload);
  },
);

t.test('ChainStore: the genesis hash is set once and guards against another network', async (t) => {
  const db = new NodeDatabase(MemoryKvStore.create());
  t.teardown(() => db.close());
  const store = new ChainStore(db, 0);
  await store.initGenesis(new Uint8Array(32).fill(1));
  await store.initGenesis(new Uint8Array(32).fill(1));
  await t.rejects(store.initGenesis(new Uint8Array(32).fill(2)), { code: 'CORRUPT' });
});

t.test(
  'LevelDB: data survives close and reopen; a second open of a held database fails with IO',
  async (t) => {
    const dir = tempDir(t);
    const db = await NodeDatabase.open(dir);
    const meta = db.repository(Bucket.chainMeta, 0, stringKey, bytesValue);
    await meta.put('k', new Uint8Array([4, 2]), { sync: true });
    await t.rejects(NodeDatabase.open(dir), { code: 'IO' }, 'LevelDB lock');
    await db.close();
    const again = await NodeDatabase.open(dir);
    t.same(
      await again.repository(Bucket.chainMeta, 0, stringKey, bytesValue).get('k'),
      new Uint8Array([4, 2]),
    );
    await again.close();
    await t.rejects(meta.get('k'), { code: 'CLOSED' });
  },
);

t.test('writes of one lane land in the order issued', async (t) => {
  const db = new NodeDatabase(await LevelKvStore.open({ path: tempDir(t) }));
  t.teardown(() => db.close());
  const meta = db.repository(Bucket.chainMeta, 0, stringKey, bytesValue);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) writes.push(meta.put('h', new Uint8Array([i])));
  await Promise.all(writes);
  t.same(await meta.get('h'), new Uint8Array([199]), 'the last write issued wins');
});

t.test(
  'level: batches of puts and deletes land through the raw batch; a closed store refuses with CLOSED',
  async (t) => {
    const store = await LevelKvStore.open({ path: tempDir(t) });
    const k = (i: number): Uint8Array => new Uint8Array([7, i]);
    await store.write(
      [
        { type: 'put', key: k(1), value: new Uint8Array([1]) },
        { type: 'put', key: Buffer.from(k(2)), value: Buffer.from([2]) },
        { type: 'put', key: k(3), value: new Uint8Array([3]) },
      ],
      { sync: false },
    );
    await store.write([{ type: 'del', key: k(3) }], { sync: true });
    t.same(await store.getMany([k(1), k(2), k(3)]), [new Uint8Array([1]), new Uint8Array([2]), undefined]);
    await store.close();
    await t.rejects(store.write([{ type: 'put', key: k(4), value: k(4) }], { sync: false }), {
      code: 'CLOSED',
    });
  },
);

t.test('memory disk: a power cut drops exactly the writes not covered by a synced write', async (t) => {
  const disk = new MemoryDisk();
  let db = new NodeDatabase(disk.open());
  let meta = db.repository(Bucket.chainMeta, 0, stringKey, bytesValue);
  await meta.put('a', new Uint8Array([1])); // unsynced
  await meta.put('b', new Uint8Array([2]), { sync: true }); // flushes a too
  await meta.put('c', new Uint8Array([3])); // unsynced
  t.equal(disk.pendingUnsynced, 1);
  t.equal(disk.powerCut(), 1);
  await t.rejects(meta.get('a'), { code: 'CLOSED' }, 'the store of the dead process is gone');

  db = new NodeDatabase(disk.open());
  meta = db.repository(Bucket.chainMeta, 0, stringKey, bytesValue);
  t.same(await meta.get('a'), new Uint8Array([1]), 'an earlier write made durable by a later synced one');
  t.same(await meta.get('b'), new Uint8Array([2]));
  t.equal(await meta.get('c'), null, 'the unsynced write is lost');

  // A clean close keeps unsynced writes (page cache), as a process exit does.
  await meta.put('d', new Uint8Array([4]));
  await db.close();
  db = new NodeDatabase(disk.open());
  t.same(await db.repository(Bucket.chainMeta, 0, stringKey, bytesValue).get('d'), new Uint8Array([4]));
  t.throws(() => disk.open(), { code: 'IO' }, 'one open store at a time');
  await db.close();
});

t.test('the bucket table never reuses a number and names every bucket', async (t) => {
  t.same(reusedBucketNumbers(), []);
  t.equal(BUCKET_NAMES.get(Bucket.safetyData), 'safetyData');
  const keys = Object.keys(Bucket).filter((k) => Number.isNaN(Number(k)));
  t.equal(BUCKET_NAMES.size, keys.length);
  t.ok(
    [...BUCKET_NAMES.keys()].every((n) => n > 0 && n < 256),
    'one-byte prefixes',
  );
  t.throws(() => uintKey.encode(-1), { code: 'BAD_KEY' });
  t.throws(() => uintKey.encode(1.5), { code: 'BAD_KEY' });
  t.same(singletonKey.encode(null), new Uint8Array(0));
});
