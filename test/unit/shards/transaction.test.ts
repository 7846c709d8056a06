/** Transactions: the canonical codec, signatures and every stateless rejection. */
import t from 'tap';
import fc from 'fast-check';
import { encode } from '../../../core/codec.js';
import { verify } from '../../../core/ed25519.js';
import { equalBytes, toHex } from '../../../core/bytes.js';
import { packRaw, unpackRaw } from '../../../core/codec.js';
import { NATIVE_ASSET_ID, ETH_ASSET_ID } from '../../../shards/assets.js';
import { ShardMap } from '../../../shards/buckets.js';
import { DEFAULT_FEE_PARAMS } from '../../../genesis/types.js';
import { bucketOfAddress, shardOfBucket } from '../../../genesis/buckets.js';
import {
  MAX_TX_BYTES,
  SignedTransaction,
  TxKind,
  decodeSignedTransaction,
  signTransaction,
  transactionCodec,
  transactionSigningBytes,
  verifyTransactionSignature,
  type Transaction,
} from '../../../shards/transaction.js';
import { checkTransaction, type TxCheckContext } from '../../../shards/tx-validation.js';
import { decodeAccount, encodeAccount, decodeStateEntry } from '../../../shards/account.js';
import { CHAIN_ID, USERS0, USERS1, userFromLabel } from './fixtures.js';

const U128_MAX = (1n << 128n) - 1n;
const ctx: TxCheckContext = {
  chainId: CHAIN_ID,
  shardId: 0,
  shardMap: new ShardMap(4096, 2),
  fees: DEFAULT_FEE_PARAMS,
};
const sender = USERS0[0]!;

function base(over: Partial<Transaction> = {}): Transaction {
  return {
    chainId: CHAIN_ID,
    shardId: 0,
    kind: TxKind.transfer,
    senderPublicKey: sender.publicKey,
    nonce: 0n,
    fee: 1_000n,
    expiry: 1_800_000_000_000,
    recipient: USERS0[1]!.address,
    asset: NATIVE_ASSET_ID,
    amount: 5n,
    ...over,
  };
}

const txArb = fc.record({
  chainId: fc.integer({ min: 0, max: 0xffffffff }),
  shardId: fc.integer({ min: 0, max: 0xffff }),
  kind: fc.integer({ min: 0, max: 255 }),
  nonce: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fee: fc.bigInt({ min: 0n, max: U128_MAX }),
  expiry: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  recipient: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  asset: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  amount: fc.bigInt({ min: 0n, max: U128_MAX }),
});

t.test('codec: every transaction round-trips to the same bytes, hash and signature validity', async (t) => {
  fc.assert(
    fc.property(txArb, (fields) => {
      const stx = signTransaction({ ...fields, senderPublicKey: sender.publicKey }, sender.seed, {
        fast: true,
      });
      const back = decodeSignedTransaction(stx.bytes);
      return (
        equalBytes(back.bytes, stx.bytes) &&
        equalBytes(back.hash, stx.hash) &&
        back.tx.nonce === fields.nonce &&
        back.tx.amount === fields.amount &&
        back.tx.fee === fields.fee &&
        back.tx.expiry === fields.expiry &&
        verifyTransactionSignature(back) &&
        // The signing bytes cut from the signed encoding are those of the transaction's own encoding.
        equalBytes(back.signingBytes(), transactionSigningBytes(back.tx)) &&
        stx.bytes.length <= MAX_TX_BYTES
      );
    }),
    { numRuns: 200 },
  );
});

t.test('codec: no single-byte change yields another valid signed transaction', async (t) => {
  const stx = signTransaction(base(), sender.seed);
  fc.assert(
    fc.property(fc.nat({ max: stx.bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, x) => {
      const b = new Uint8Array(stx.bytes);
      b[pos]! ^= x;
      try {
        return !verifyTransactionSignature(decodeSignedTransaction(b));
      } catch (err) {
        return (err as { code?: string }).code === 'MALFORMED';
      }
    }),
    { numRuns: 300 },
  );
});

t.test('codec rejections', async (t) => {
  const stx = signTransaction(base(), sender.seed);
  t.throws(
    () => decodeSignedTransaction(new Uint8Array(MAX_TX_BYTES + 1)),
    { code: 'TOO_LARGE' },
    'over 4 KiB',
  );
  t.throws(
    () => decodeSignedTransaction(new Uint8Array([...stx.bytes, 0])),
    { code: 'MALFORMED' },
    'trailing byte',
  );
  t.throws(
    () => encode(transactionCodec, base({ amount: 1n << 128n })),
    { code: 'RANGE' },
    'an amount of 2^128 cannot be encoded',
  );
  t.throws(() => encode(transactionCodec, base({ fee: -1n })), { code: 'RANGE' }, 'negative fee');
  // Hand-made encodings: a 17-byte amount (2^128), another version, a non-canonical integer width.
  const wire = unpackRaw(stx.bytes) as unknown[];
  const body = wire[0] as unknown[];
  const amount17 = new Uint8Array(17);
  amount17[0] = 1;
  const withBody = (b: unknown[]) => packRaw([b, wire[1]]);
  t.throws(
    () => decodeSignedTransaction(withBody(body.map((v, i) => (i === 10 ? amount17 : v)))),
    { code: 'MALFORMED' },
    'amount above 2^128 - 1',
  );
  t.throws(
    () => decodeSignedTransaction(withBody(body.map((v, i) => (i === 0 ? 2 : v)))),
    { code: 'MALFORMED' },
    'unknown version',
  );
  t.throws(
    () => decodeSignedTransaction(withBody(body.slice(0, 10))),
    { code: 'MALFORMED' },
    'a field missing',
  );
  t.throws(
    () => decodeSignedTransaction(packRaw([body, new Uint8Array(63)])),
    { code: 'MALFORMED' },
    'short signature',
  );
  t.throws(() => decodeSignedTransaction(new Uint8Array([0xc1])), { code: 'MALFORMED' }, 'not msgpack');
});

t.test(
  'signatures: the triple verifies with core verify; a wrong key, message or signature does not',
  async (t) => {
    const stx = signTransaction(base(), sender.seed);
    const triple = stx.signatureTriple();
    t.ok(verify(triple.signature, triple.message, triple.publicKey));
    t.ok(
      equalBytes(signTransaction(base(), sender.seed, { fast: true }).signature, stx.signature),
      'fast signing gives the same bytes',
    );
    const other = userFromLabel('someone else');
    const forged = SignedTransaction.fromParts(
      stx.tx,
      signTransaction({ ...base(), senderPublicKey: other.publicKey }, other.seed).signature,
    );
    t.notOk(verifyTransactionSignature(forged), 'signature by another key');
    const changed = SignedTransaction.fromParts({ ...stx.tx, amount: 6n }, stx.signature);
    t.notOk(verifyTransactionSignature(changed), 'amount changed after signing');
    t.notOk(
      verify(triple.signature, triple.message.subarray(1), triple.publicKey),
      'signing bytes without the domain tag',
    );
    t.not(toHex(stx.hash), toHex(changed.hash), 'the hash covers the whole signed bytes');
  },
);

t.test('stateless checks: every rejection', async (t) => {
  const check = (over: Partial<Transaction>, from = sender) =>
    checkTransaction(
      signTransaction(base({ senderPublicKey: from.publicKey, ...over }), from.seed, { fast: true }),
      ctx,
    );
  t.equal(check({}), null, 'a valid transfer passes');
  t.equal(check({ chainId: CHAIN_ID + 1 })?.code, 'WRONG_CHAIN');
  t.equal(check({ shardId: 1 })?.code, 'WRONG_SHARD', 'names another shard');
  t.equal(check({}, USERS1[0]!)?.code, 'WRONG_SHARD', 'sender lives on another shard');
  t.equal(check({ kind: 7 })?.code, 'UNKNOWN_KIND');
  t.equal(check({ amount: 0n })?.code, 'ZERO_AMOUNT');
  t.equal(check({ fee: 999n })?.code, 'FEE_TOO_LOW', 'transfer below its floor');
  t.equal(
    check({ fee: 1_000n, recipient: USERS1[0]!.address })?.code,
    'FEE_TOO_LOW',
    'cross-shard transfers pay for delivery',
  );
  t.equal(check({ fee: 2_000n, recipient: USERS1[0]!.address }), null);
  t.equal(
    check({ kind: TxKind.withdraw, fee: 9_999n })?.code,
    'FEE_TOO_LOW',
    'withdrawals pay for the checkpoint',
  );
  t.equal(check({ kind: TxKind.withdraw, fee: 10_000n }), null);
  t.equal(
    check({ amount: U128_MAX, fee: 1_000n })?.code,
    'AMOUNT_TOO_LARGE',
    'native amount + fee above 2^128 - 1',
  );
  t.equal(
    check({ amount: U128_MAX, fee: 1_000n, asset: ETH_ASSET_ID }),
    null,
    'fee and amount in different assets',
  );
});

t.test('accounts: canonical encoding only', async (t) => {
  const a = {
    nonce: 3n,
    balances: new Map([
      [toHex(ETH_ASSET_ID), 5n],
      [toHex(NATIVE_ASSET_ID), 7n],
    ]),
  };
  const back = decodeAccount(encodeAccount(a));
  t.equal(back.nonce, 3n);
  t.same(
    [...back.balances],
    [
      [toHex(ETH_ASSET_ID), 5n],
      [toHex(NATIVE_ASSET_ID), 7n],
    ],
  );
  const wire = unpackRaw(encodeAccount(a)) as [number, [number, number, [Uint8Array, Uint8Array][]]];
  const [tag, [ver, nonce, balances]] = wire;
  t.throws(
    () => decodeStateEntry(packRaw([tag, [ver, nonce, [...balances].reverse()]])),
    { code: 'BAD_VALUE' },
    'unsorted assets',
  );
  t.throws(
    () => decodeStateEntry(packRaw([tag, [ver, nonce, [[balances[0]![0], new Uint8Array(16)]]]])),
    { code: 'BAD_VALUE' },
    'a zero balance',
  );
  t.throws(
    () => decodeStateEntry(packRaw([9, [ver, nonce, balances]])),
    { code: 'BAD_VALUE' },
    'unknown entry kind',
  );
});

t.test('buckets: the table follows the genesis rule; shards own contiguous ranges', async (t) => {
  const map = new ShardMap(4096, 3);
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      (addr) => map.shardOf(addr) === shardOfBucket(bucketOfAddress(addr, 4096), 4096, 3),
    ),
    { numRuns: 200 },
  );
  const ranges = [0, 1, 2].map((s) => map.bucketsOf(s));
  t.same(
    ranges.map((r) => r.length),
    [1366, 1365, 1365],
  );
  for (const r of ranges) t.equal(r[r.length - 1]! - r[0]! + 1, r.length, 'contiguous');
  t.throws(() => new ShardMap(1000, 2), { code: 'BAD_BUCKETS' }, 'not a power of two');
  t.throws(() => new ShardMap(2, 4), { code: 'BAD_BUCKETS' }, 'fewer buckets than shards');
});
