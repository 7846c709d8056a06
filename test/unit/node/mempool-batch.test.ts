/** node/mempool: the gossip batch codec and the TxBatcher's flush rules. */
import t from 'tap';
import { encode, list, bytesMax, struct } from '../../../core/codec.js';
import { hasCode } from '../../../core/errors.js';
import fc from 'fast-check';
import {
  decodeTxBatch,
  decodeTxBatchByCodec,
  encodeTxBatch,
  readCanonicalTxBatch,
} from '../../../node/mempool/batch.js';
import { byteMutation, mutate } from '../shards/wire-arbitraries.js';
import { TxBatcher, type BatcherTimers } from '../../../node/mempool/batcher.js';
import { MAX_GOSSIP_BYTES, MAX_TX_BYTES } from '../../../node/mempool/options.js';

const tx = (i: number, size = 200) => new Uint8Array(size).fill(i & 0xff);

/** Timers whose clock the test moves by hand. */
class ManualTimers implements BatcherTimers {
  now = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, p] of [...this.pending]) {
      if (p.at <= this.now) {
        this.pending.delete(id);
        p.fn();
      }
    }
  }
  get armed(): number {
    return this.pending.size;
  }
}

t.test('batch codec round-trips and is canonical', async (t) => {
  const txs = [tx(1), tx(2, 4096), tx(3, 1)];
  const bytes = encodeTxBatch(txs);
  t.same(
    decodeTxBatch(bytes).map((b) => Buffer.from(b)),
    txs.map((b) => Buffer.from(b)),
  );
  t.same(decodeTxBatch(encodeTxBatch([])), []);

  const trailing = Uint8Array.of(...bytes, 0);
  t.throws(() => decodeTxBatch(trailing), { code: 'MALFORMED' }, 'trailing bytes');
  t.throws(() => decodeTxBatch(Uint8Array.of(0xc1)), { code: 'MALFORMED' }, 'not msgpack');
  const otherVersion = encode(struct('B', [['txs', list(bytesMax(MAX_TX_BYTES), 10)]] as const, 2), {
    txs: [tx(1)],
  });
  t.throws(() => decodeTxBatch(otherVersion), { code: 'MALFORMED' }, 'unknown version');
  const bigItem = encode(struct('B', [['txs', list(bytesMax(10_000), 10)]] as const, 1), {
    txs: [tx(1, MAX_TX_BYTES + 1)],
  });
  t.throws(() => decodeTxBatch(bigItem), { code: 'MALFORMED' }, 'an item over 4 KiB');
  t.throws(() => encodeTxBatch([tx(1, MAX_TX_BYTES + 1)]), { code: 'MALFORMED' });
});

t.test('a batch in array16 form below 16 items is declined, and the codec rejects it', async (t) => {
  const bytes = encodeTxBatch([tx(1), tx(2)]);
  t.equal(bytes[2], 0x92, 'two items: a fixarray header');
  const wide = Uint8Array.from([0x92, 0x01, 0xdc, 0x00, 0x02, ...bytes.subarray(3)]);
  t.equal(readCanonicalTxBatch(wide), undefined, 'declined by the direct reader');
  t.throws(() => decodeTxBatchByCodec(wide), 'and the codec rejects it');
});

t.test('a batch over the gossip cap is refused both ways', async (t) => {
  const many = Array.from({ length: 600 }, (_, i) => tx(i, 4000)); // ~2.4 MB
  t.throws(() => encodeTxBatch(many), { code: 'TOO_LARGE' });
  t.throws(() => decodeTxBatch(new Uint8Array(MAX_GOSSIP_BYTES + 1)), { code: 'TOO_LARGE' });
  try {
    decodeTxBatch(new Uint8Array(MAX_GOSSIP_BYTES + 1));
  } catch (err) {
    t.equal((err as { verdict: string }).verdict, 'REJECT');
  }
});

t.test('the batcher flushes after maxDelayMs', async (t) => {
  const timers = new ManualTimers();
  const published: Uint8Array[][] = [];
  const b = new TxBatcher(
    { publish: (batch) => void published.push(decodeTxBatch(batch)), timers },
    { maxDelayMs: 25, maxTxs: 100 },
  );
  b.add(tx(1));
  timers.advance(10);
  b.add(tx(2));
  t.equal(published.length, 0, 'nothing before the delay');
  t.equal(timers.armed, 1, 'one timer for the batch, armed by its first transaction');
  timers.advance(15);
  t.equal(published.length, 1);
  t.same(
    published[0]!.map((x) => x[0]),
    [1, 2],
  );
  t.equal(b.size, 0);
  timers.advance(100);
  t.equal(published.length, 1, 'no empty batch');
  t.equal(timers.armed, 0);
});

t.test('the batcher flushes at maxTxs without waiting', async (t) => {
  const timers = new ManualTimers();
  const published: Uint8Array[][] = [];
  const b = new TxBatcher(
    { publish: (batch) => void published.push(decodeTxBatch(batch)), timers },
    { maxDelayMs: 1000, maxTxs: 3 },
  );
  for (let i = 0; i < 7; i++) b.add(tx(i));
  t.same(
    published.map((p) => p.length),
    [3, 3],
  );
  t.equal(b.size, 1);
  t.same(b.stats, { batches: 2, txs: 6 });
  b.close();
  t.same(
    published.map((p) => p.length),
    [3, 3, 1],
    'close flushes the rest',
  );
  b.add(tx(9));
  t.equal(b.size, 0, 'closed: dropped');
});

t.test('the batcher never builds a batch over maxBytes', async (t) => {
  const timers = new ManualTimers();
  const sizes: number[] = [];
  const counts: number[] = [];
  const maxBytes = 10_000;
  const b = new TxBatcher(
    {
      publish: (batch, txs) => {
        sizes.push(batch.length);
        counts.push(txs.length);
      },
      timers,
    },
    { maxDelayMs: 5, maxTxs: 1000, maxBytes },
  );
  for (let i = 0; i < 10; i++) b.add(tx(i, 4000));
  timers.advance(5);
  t.same(counts, [2, 2, 2, 2, 2]);
  t.ok(
    sizes.every((s) => s <= maxBytes),
    `sizes ${sizes.join(',')}`,
  );
  t.throws(() => b.add(tx(1, MAX_TX_BYTES + 1)), { code: 'TOO_LARGE' });
});

t.test('a failing publish is reported and the batcher goes on', async (t) => {
  const timers = new ManualTimers();
  const errors: unknown[] = [];
  let calls = 0;
  const b = new TxBatcher(
    {
      publish: async () => {
        calls++;
        throw new Error('no peers');
      },
      onError: (e) => errors.push(e),
      timers,
    },
    { maxTxs: 1 },
  );
  b.add(tx(1));
  b.add(tx(2));
  await new Promise((r) => setImmediate(r));
  t.equal(calls, 2);
  t.equal(errors.length, 2);
});

t.test('bad batcher options', async (t) => {
  for (const o of [{ maxTxs: 0 }, { maxDelayMs: -1 }, { maxBytes: 100 }]) {
    try {
      new TxBatcher({ publish: () => {} }, o);
      t.fail(JSON.stringify(o));
    } catch (err) {
      t.ok(hasCode(err, 'BAD_OPTIONS'), JSON.stringify(o));
    }
  }
});

t.test('with real timers a lone transaction is flushed', async (t) => {
  const got = await new Promise<number>((resolve) => {
    const b = new TxBatcher({ publish: (_batch, txs) => resolve(txs.length) }, { maxDelayMs: 5 });
    b.add(tx(1));
  });
  t.equal(got, 1);
});

/** The general decoder's verdict as plain arrays, or null when it rejects. */
function byCodec(bytes: Uint8Array): number[][] | null {
  try {
    return decodeTxBatchByCodec(bytes).map((b) => Array.from(b));
  } catch {
    return null;
  }
}

/** Up to 40 items (array16 from 16) of 0 to 600 bytes (bin16 from 256). */
const itemsArb = fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 40 });

t.test(
  'the direct batch reader reads every batch as the codec does, and declines what the codec rejects',
  async (t) => {
    fc.assert(
      fc.property(itemsArb, (items) => {
        const direct = readCanonicalTxBatch(encodeTxBatch(items));
        return (
          direct !== undefined &&
          JSON.stringify(direct.map((b) => Array.from(b))) === JSON.stringify(items.map((b) => Array.from(b)))
        );
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(itemsArb, fc.array(byteMutation(9), { minLength: 1, maxLength: 3 }), (items, ms) => {
        const bytes = mutate(encodeTxBatch(items), ms);
        const direct = readCanonicalTxBatch(bytes);
        if (direct === undefined) return true;
        const general = byCodec(bytes);
        return (
          general !== null && JSON.stringify(direct.map((b) => Array.from(b))) === JSON.stringify(general)
        );
      }),
      { numRuns: 3000 },
    );
    t.pass('500 batches read, 3,000 damaged ones never read otherwise than the codec');
    // A 10-byte item in bin16 (the codec writes bin8): declined, then rejected.
    const longForm = Uint8Array.from([0x92, 0x01, 0x91, 0xc5, 0x00, 0x0a, ...new Uint8Array(10)]);
    t.equal(readCanonicalTxBatch(longForm), undefined, 'a non-minimal length is declined');
    t.ok(
      hasCode(
        trap(() => decodeTxBatch(longForm)),
        'MALFORMED',
      ),
      'and the batch is rejected as MALFORMED',
    );
  },
);

function trap(fn: () => unknown): unknown {
  try {
    fn();
    return null;
  } catch (err) {
    return err;
  }
}
