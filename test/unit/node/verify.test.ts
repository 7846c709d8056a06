/**
 * node/verify: the main-thread and pooled verifiers apply the same rule
 * (core/ed25519.ts `verify`), on random and edge-case signatures and on the
 * 12 ed25519-speccheck vectors; the cache by tx hash avoids re-verification.
 */
import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keyPairFromSeed, sign, verify } from '../../../core/ed25519.js';
import { fromHex } from '../../../core/bytes.js';
import { sha256 } from '../../../core/hash.js';
import { hasCode } from '../../../core/errors.js';
import {
  CachedTxVerifier,
  MainThreadVerifier,
  PooledVerifier,
  VerifiedTxCache,
  createSignatureVerifier,
  type SignatureVerifier,
  type VerifyItem,
} from '../../../node/verify/index.js';
import { isWellFormed, packBatch, packedCount, unpackBatch } from '../../../node/verify/packing.js';
import { chunkSizes } from '../../../node/verify/options.js';

const vectorsPath = fileURLToPath(new URL('../../vectors/ed25519-speccheck-cases.json', import.meta.url));
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as {
  message: string;
  pub_key: string;
  signature: string;
}[];
const SPECCHECK_ACCEPTED = new Set([0, 1, 2, 3, 11]);

const keys = Array.from({ length: 8 }, (_, i) => keyPairFromSeed(new Uint8Array(32).fill(i + 1)));

/** Valid signatures and every way of breaking one, with the expected verdict. */
function mixedItems(n: number): { items: VerifyItem[]; expected: boolean[] } {
  const items: VerifyItem[] = [];
  const expected: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const kp = keys[i % keys.length]!;
    const message = new Uint8Array(40 + (i % 7) * 30).fill(i & 0xff);
    const signature = sign(message, kp.seed);
    switch (i % 7) {
      case 0:
      case 1:
        items.push({ signature, message, publicKey: kp.publicKey });
        expected.push(true);
        break;
      case 2: // other message
        items.push({ signature, message: Uint8Array.of(...message, 1), publicKey: kp.publicKey });
        expected.push(false);
        break;
      case 3: {
        // flipped bit in S
        const bad = Uint8Array.from(signature);
        bad[40]! ^= 1;
        items.push({ signature: bad, message, publicKey: kp.publicKey });
        expected.push(false);
        break;
      }
      case 4: // other signer's key
        items.push({ signature, message, publicKey: keys[(i + 1) % keys.length]!.publicKey });
        expected.push(false);
        break;
      case 5: // truncated signature
        items.push({ signature: signature.subarray(0, 63), message, publicKey: kp.publicKey });
        expected.push(false);
        break;
      default: // a public key that is not a point, and an empty message
        items.push({ signature, message: new Uint8Array(0), publicKey: new Uint8Array(32).fill(0xff) });
        expected.push(false);
    }
  }
  return { items, expected };
}

const mainThread = new MainThreadVerifier();
// Small chunks so that even the tests' batches are split across both workers.
const pooled = new PooledVerifier({ threads: 2, maxChunk: 64, minChunk: 8 });
t.teardown(() => pooled.close());

const verifiers: [string, SignatureVerifier][] = [
  ['MainThreadVerifier', mainThread],
  ['PooledVerifier', pooled],
];

for (const [name, verifier] of verifiers) {
  t.test(`${name}: the 12 speccheck vectors give exactly cases 0, 1, 2, 3, 11`, async (t) => {
    const items = vectors.map((v) => ({
      signature: fromHex(v.signature),
      message: fromHex(v.message),
      publicKey: fromHex(v.pub_key),
    }));
    const got = await verifier.verifyBatch(items);
    t.same(
      got,
      vectors.map((_, i) => SPECCHECK_ACCEPTED.has(i)),
    );
  });

  t.test(`${name}: valid and broken signatures`, async (t) => {
    const { items, expected } = mixedItems(300);
    t.same(await verifier.verifyBatch(items), expected);
    t.same(await verifier.verifyBatch([]), []);
  });
}

t.test('pooled and main-thread verifiers agree with core verify on random inputs', async (t) => {
  const item = fc
    .record({
      key: fc.integer({ min: 0, max: keys.length - 1 }),
      message: fc.uint8Array({ maxLength: 300 }),
      corrupt: fc.option(fc.integer({ min: 0, max: 63 + 32 + 300 }), { nil: undefined }),
      sigLen: fc.constantFrom(64, 64, 64, 0, 63, 65),
    })
    .map(({ key, message, corrupt, sigLen }): VerifyItem => {
      const kp = keys[key]!;
      const sig = sign(message, kp.seed);
      const signature = sigLen === 64 ? Uint8Array.from(sig) : new Uint8Array(sigLen);
      const publicKey = Uint8Array.from(kp.publicKey);
      const msg = Uint8Array.from(message);
      if (corrupt !== undefined) {
        if (corrupt < 64) signature[corrupt]! ^= 0x80;
        else if (corrupt < 96) publicKey[corrupt - 64]! ^= 0x01;
        else if (msg.length > 0) msg[(corrupt - 96) % msg.length]! ^= 0x01;
      }
      return { signature, message: msg, publicKey };
    });
  await fc.assert(
    fc.asyncProperty(fc.array(item, { maxLength: 40 }), async (items) => {
      const expected = items.map((it) => verify(it.signature, it.message, it.publicKey));
      const [a, b] = await Promise.all([mainThread.verifyBatch(items), pooled.verifyBatch(items)]);
      return JSON.stringify(a) === JSON.stringify(expected) && JSON.stringify(b) === JSON.stringify(expected);
    }),
    { numRuns: 60 },
  );
  t.pass('agreement over 60 random batches');
});

t.test('concurrent batches on the pool keep their own results', async (t) => {
  const batches = [mixedItems(100), mixedItems(37), mixedItems(211)];
  const got = await Promise.all(batches.map((b) => pooled.verifyBatch(b.items)));
  got.forEach((g, i) => t.same(g, batches[i]!.expected));
});

t.test('a closed verifier rejects with VerifyError CLOSED', async (t) => {
  const m = new MainThreadVerifier();
  await m.close();
  await t.rejects(m.verifyBatch([]), { code: 'CLOSED' });
  const p = new PooledVerifier({ threads: 1 });
  await p.close();
  await p.close(); // idempotent
  await t.rejects(p.verifyBatch(mixedItems(3).items), { code: 'CLOSED' });
});

t.test(
  'the main-thread verifier: first slices at once, then urgent batches first, oldest first',
  async (t) => {
    const m = new MainThreadVerifier(8);
    const batches = [mixedItems(40), mixedItems(40), mixedItems(40)];
    const order: string[] = [];
    const normal = batches.map((b, i) =>
      m.verifyBatch(b.items).then((r) => {
        order.push(`normal ${i}`);
        return r;
      }),
    );
    t.equal(m.stats.normalSlices, 3, "every call's first slice runs at once");
    await new Promise((r) => setImmediate(r));
    t.equal(m.stats.normalSlices, 6, 'a turn runs as many slices as batches wait');
    const urgent = mixedItems(24);
    const urgentResult = m.verifyBatch(urgent.items, { urgent: true }).then((r) => {
      order.push('urgent');
      return r;
    });
    t.equal(m.stats.urgentSlices, 1);
    t.same(await urgentResult, urgent.expected);
    const got = await Promise.all(normal);
    got.forEach((g, i) => t.same(g, batches[i]!.expected, `batch ${i} keeps its own results`));
    t.same(order, ['urgent', 'normal 0', 'normal 1', 'normal 2'], 'urgent first, then oldest first');
    t.equal(m.stats.urgentSlices, 3);
    t.equal(m.stats.normalSlices, 15);
  },
);

t.test(
  'a block that needs signatures admission is still verifying raises that batch before the others',
  async (t) => {
    const inner = new MainThreadVerifier(8);
    const cached = new CachedTxVerifier(inner);
    const batch = (n: number, from: number) =>
      mixedItems(n).items.map((it, i) => ({ ...it, txHash: sha256(Uint8Array.of(from + i)) }));
    const [a, b, c] = [batch(40, 0), batch(40, 40), batch(40, 80)];
    const order: string[] = [];
    const admitted = [a, b, c].map((items, i) =>
      cached.verifyBatch(items).then(() => void order.push(`admission ${i}`)),
    );
    // A block holds one transaction of the last batch: it joins that batch and raises it.
    const block = cached.verifyBatch([c[7]!], { urgent: true }).then((r) => {
      order.push('block');
      return r;
    });
    t.equal(cached.stats.joined, 1, 'the block joined the running verification');
    t.same(await block, [true]);
    await Promise.all(admitted);
    t.same(order, ['admission 2', 'block', 'admission 0', 'admission 1'], 'the raised batch went first');
    t.equal(cached.stats.verified, 120, 'nothing verified twice');
  },
);

t.test('closing the main-thread verifier rejects the batches still queued', async (t) => {
  const m = new MainThreadVerifier(4);
  const first = m.verifyBatch(mixedItems(20).items);
  const second = m.verifyBatch(mixedItems(20).items, { urgent: true });
  await m.close();
  await t.rejects(first, { code: 'CLOSED' });
  await t.rejects(second, { code: 'CLOSED' });
});

t.test('bad pool options are refused', async (t) => {
  for (const opts of [{ threads: 0 }, { maxChunk: 1.5 }, { minChunk: 300, maxChunk: 256 }]) {
    try {
      new PooledVerifier(opts);
      t.fail(`accepted ${JSON.stringify(opts)}`);
    } catch (err) {
      t.ok(hasCode(err, 'BAD_OPTIONS'), JSON.stringify(opts));
    }
  }
  t.ok(
    createSignatureVerifier({ threads: 0 }) instanceof MainThreadVerifier,
    'threads 0 means the main thread',
  );
});

t.test('chunking spreads a batch over the workers within its bounds', async (t) => {
  const o = { threads: 2, maxChunk: 256, minChunk: 32 };
  t.same(chunkSizes(0, o), []);
  t.same(chunkSizes(10, o), [10], 'small batch: one chunk');
  t.same(chunkSizes(100, o), [50, 50], 'one chunk per worker');
  t.same(chunkSizes(2000, o), [256, 256, 256, 256, 256, 256, 256, 208], 'large batch: chunks of maxChunk');
  t.equal(
    chunkSizes(2000, o).reduce((a, b) => a + b, 0),
    2000,
  );
});

t.test('packing: one buffer round-trips every item; truncation is detected', async (t) => {
  const { items } = mixedItems(20);
  const wellFormed = items.filter(isWellFormed);
  const buf = packBatch(wellFormed);
  t.equal(packedCount(buf), wellFormed.length);
  const seen: VerifyItem[] = [];
  t.ok(unpackBatch(buf, (signature, message, publicKey) => seen.push({ signature, message, publicKey })));
  t.same(
    seen.map((s) => [Buffer.from(s.signature), Buffer.from(s.message), Buffer.from(s.publicKey)]),
    wellFormed.map((s) => [Buffer.from(s.signature), Buffer.from(s.message), Buffer.from(s.publicKey)]),
  );
  t.notOk(
    unpackBatch(buf.slice(0, buf.byteLength - 1), () => {}),
    'truncated',
  );
  t.equal(packedCount(new ArrayBuffer(2)), null);
  const lying = new ArrayBuffer(8);
  new DataView(lying).setUint32(0, 1000, true);
  t.equal(packedCount(lying), null, 'a count the buffer cannot hold');
});

/** Counts what reaches the real verifier behind the cache. */
class CountingVerifier implements SignatureVerifier {
  calls = 0;
  items = 0;
  constructor(private readonly inner: SignatureVerifier) {}
  verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]> {
    this.calls++;
    this.items += items.length;
    return this.inner.verifyBatch(items);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

t.test('the cache by tx hash avoids verifying a transaction twice', async (t) => {
  const counting = new CountingVerifier(mainThread);
  const cached = new CachedTxVerifier(counting, new VerifiedTxCache(1000));
  const { items, expected } = mixedItems(70);
  const hashed = items.map((it, i) => ({ ...it, txHash: sha256(Uint8Array.of(i)) }));

  t.same(await cached.verifyBatch(hashed), expected, 'admission');
  t.equal(counting.calls, 1, 'one call for the whole batch');
  t.equal(counting.items, 70);

  t.same(await cached.verifyBatch(hashed), expected, 'block execution');
  const valid = expected.filter(Boolean).length;
  t.equal(counting.items, 70 + (70 - valid), 'only the invalid ones were verified again');
  t.equal(cached.stats.hits, valid);
  t.ok(cached.isVerified(hashed[0]!.txHash));
  t.notOk(cached.isVerified(hashed[2]!.txHash), 'failures are never cached');

  const before = counting.items;
  t.same(await cached.verifyBatch([hashed[2]!, hashed[2]!, hashed[3]!]), [false, false, false]);
  t.equal(counting.items - before, 2, 'a hash repeated in one batch is verified once');
});

t.test('calls that overlap share one verification of a transaction, and its verdict', async (t) => {
  const counting = new CountingVerifier(mainThread);
  const cached = new CachedTxVerifier(counting, new VerifiedTxCache(1000));
  const { items, expected } = mixedItems(40);
  const hashed = items.map((it, i) => ({ ...it, txHash: sha256(Uint8Array.of(i)) }));
  // A proposal's transactions and, before their verdicts, the same ones again in gossip.
  const [first, second, third] = await Promise.all([
    cached.verifyBatch(hashed),
    cached.verifyBatch(hashed.slice(10)),
    cached.verifyBatch([hashed[3]!, hashed[39]!]),
  ]);
  t.same(first, expected, 'the first call');
  t.same(second, expected.slice(10), 'a second call over the same transactions');
  t.same(third, [expected[3], expected[39]], 'a third');
  t.equal(counting.items, 40, 'each signature was verified once');
  t.equal(cached.stats.joined, 32, 'the later calls waited for the first verdicts');

  // After the verdicts: the valid ones are cached, the invalid ones verified again.
  const before = counting.items;
  t.same(await cached.verifyBatch(hashed), expected);
  t.equal(counting.items - before, expected.filter((ok) => !ok).length, 'only the invalid ones again');
});

t.test(
  'an overlapping call sees the verifier fail as the first call does, and nothing stays in flight',
  async (t) => {
    let fail = true;
    const flaky: SignatureVerifier = {
      verifyBatch: (items) =>
        fail ? Promise.reject(new Error('verifier down')) : mainThread.verifyBatch(items),
      close: () => Promise.resolve(),
    };
    const cached = new CachedTxVerifier(flaky, new VerifiedTxCache(10));
    const { items, expected } = mixedItems(4);
    const hashed = items.map((it, i) => ({ ...it, txHash: sha256(Uint8Array.of(100 + i)) }));
    const [a, b] = await Promise.allSettled([cached.verifyBatch(hashed), cached.verifyBatch(hashed)]);
    t.equal(a.status, 'rejected');
    t.equal(b.status, 'rejected', 'the waiting call gets the same failure');
    // A call with items of its own and items another call is verifying, both failing: no stray rejection.
    const stray: unknown[] = [];
    const onStray = (err: unknown): void => void stray.push(err);
    process.on('unhandledRejection', onStray);
    const [c, d] = await Promise.allSettled([
      cached.verifyBatch(hashed.slice(0, 2)),
      cached.verifyBatch(hashed.slice(1)),
    ]);
    await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onStray);
    t.equal(c.status, 'rejected');
    t.equal(d.status, 'rejected');
    t.same(stray, [], 'no unhandled rejection');
    fail = false;
    t.same(await cached.verifyBatch(hashed), expected, 'later calls verify afresh');
  },
);

t.test('the verified-tx cache is bounded, oldest first out', async (t) => {
  const c = new VerifiedTxCache(3);
  const h = (i: number) => sha256(Uint8Array.of(i));
  c.add(h(1));
  c.add(h(2));
  c.add(h(3));
  c.add(h(2));
  t.equal(c.size, 3, 'adding a known hash adds nothing');
  t.ok(c.has(h(1)), 'a hit does not move the entry');
  c.add(h(4));
  t.equal(c.size, 3);
  t.notOk(c.has(h(1)), 'the oldest insertion evicted');
  t.ok(c.has(h(2)) && c.has(h(3)) && c.has(h(4)));
  c.delete(h(2));
  t.notOk(c.has(h(2)));
  t.throws(() => new VerifiedTxCache(0));
});

t.test(
  'the worker function: packed batch in, one byte per signature out; malformed input throws',
  async (t) => {
    const { default: verifyPacked } = await import('../../../node/verify/worker.js');
    const { valueSymbol } = await import('piscina');
    const { items, expected } = mixedItems(14);
    const wellFormed = items.filter(isWellFormed);
    const out = (verifyPacked(packBatch(wellFormed)) as Record<symbol, Uint8Array>)[valueSymbol]!;
    t.same(
      [...out].map((b) => b === 1),
      expected.filter((_, i) => isWellFormed(items[i]!)),
    );
    t.throws(() => verifyPacked(new ArrayBuffer(3)));
    t.throws(() => verifyPacked(packBatch(wellFormed).slice(0, 200)));
  },
);
