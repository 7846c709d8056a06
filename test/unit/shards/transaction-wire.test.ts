/**
 * The direct reader of signed transactions against the general decoder, the
 * definition of canonical: on every input tried, the reader either declines
 * (undefined) or decodes exactly what the general decoder decodes, and it
 * never accepts an input the general decoder rejects.
 */
import t from 'tap';
import fc from 'fast-check';
import { decodeOwned, encode } from '../../../core/codec.js';
import { readCanonicalSignedTransaction } from '../../../shards/transaction-wire.js';
import { signedTransactionCodec, type Transaction } from '../../../shards/transaction.js';
import { byteMutation, mutate, uintNear } from './wire-arbitraries.js';

const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;

const txArb: fc.Arbitrary<{ tx: Transaction; signature: Uint8Array }> = fc.record({
  tx: fc.record({
    chainId: uintNear(0xffff_ffffn).map(Number),
    shardId: uintNear(0xffffn).map(Number),
    kind: uintNear(0xffn).map(Number),
    senderPublicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    nonce: uintNear(U64_MAX),
    fee: fc.bigInt({ min: 0n, max: U128_MAX }),
    expiry: uintNear(BigInt(Number.MAX_SAFE_INTEGER)).map(Number),
    recipient: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    asset: fc.uint8Array({ minLength: 20, maxLength: 20 }),
    amount: fc.bigInt({ min: 0n, max: U128_MAX }),
  }),
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
});

/** The general decoder's verdict: the value, or null when it rejects. */
function general(bytes: Uint8Array): unknown {
  try {
    return decodeOwned(signedTransactionCodec, bytes, 4096);
  } catch {
    return null;
  }
}

/** Byte arrays as plain arrays, so that views and copies of equal bytes compare equal. */
function plain(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) =>
      typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Array.from(x) : x,
    ),
  );
}

function agrees(bytes: Uint8Array): boolean {
  const fast = readCanonicalSignedTransaction(new Uint8Array(bytes));
  if (fast === undefined) return true;
  const slow = general(new Uint8Array(bytes));
  return slow !== null && JSON.stringify(plain(fast)) === JSON.stringify(plain(slow));
}

t.test('every canonical encoding is read directly, to the same value', async (t) => {
  fc.assert(
    fc.property(txArb, (v) => {
      const bytes = encode(signedTransactionCodec, v);
      const fast = readCanonicalSignedTransaction(new Uint8Array(bytes));
      if (fast === undefined) return false;
      return JSON.stringify(plain(fast)) === JSON.stringify(plain(general(new Uint8Array(bytes))));
    }),
    { numRuns: 2000 },
  );
  t.pass('2,000 transactions, integers at every form boundary');
});

t.test(
  'a mutated encoding is never accepted unless the general decoder accepts it, to the same value',
  async (t) => {
    fc.assert(
      fc.property(txArb, fc.array(byteMutation(), { minLength: 1, maxLength: 3 }), (v, ms) => {
        return agrees(mutate(encode(signedTransactionCodec, v), ms));
      }),
      { numRuns: 5000 },
    );
    t.pass('5,000 mutated encodings');
  },
);

t.test('non-canonical integer forms are declined (the general decoder then rejects them)', async (t) => {
  const v = {
    tx: {
      chainId: 5,
      shardId: 1,
      kind: 0,
      senderPublicKey: new Uint8Array(32).fill(1),
      nonce: 7n,
      fee: 1n,
      expiry: 1000,
      recipient: new Uint8Array(20).fill(2),
      asset: new Uint8Array(20),
      amount: 3n,
    },
    signature: new Uint8Array(64).fill(9),
  };
  const bytes = Array.from(encode(signedTransactionCodec, v));
  t.equal(bytes[3], 5, 'chain id 5 is a fixint');
  const longer = [
    [0xcc, 5],
    [0xcd, 0, 5],
    [0xce, 0, 0, 0, 5],
    [0xd3, 0, 0, 0, 0, 0, 0, 0, 5],
    [0xcf, 0, 0, 0, 0, 0, 0, 0, 5],
  ];
  for (const form of longer) {
    const b = Uint8Array.from([...bytes.slice(0, 3), ...form, ...bytes.slice(4)]);
    t.equal(readCanonicalSignedTransaction(b), undefined, `chain id as ${form.length} bytes is declined`);
    t.equal(general(b), null, `and the general decoder rejects it`);
  }
  t.ok(readCanonicalSignedTransaction(Uint8Array.from(bytes)), 'the canonical form is read');
});
