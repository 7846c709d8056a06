/**
 * The direct writer and reader of account state values against the general
 * codec, the definition of canonical: the writer produces the codec's bytes
 * for every account it accepts, and the reader, on every input tried, either
 * declines or decodes exactly what the codec decodes, never accepting what
 * the codec rejects.
 */
import t from 'tap';
import fc from 'fast-check';
import { toHex } from '../../../core/bytes.js';
import {
  MAX_ASSETS_PER_ACCOUNT,
  decodeStateEntryByCodec,
  encodeStateEntryByCodec,
  type Balances,
} from '../../../shards/account.js';
import { readAccountEntry, writeAccountEntry } from '../../../shards/account-wire.js';
import { byteMutation, mutate, uintNear } from './wire-arbitraries.js';

const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;

const nonceArb = uintNear(U64_MAX);
const amountArb = fc.oneof(fc.constantFrom(0n, 1n, U128_MAX), fc.bigInt({ min: 0n, max: U128_MAX }));
/** Up to 20 assets (array16 from 16), some with zero balances (not stored). */
const balancesArb: fc.Arbitrary<Balances> = fc
  .array(fc.tuple(fc.uint8Array({ minLength: 20, maxLength: 20 }), amountArb), { maxLength: 20 })
  .map((pairs) => new Map(pairs.map(([a, v]) => [toHex(a), v])));

function codecVerdict(bytes: Uint8Array): unknown {
  try {
    const e = decodeStateEntryByCodec(bytes);
    return e.type === 'account' ? e.value : null;
  } catch {
    return null;
  }
}

function plain(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? `${x}n` : x instanceof Map ? [...x.entries()].sort() : x,
  );
}

t.test('the writer writes the codec bytes of every account', async (t) => {
  fc.assert(
    fc.property(nonceArb, balancesArb, (nonce, balances) => {
      const direct = writeAccountEntry(nonce, balances, MAX_ASSETS_PER_ACCOUNT);
      const general = encodeStateEntryByCodec({ type: 'account', value: { nonce, balances } });
      return direct !== undefined && Buffer.from(direct).equals(general);
    }),
    { numRuns: 2000 },
  );
  t.pass('2,000 accounts');
  t.equal(writeAccountEntry(U64_MAX + 1n, new Map(), MAX_ASSETS_PER_ACCOUNT), undefined, 'a nonce above u64');
  t.equal(
    writeAccountEntry(1n, new Map([['ab'.repeat(20), U128_MAX + 1n]]), MAX_ASSETS_PER_ACCOUNT),
    undefined,
  );
  t.equal(
    writeAccountEntry(1n, new Map([['AB'.repeat(20), 1n]]), MAX_ASSETS_PER_ACCOUNT),
    undefined,
    'upper-case key',
  );
  t.equal(writeAccountEntry(1n, new Map([['ab', 1n]]), MAX_ASSETS_PER_ACCOUNT), undefined, 'short key');
});

t.test('the reader reads what the codec reads, or declines', async (t) => {
  fc.assert(
    fc.property(
      nonceArb,
      balancesArb,
      fc.array(byteMutation(41), { maxLength: 3 }),
      (nonce, balances, ms) => {
        const bytes = mutate(encodeStateEntryByCodec({ type: 'account', value: { nonce, balances } }), ms);
        const direct = readAccountEntry(bytes, MAX_ASSETS_PER_ACCOUNT);
        if (ms.length === 0 && direct === undefined) return false; // an intact encoding is always read
        if (direct === undefined) return true;
        const general = codecVerdict(bytes);
        return general !== null && plain(direct) === plain(general);
      },
    ),
    { numRuns: 5000 },
  );
  t.pass('5,000 encodings, most of them mutated');
});

t.test('balances out of order or zero are declined, and the codec rejects them', async (t) => {
  const a = '01'.repeat(20);
  const b = '02'.repeat(20);
  const ordered = encodeStateEntryByCodec({
    type: 'account',
    value: {
      nonce: 1n,
      balances: new Map([
        [a, 5n],
        [b, 6n],
      ]),
    },
  });
  t.ok(readAccountEntry(ordered, MAX_ASSETS_PER_ACCOUNT), 'ascending assets are read');
  // Swap the two 41-byte balance records: descending order.
  const head = ordered.length - 82;
  const swapped = Uint8Array.from([
    ...ordered.subarray(0, head),
    ...ordered.subarray(head + 41),
    ...ordered.subarray(head, head + 41),
  ]);
  t.equal(readAccountEntry(swapped, MAX_ASSETS_PER_ACCOUNT), undefined, 'descending order is declined');
  t.equal(codecVerdict(swapped), null, 'and the codec rejects it');
  // The second record names the first one's asset: the same asset twice.
  const twice = Uint8Array.from([...ordered.subarray(0, head + 41), ...ordered.subarray(head, head + 41)]);
  t.equal(readAccountEntry(twice, MAX_ASSETS_PER_ACCOUNT), undefined, 'an asset twice is declined');
  t.equal(codecVerdict(twice), null, 'and the codec rejects it');
  const zero = Uint8Array.from(ordered);
  zero.fill(0, ordered.length - 16);
  t.equal(readAccountEntry(zero, MAX_ASSETS_PER_ACCOUNT), undefined, 'a zero balance is declined');
  t.equal(codecVerdict(zero), null, 'and the codec rejects it');
});

t.test('a balance list in array16 form below 16 items is declined, and the codec rejects it', async (t) => {
  const a = '01'.repeat(20);
  const bytes = encodeStateEntryByCodec({
    type: 'account',
    value: { nonce: 1n, balances: new Map([[a, 5n]]) },
  });
  // [0x92 0x00 0x93 0x01 nonce(0x01)] then the list header 0x91: widen it to array16 of 1.
  t.equal(bytes[5], 0x91, 'one balance: a fixarray header');
  const wide = Uint8Array.from([...bytes.subarray(0, 5), 0xdc, 0x00, 0x01, ...bytes.subarray(6)]);
  t.equal(readAccountEntry(wide, MAX_ASSETS_PER_ACCOUNT), undefined, 'declined');
  t.equal(codecVerdict(wide), null, 'and the codec rejects it');
});
