import t from 'tap';
import fc from 'fast-check';
import {
  bool,
  bytes32,
  bytesMax,
  decode,
  decodeOwned,
  encode,
  list,
  optional,
  str,
  struct,
  u128,
  u16,
  u32,
  u64,
  u8,
  uint,
  union,
  U128_MAX,
  type Infer,
} from '../../../core/codec.js';
import { CodecError } from '../../../core/errors.js';
import { equalBytes, fromHex, toHex } from '../../../core/bytes.js';

const Inner = struct('Inner', [
  ['id', bytes32],
  ['flag', bool],
]);
const Sample = struct(
  'Sample',
  [
    ['small', u8],
    ['medium', u16],
    ['word', u32],
    ['round', uint],
    ['nonce', u64],
    ['amount', u128],
    ['data', bytesMax(64)],
    ['name', str(16)],
    ['items', list(Inner, 4)],
    ['maybe', optional(Inner)],
  ],
  1,
);
type SampleT = Infer<typeof Sample>;

const arbInner = fc.record({ id: fc.uint8Array({ minLength: 32, maxLength: 32 }), flag: fc.boolean() });
const arbSample: fc.Arbitrary<SampleT> = fc.record({
  small: fc.integer({ min: 0, max: 255 }),
  medium: fc.integer({ min: 0, max: 65535 }),
  word: fc.integer({ min: 0, max: 0xffffffff }),
  round: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  nonce: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  amount: fc.bigInt({ min: 0n, max: U128_MAX }),
  data: fc.uint8Array({ maxLength: 64 }),
  name: fc.string({ maxLength: 8 }),
  items: fc.array(arbInner, { maxLength: 4 }),
  maybe: fc.option(arbInner, { nil: null }),
});

t.test('decode(encode(x)) = x and equal values give equal bytes', async (t) => {
  fc.assert(
    fc.property(arbSample, (x) => {
      const b = encode(Sample, x);
      const y = decode(Sample, b);
      t.same(y, x);
      // A structurally equal copy (fresh arrays) encodes to the same bytes.
      const copy: SampleT = structuredClone(x);
      return equalBytes(encode(Sample, copy), b);
    }),
    { numRuns: 300 },
  );
});

t.test('mutated bytes are rejected or decode to a value that re-encodes to them', async (t) => {
  let rejected = 0;
  let accepted = 0;
  fc.assert(
    fc.property(arbSample, fc.nat(), fc.integer({ min: 1, max: 255 }), (x, pos, delta) => {
      const b = encode(Sample, x);
      const m = new Uint8Array(b);
      const i = pos % m.length;
      m[i] = (m[i]! + delta) & 0xff;
      try {
        const y = decode(Sample, m);
        accepted++;
        return equalBytes(encode(Sample, y), m);
      } catch (err) {
        rejected++;
        return err instanceof CodecError;
      }
    }),
    { numRuns: 500 },
  );
  t.ok(rejected > 0, `some mutations rejected (${rejected}), some accepted (${accepted})`);
});

t.test('truncated and extended inputs are rejected', async (t) => {
  fc.assert(
    fc.property(arbSample, fc.uint8Array({ minLength: 1, maxLength: 4 }), (x, extra) => {
      const b = encode(Sample, x);
      let ok = true;
      for (const bad of [b.slice(0, b.length - 1), new Uint8Array([...b, ...extra])]) {
        try {
          decode(Sample, bad);
          ok = false;
        } catch (err) {
          ok = ok && err instanceof CodecError;
        }
      }
      return ok;
    }),
    { numRuns: 200 },
  );
  t.pass();
});

t.test('u128 amounts are 16 big-endian bytes and reject 2^128', async (t) => {
  const A = struct('A', [['amount', u128]]);
  t.equal(toHex(encode(A, { amount: 1n })), '91c410' + '00'.repeat(15) + '01');
  t.throws(() => encode(A, { amount: U128_MAX + 1n }), { code: 'RANGE' });
  t.throws(() => encode(A, { amount: -1n }), { code: 'RANGE' });
  // A 17-byte amount on the wire is rejected.
  t.throws(() => decode(A, fromHex('91c411' + '00'.repeat(16) + '01')), { code: 'LENGTH' });
});

t.test('non-canonical integer widths and floats are rejected', async (t) => {
  const R = struct('R', [['round', uint]]);
  t.equal(toHex(encode(R, { round: 5 })), '9105');
  t.throws(() => decode(R, fromHex('91cc05')), { code: 'NOT_CANONICAL' }); // u8 form of 5
  t.throws(() => decode(R, fromHex('91cf0000000000000005')), { code: 'NOT_CANONICAL' });
  t.throws(() => decode(R, fromHex('91cb4014000000000000')), CodecError); // float64 5.0
  const big = 2 ** 40;
  t.same(decode(R, encode(R, { round: big })), { round: big });
  t.throws(() => encode(R, { round: 1.5 }), { code: 'RANGE' });
  t.throws(() => encode(R, { round: -1 }), { code: 'RANGE' });
});

t.test('versions, lengths, types, unknown union tags and oversized input are typed errors', async (t) => {
  const V = struct('V', [['x', u8]], 2);
  t.throws(() => decode(V, encode(struct('V1', [['x', u8]], 1), { x: 1 })), { code: 'VERSION' });
  t.throws(() => decode(V, fromHex('93020101')), { code: 'LENGTH' });
  t.throws(() => decode(V, fromHex('9202a161')), { code: 'TYPE' });
  t.throws(() => decode(V, fromHex('9202c4')), { code: 'MALFORMED' }); // truncated
  t.throws(() => decode(V, fromHex('81a178' + '01')), { code: 'TYPE' }); // a map, not an array
  const U = union('U', { a: u8, b: bytes32 });
  t.same(decode(U, encode(U, { type: 'b', value: new Uint8Array(32) })), {
    type: 'b',
    value: new Uint8Array(32),
  });
  t.throws(() => decode(U, fromHex('920501')), { code: 'UNKNOWN_TAG' });
  t.throws(() => decode(V, new Uint8Array(100), 10), { code: 'TOO_LARGE' });
  t.throws(() => encode(list(u8, 2), [1, 2, 3]), { code: 'LENGTH' });
  t.throws(() => encode(bytes32, new Uint8Array(31)), { code: 'LENGTH' });
});

t.test('decoded bytes never alias the input buffer', async (t) => {
  const b = encode(Inner, { id: new Uint8Array(32).fill(7), flag: true });
  const v = decode(Inner, b);
  b.fill(0);
  t.equal(v.id[0], 7);
});

t.test('decodeOwned: fields view the owned buffer; the canonical checks are the same', async (t) => {
  const b = encode(Inner, { id: new Uint8Array(32).fill(7), flag: true });
  const own = new Uint8Array(b);
  const v = decodeOwned(Inner, own);
  t.equal(v.id.buffer, own.buffer, 'the decoded bytes are a view into the owned buffer');
  t.equal(v.id[0], 7);
  t.same(decodeOwned(Inner, new Uint8Array(b)), decode(Inner, b), 'the same value as decode');
  const tampered = new Uint8Array(b);
  tampered[tampered.length - 1] = 0xc2; // flag true -> false: still canonical, another value
  t.equal(decodeOwned(Inner, tampered).flag, false);
  t.throws(
    () => decodeOwned(Inner, new Uint8Array([...b, 0])),
    { code: 'MALFORMED' },
    'trailing bytes refused',
  );
});

t.test('a failure deep in a value names its whole path', async (t) => {
  const item = struct('Item', [['amount', u128]]);
  const outer = union('Outer', { batch: struct('Batch', [['items', list(item, 4)]], 1) });
  const bad = { type: 'batch', value: { items: [{ amount: 1n }, { amount: -1n }] } } as const;
  const err = (() => {
    try {
      encode(outer, bad as never);
    } catch (e) {
      return e as CodecError;
    }
    return null;
  })();
  t.ok(err instanceof CodecError);
  t.equal(err!.code, 'RANGE');
  t.equal(err!.context.path, '.batch.items[1].amount');
  t.equal(err!.message, 'RANGE: .batch.items[1].amount: expected u128 amount, got -1');
  // Decoding a wrong field type names the path the same way.
  const good = encode(list(item, 4), [{ amount: 5n }]);
  t.throws(() => decode(list(struct('Other', [['amount', u8]]), 4), good), {
    code: 'TYPE',
    context: { path: '[0].amount' },
  });
});
