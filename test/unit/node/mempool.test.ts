/**
 * node/mempool: every admission rejection path with its gossip verdict,
 * batched signature verification, replacement, limits and eviction,
 * selection order and nonce contiguity, commits and re-validation.
 * Real parts throughout: shards/ transaction codec and stateless rules, a
 * shards/ state store read through accountReaderOf, core's verifier.
 */
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { keyPairFromSeed, type Ed25519KeyPair } from '../../../core/ed25519.js';
import { addressFromPublicKey } from '../../../core/address.js';
import { encode } from '../../../core/codec.js';
import { accountStateKey, encodeAccount } from '../../../shards/account.js';
import { NATIVE_ASSET_ID, ETH_ASSET_ID, assetKey } from '../../../shards/assets.js';
import { ShardMap } from '../../../shards/buckets.js';
import { MemoryStateStore } from '../../../shards/state.js';
import {
  SignedTransaction,
  TxKind,
  signTransaction,
  signedTransactionCodec,
  type Transaction,
} from '../../../shards/transaction.js';
import { DEFAULT_FEE_PARAMS } from '../../../genesis/types.js';
import {
  CachedTxVerifier,
  MainThreadVerifier,
  VerifiedTxCache,
  verifyTransactionSignatures,
  type SignatureVerifier,
  type VerifyItem,
} from '../../../node/verify/index.js';
import {
  MEMPOOL_ERROR_VERDICT,
  MempoolError,
  accountReaderOf,
  admitGossipBatch,
  batchVerdict,
  createShardMempool,
  encodeTxBatch,
  verdictOf,
  type AdmitResult,
  type MempoolErrorCode,
  type MempoolOptions,
} from '../../../node/mempool/index.js';
import { MetricsRegistry } from '../../../node/metrics/registry.js';

const CHAIN = 7;
const SHARD = 0;
const shardMap = new ShardMap(16, 2);
const shardCtx = { chainId: CHAIN, shardId: SHARD, shardMap, fees: DEFAULT_FEE_PARAMS };
const FEE = DEFAULT_FEE_PARAMS.minTransferFee;
const NOW = 1_700_000_000_000;

/** Keys whose account lives on shard `shard`. */
function keysOn(shard: number, n: number, salt: number): Ed25519KeyPair[] {
  const out: Ed25519KeyPair[] = [];
  for (let i = 0; out.length < n; i++) {
    const seed = new Uint8Array(32);
    new DataView(seed.buffer).setUint32(0, salt * 1_000_000 + i);
    const kp = keyPairFromSeed(seed);
    if (shardMap.shardOf(addressFromPublicKey(kp.publicKey)) === shard) out.push(kp);
  }
  return out;
}
const senders = keysOn(SHARD, 6, 1);
const [alice, bob, carol, dave] = senders as [Ed25519KeyPair, Ed25519KeyPair, Ed25519KeyPair, Ed25519KeyPair];
const foreign = keysOn(1, 1, 2)[0]!;
const recipient = addressFromPublicKey(keysOn(SHARD, 1, 3)[0]!.publicKey);
const addr = (k: Ed25519KeyPair) => addressFromPublicKey(k.publicKey);

function makeTx(from: Ed25519KeyPair, nonce: bigint, over: Partial<Transaction> = {}): SignedTransaction {
  return signTransaction(
    {
      chainId: CHAIN,
      shardId: SHARD,
      kind: TxKind.transfer,
      senderPublicKey: from.publicKey,
      nonce,
      fee: FEE,
      expiry: NOW + 60_000,
      recipient,
      asset: NATIVE_ASSET_ID,
      amount: 10n,
      ...over,
    },
    from.seed,
    { fast: true },
  );
}

/** Counts what reaches core's verifier. */
class CountingVerifier implements SignatureVerifier {
  calls = 0;
  items = 0;
  private readonly inner = new MainThreadVerifier();
  verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]> {
    this.calls++;
    this.items += items.length;
    return this.inner.verifyBatch(items);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A shard state in memory, read by the mempool through accountReaderOf. */
class World {
  readonly store = new MemoryStateStore();
  clock = NOW;
  readonly counting = new CountingVerifier();
  readonly verifier = new CachedTxVerifier(this.counting, new VerifiedTxCache(10_000));
  readonly metrics = new MetricsRegistry();
  readonly mempool;

  constructor(options: Partial<MempoolOptions> = {}) {
    for (const k of [...senders, foreign]) this.setAccount(k, 0n, 1_000_000n);
    this.mempool = createShardMempool(
      shardCtx,
      {
        verifier: this.verifier,
        state: accountReaderOf(this.store),
        now: () => this.clock,
        metrics: this.metrics,
      },
      options,
    );
  }

  setAccount(k: Ed25519KeyPair, nonce: bigint, native: bigint, eth = 0n): void {
    const balances = new Map<string, bigint>();
    if (native > 0n) balances.set(assetKey(NATIVE_ASSET_ID), native);
    if (eth > 0n) balances.set(assetKey(ETH_ASSET_ID), eth);
    this.store.apply({
      root: new Uint8Array(32),
      nodes: new Map(),
      values: [[accountStateKey(addr(k)), encodeAccount({ nonce, balances })]],
    });
  }

  async add(...txs: (SignedTransaction | Uint8Array)[]): Promise<AdmitResult[]> {
    return this.mempool.addBatch(txs.map((x) => (x instanceof SignedTransaction ? x.bytes : x)));
  }
}

function expectRefused(t: Test, r: AdmitResult | undefined, code: MempoolErrorCode): void {
  if (r === undefined || r.ok) {
    t.fail(`expected ${code}, got ${r === undefined ? 'nothing' : 'admitted'}`);
    return;
  }
  t.equal(r.error.code, code, `refused with ${code}`);
  t.equal(r.error.verdict, MEMPOOL_ERROR_VERDICT[code]);
}

t.test('a valid transaction is admitted once and can be read back', async (t) => {
  const w = new World();
  const tx = makeTx(alice, 0n);
  t.same(await w.mempool.submit(tx.bytes), tx.hash);
  t.ok(w.mempool.has(tx.hash));
  t.same(w.mempool.get(tx.hash)?.tx.hash, tx.hash);
  t.same(w.mempool.get(tx.hash)?.bytes, tx.bytes);
  t.equal(w.mempool.size, 1);
  t.equal(w.mempool.bytes, tx.bytes.length);
  t.equal(w.mempool.pendingOf(addr(alice)).length, 1);
  t.match(w.metrics.expose(), /hotshard_mempool_admitted_total 1/);
  await t.rejects(w.mempool.submit(tx.bytes), { code: 'DUPLICATE' }, 'submit throws the MempoolError');
});

t.test('rejection paths before the signature, in order, with their verdicts', async (t) => {
  const w = new World();
  const ok = makeTx(alice, 0n);
  const cases: [string, Uint8Array, MempoolErrorCode][] = [
    ['over 4 KiB', new Uint8Array(4097), 'TOO_LARGE'],
    ['not msgpack', Uint8Array.of(0xc1, 0x00), 'MALFORMED'],
    ['trailing byte (not canonical)', Uint8Array.of(...ok.bytes, 0), 'MALFORMED'],
    ['unknown kind', makeTx(alice, 0n, { kind: 9 }).bytes, 'MALFORMED'],
    ['other chain', makeTx(alice, 0n, { chainId: CHAIN + 1 }).bytes, 'WRONG_CHAIN'],
    ['other shard id', makeTx(alice, 0n, { shardId: 1 }).bytes, 'WRONG_SHARD'],
    ['sender lives on another shard', makeTx(foreign, 0n).bytes, 'WRONG_SHARD'],
    ['zero amount', makeTx(alice, 0n, { amount: 0n }).bytes, 'BAD_AMOUNT'],
    ['amount + fee beyond u128', makeTx(alice, 0n, { amount: (1n << 128n) - 1n }).bytes, 'BAD_AMOUNT'],
    ['fee below the genesis minimum', makeTx(alice, 0n, { fee: FEE - 1n }).bytes, 'FEE_TOO_LOW'],
    ['expired', makeTx(alice, 0n, { expiry: NOW - 1 }).bytes, 'EXPIRED'],
  ];
  const results = await w.mempool.addBatch(cases.map((c) => c[1]));
  cases.forEach(([name, , code], i) => t.test(name, async (t) => expectRefused(t, results[i], code)));
  t.equal(w.counting.calls, 0, 'nothing reached the verifier');
  t.equal(w.mempool.size, 0);
  t.match(w.metrics.expose(), /hotshard_mempool_rejected_total\{code="WRONG_SHARD"\} 2/);
});

t.test(
  'a transaction expiring exactly now is still admitted (expiry is the last valid timestamp)',
  async (t) => {
    const w = new World();
    const [r] = await w.add(makeTx(alice, 0n, { expiry: NOW }));
    t.ok(r!.ok);
  },
);

t.test('duplicates: in the pool and within one batch', async (t) => {
  const w = new World();
  const tx = makeTx(alice, 0n);
  const [a, b] = await w.add(tx, tx);
  t.ok(a!.ok);
  expectRefused(t, b, 'DUPLICATE');
  expectRefused(t, (await w.add(tx))[0], 'DUPLICATE');
});

t.test('nonces: replays, the window, and replacement', async (t) => {
  const w = new World();
  w.setAccount(alice, 5n, 1_000_000n);
  expectRefused(t, (await w.add(makeTx(alice, 4n)))[0], 'NONCE_TOO_LOW');
  expectRefused(t, (await w.add(makeTx(alice, 5n + 64n)))[0], 'NONCE_GAP_TOO_LARGE');
  t.ok((await w.add(makeTx(alice, 5n + 63n)))[0]!.ok, 'the last nonce of the window');

  const first = makeTx(alice, 5n);
  t.ok((await w.add(first))[0]!.ok);
  const cheap = makeTx(alice, 5n, { fee: FEE + FEE / 10n - 1n, amount: 11n });
  expectRefused(t, (await w.add(cheap))[0], 'NONCE_TAKEN');
  const bumped = makeTx(alice, 5n, { fee: FEE + FEE / 10n, amount: 11n });
  const [r] = await w.add(bumped);
  t.ok(r!.ok, 'a 10% higher fee replaces');
  if (r!.ok) t.same(r!.replaced, first.hash);
  t.notOk(w.mempool.has(first.hash));
  t.equal(w.mempool.size, 2);
});

t.test('balance: each transaction and the sender’s pooled total, per asset', async (t) => {
  const w = new World();
  w.setAccount(bob, 0n, 3n * FEE + 100n, 50n);
  expectRefused(t, (await w.add(makeTx(bob, 0n, { amount: 2n * FEE + 101n })))[0], 'INSUFFICIENT_BALANCE');
  t.ok((await w.add(makeTx(bob, 0n, { amount: 60n })))[0]!.ok);
  t.ok(
    (await w.add(makeTx(bob, 1n, { amount: 40n })))[0]!.ok,
    'fees and amounts add up to the balance exactly',
  );
  expectRefused(t, (await w.add(makeTx(bob, 2n, { amount: 1n })))[0], 'INSUFFICIENT_BALANCE');
  // An ETH transfer: the amount comes out of ETH, the fee out of the native token (exhausted: 3 fees needed, 1 left).
  w.setAccount(carol, 0n, FEE, 50n);
  t.ok((await w.add(makeTx(carol, 0n, { asset: ETH_ASSET_ID, amount: 50n })))[0]!.ok);
  expectRefused(
    t,
    (await w.add(makeTx(carol, 1n, { asset: ETH_ASSET_ID, amount: 1n })))[0],
    'INSUFFICIENT_BALANCE',
  );
});

t.test('a bad signature is REJECT, and a batch is verified in one call', async (t) => {
  const w = new World();
  const good = [makeTx(alice, 0n), makeTx(bob, 0n), makeTx(carol, 0n)];
  const signed = makeTx(dave, 0n);
  const sig = Uint8Array.from(signed.signature);
  sig[10]! ^= 1;
  const forged = encode(signedTransactionCodec, { tx: signed.tx, signature: sig });
  const before = w.counting.calls;
  const results = await w.add(good[0]!, forged, good[1]!, good[2]!);
  t.equal(w.counting.calls - before, 1, 'one verifier call for the batch');
  t.equal(w.counting.items, 4);
  t.ok(results[0]!.ok && results[2]!.ok && results[3]!.ok);
  expectRefused(t, results[1], 'BAD_SIGNATURE');
  t.equal(batchVerdict(results), 'REJECT', 'a batch holding a forged signature is REJECT');
  t.equal(verdictOf((results[1] as { error: MempoolError }).error), 'REJECT');
  t.equal(verdictOf(new Error('our own bug')), 'IGNORE');
});

t.test('admitted transactions are not verified again at block execution', async (t) => {
  const w = new World();
  const txs = [makeTx(alice, 0n), makeTx(alice, 1n), makeTx(bob, 0n)];
  await w.add(...txs);
  const verifiedBefore = w.counting.items;
  const isValid = await verifyTransactionSignatures(w.verifier, txs);
  t.equal(w.counting.items, verifiedBefore, 'no signature verified twice');
  t.ok(txs.every(isValid));
  const fresh = makeTx(carol, 0n);
  const isValid2 = await verifyTransactionSignatures(w.verifier, [...txs, fresh]);
  t.equal(w.counting.items, verifiedBefore + 1, 'only the unknown transaction is verified');
  t.ok(isValid2(fresh));
});

t.test('per-sender limit', async (t) => {
  const w = new World({ maxPerSender: 2 });
  const r = await w.add(makeTx(alice, 0n), makeTx(alice, 1n), makeTx(alice, 2n), makeTx(bob, 0n));
  t.ok(r[0]!.ok && r[1]!.ok && r[3]!.ok);
  expectRefused(t, r[2], 'SENDER_LIMIT');
  const [repl] = await w.add(makeTx(alice, 1n, { fee: 2n * FEE }));
  t.ok(repl!.ok, 'a replacement does not count twice');
});

t.test('total limit: the cheapest tail is evicted for a higher fee, else MEMPOOL_FULL', async (t) => {
  const w = new World({ maxTxs: 4 });
  const a0 = makeTx(alice, 0n, { fee: 3n * FEE });
  const a1 = makeTx(alice, 1n, { fee: FEE }); // cheapest, and alice's tail
  const b0 = makeTx(bob, 0n, { fee: FEE }); // as cheap, but it arrived later
  const c0 = makeTx(carol, 0n, { fee: 2n * FEE });
  t.ok((await w.add(a0, a1, b0, c0)).every((r) => r.ok));
  expectRefused(t, (await w.add(makeTx(dave, 0n, { fee: FEE })))[0], 'MEMPOOL_FULL');
  const [d] = await w.add(makeTx(dave, 0n, { fee: FEE + 1n }));
  t.ok(d!.ok, 'pays more than the cheapest');
  t.notOk(w.mempool.has(b0.hash), 'among equal fees the newest goes');
  t.ok(w.mempool.has(a1.hash));
  t.equal(w.mempool.size, 4);

  // Now the cheapest tails are a1 (FEE) then c0 (2 FEE). a0 is cheaper than nothing but is not a tail.
  const [e] = await w.add(makeTx(bob, 0n, { fee: 2n * FEE }));
  t.ok(e!.ok);
  t.notOk(w.mempool.has(a1.hash), 'a tail was evicted');
  t.ok(w.mempool.has(a0.hash), 'never a nonce in the middle of a sender’s run');
  // A sender's own tail is never evicted for its own next nonce (that would leave a gap).
  const w2 = new World({ maxTxs: 2 });
  await w2.add(makeTx(alice, 0n, { fee: FEE }), makeTx(alice, 1n, { fee: FEE }));
  expectRefused(t, (await w2.add(makeTx(alice, 2n, { fee: 9n * FEE })))[0], 'MEMPOOL_FULL');
  t.match(w.metrics.expose(), /hotshard_mempool_removed_total\{reason="EVICTED"\} 2/);
});

t.test('selection: fee order across senders, nonce order within, no gaps', async (t) => {
  const w = new World();
  await w.add(
    makeTx(alice, 1n, { fee: 9n * FEE }), // alice's nonce 0 is missing: nothing of alice
    makeTx(alice, 2n, { fee: 9n * FEE }),
    makeTx(bob, 0n, { fee: 2n * FEE }),
    makeTx(bob, 1n, { fee: 5n * FEE }), // high fee but behind bob 0
    makeTx(bob, 3n, { fee: 9n * FEE }), // gap at 2
    makeTx(carol, 0n, { fee: 3n * FEE }),
    makeTx(dave, 0n, { fee: 2n * FEE }), // same fee as bob 0, arrived later
  );
  const nonceOf = () => 0n;
  const pick = w.mempool.selectForBlock({ nonceOf, now: NOW });
  const label = (s: { tx: SignedTransaction }) =>
    `${senders.findIndex((k) => k.publicKey === s.tx.tx.senderPublicKey || Buffer.from(k.publicKey).equals(s.tx.tx.senderPublicKey))}:${s.tx.tx.nonce}`;
  t.same(
    pick.map(label),
    ['2:0', '1:0', '1:1', '3:0'],
    'carol, then bob 0 (before dave: earlier), bob 1 (unlocked, highest fee), dave',
  );
  t.same(w.mempool.selectForBlock({ nonceOf, now: NOW }).map(label), pick.map(label), 'deterministic');

  // The parent state is ahead of the committed one: alice's nonce 1 is next there.
  const ahead = w.mempool.selectForBlock({
    nonceOf: (a) => (Buffer.from(a).equals(addr(alice)) ? 1n : 0n),
    now: NOW,
  });
  t.same(ahead.slice(0, 2).map(label), ['0:1', '0:2']);
  t.equal(w.mempool.size, 7, 'selection removes nothing');
});

t.test('selection limits: count, bytes, expiry and the parent balance', async (t) => {
  const w = new World();
  await w.add(makeTx(alice, 0n), makeTx(alice, 1n), makeTx(bob, 0n), makeTx(carol, 0n, { expiry: NOW + 10 }));
  const nonceOf = () => 0n;
  t.equal(w.mempool.selectForBlock({ nonceOf, now: NOW, maxTxs: 2 }).length, 2);
  const size = makeTx(alice, 0n).bytes.length + 3;
  t.equal(w.mempool.selectForBlock({ nonceOf, now: NOW, maxBytes: 2 * size }).length, 2, 'byte budget');
  const later = w.mempool.selectForBlock({ nonceOf, now: NOW + 11 });
  t.equal(later.length, 3, 'expired at the block timestamp: left out');
  const poor = w.mempool.selectForBlock({
    nonceOf,
    now: NOW,
    balanceOf: (a) => (Buffer.from(a).equals(addr(alice)) ? FEE + 10n : 1_000_000n),
  });
  t.equal(
    poor.filter((s) => Buffer.from(s.tx.sender).equals(addr(alice))).length,
    1,
    'alice can pay for one only',
  );
});

t.test(
  'a sender whose committed transactions were all pooled keeps the rest without a balance pass',
  async (t) => {
    const w = new World();
    const a = [makeTx(alice, 0n), makeTx(alice, 1n), makeTx(alice, 2n)];
    await w.add(...a);
    // Alice's balance went down by exactly what the committed transaction debits: the rest stays affordable.
    w.setAccount(alice, 1n, 1_000_000n - (FEE + 10n));
    t.equal(w.mempool.onBlockCommitted([{ hash: a[0]!.hash, sender: addr(alice) }], NOW), 1);
    t.ok(w.mempool.has(a[1]!.hash) && w.mempool.has(a[2]!.hash));
    // A commit of two pooled transactions when the state says three nonces were used: the stale one goes too.
    w.setAccount(alice, 3n, 1_000_000n);
    t.equal(w.mempool.onBlockCommitted([{ hash: a[1]!.hash, sender: addr(alice) }], NOW), 2);
    t.equal(w.mempool.size, 0);
    t.match(w.metrics.expose(), /hotshard_mempool_removed_total\{reason="NONCE_TOO_LOW"\} 1/);
  },
);

t.test('a commit removes included, replayed, and expired transactions; balances re-validated', async (t) => {
  const w = new World();
  w.setAccount(bob, 0n, 2n * (FEE + 10n));
  const a = [makeTx(alice, 0n), makeTx(alice, 1n), makeTx(alice, 2n)];
  const b = [makeTx(bob, 0n), makeTx(bob, 1n)];
  const c = makeTx(carol, 0n, { expiry: NOW + 100 });
  await w.add(...a, ...b, c);
  t.equal(w.mempool.size, 6);

  // A block (built elsewhere) with alice 0 and a different alice 1; bob received nothing and spent... nothing,
  // but a withdrawal elsewhere lowered bob's balance to one transaction's worth.
  const otherA1 = makeTx(alice, 1n, { amount: 99n });
  w.setAccount(alice, 2n, 1_000_000n);
  w.setAccount(bob, 0n, FEE + 10n);
  const removed = w.mempool.onBlockCommitted(
    [
      { hash: a[0]!.hash, sender: addr(alice) },
      { hash: otherA1.hash, sender: addr(alice) },
      { hash: new Uint8Array(32), sender: addr(bob) },
    ],
    NOW + 101,
  );
  t.equal(removed, 4, 'alice 0 (committed), alice 1 (nonce used), bob 1 (balance), carol (expired)');
  t.notOk(w.mempool.has(a[1]!.hash));
  t.ok(w.mempool.has(a[2]!.hash));
  t.ok(w.mempool.has(b[0]!.hash));
  t.notOk(w.mempool.has(b[1]!.hash));
  t.notOk(w.mempool.has(c.hash));
  const exposed = w.metrics.expose();
  for (const reason of ['COMMITTED', 'NONCE_TOO_LOW', 'INSUFFICIENT_BALANCE', 'EXPIRED']) {
    t.match(exposed, new RegExp(`hotshard_mempool_removed_total\\{reason="${reason}"\\} 1`), reason);
  }
  t.match(exposed, /hotshard_mempool_transactions 2/);

  w.setAccount(alice, 3n, 1_000_000n);
  t.equal(
    w.mempool.revalidateAll(NOW + 101),
    1,
    'revalidateAll covers senders without a committed transaction',
  );
  t.ok(w.mempool.remove(b[0]!.hash));
  t.notOk(w.mempool.remove(b[0]!.hash));
  t.equal(w.mempool.size, 0);
  t.equal(w.mempool.senderCount, 0);
  t.equal(w.mempool.bytes, 0);
});

t.test('gossip batches: decode, admit, one verdict', async (t) => {
  const w = new World();
  const txs = [makeTx(alice, 0n), makeTx(bob, 0n)];
  const first = await admitGossipBatch(w.mempool, encodeTxBatch(txs.map((x) => x.bytes)));
  t.equal(first.verdict, 'ACCEPT');
  t.equal(first.results.length, 2);
  const again = await admitGossipBatch(w.mempool, encodeTxBatch(txs.map((x) => x.bytes)));
  t.equal(again.verdict, 'IGNORE', 'all duplicates: IGNORE');
  const bad = await admitGossipBatch(w.mempool, Uint8Array.of(0x92, 0x01));
  t.equal(bad.verdict, 'REJECT');
  t.equal(bad.error?.code, 'MALFORMED');
  const mixed = await admitGossipBatch(
    w.mempool,
    encodeTxBatch([makeTx(carol, 0n).bytes, makeTx(dave, 0n, { chainId: 99 }).bytes]),
  );
  t.equal(mixed.verdict, 'REJECT', 'one provably invalid transaction makes the batch REJECT');
  t.ok(mixed.results[0]!.ok, 'the valid one is still admitted');
});

t.test('concurrent admissions of one sender keep the limits', async (t) => {
  const w = new World({ maxPerSender: 3 });
  const batches = [0n, 1n, 2n, 3n, 4n].map((n) => w.add(makeTx(alice, n)));
  const results = (await Promise.all(batches)).flat();
  t.equal(results.filter((r) => r.ok).length, 3);
  t.equal(w.mempool.pendingOf(addr(alice)).length, 3);
});

t.test('bad options are refused', async (t) => {
  for (const o of [{ maxTxs: 0 }, { maxPerSender: -1 }, { maxNonceAhead: 0n }]) {
    t.throws(
      () => new World(o),
      { code: 'BAD_OPTIONS' },
      JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
    );
  }
});

t.test('selection equals a brute-force greedy reference on random pools', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          sender: fc.integer({ min: 0, max: 3 }),
          nonce: fc.integer({ min: 0, max: 3 }),
          fee: fc.integer({ min: 1, max: 4 }),
        }),
        {
          maxLength: 25,
        },
      ),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: 1, max: 30 }),
      async (specs, parentNonces, maxTxs) => {
        const w = new World({ replacementBumpPercent: 0n });
        const admitted: SignedTransaction[] = [];
        for (const s of specs) {
          const tx = makeTx(senders[s.sender]!, BigInt(s.nonce), {
            fee: BigInt(s.fee) * FEE,
            amount: BigInt(1 + admitted.length),
          });
          const [r] = await w.add(tx);
          if (r!.ok) {
            // A replacement takes the old one's place: drop it from the reference.
            const i = admitted.findIndex(
              (a) => a.tx.senderPublicKey === tx.tx.senderPublicKey && a.tx.nonce === tx.tx.nonce,
            );
            if (i >= 0) admitted.splice(i, 1);
            admitted.push(tx);
          }
        }
        const nonceOf = (a: Uint8Array) =>
          BigInt(parentNonces[senders.findIndex((k) => Buffer.from(addr(k)).equals(a))] ?? 0);
        // Reference: repeatedly take the best executable head (fee desc, then arrival).
        const next = new Map(senders.map((k) => [Buffer.from(addr(k)).toString('hex'), nonceOf(addr(k))]));
        const expected: string[] = [];
        for (;;) {
          if (expected.length >= maxTxs) break;
          const heads = admitted.filter(
            (a) => next.get(Buffer.from(a.sender).toString('hex')) === a.tx.nonce,
          );
          if (heads.length === 0) break;
          heads.sort((x, y) =>
            x.tx.fee === y.tx.fee ? admitted.indexOf(x) - admitted.indexOf(y) : x.tx.fee > y.tx.fee ? -1 : 1,
          );
          const best = heads[0]!;
          expected.push(Buffer.from(best.hash).toString('hex'));
          next.set(Buffer.from(best.sender).toString('hex'), best.tx.nonce + 1n);
        }
        const got = w.mempool
          .selectForBlock({ nonceOf, now: NOW, maxTxs })
          .map((s) => Buffer.from(s.hash).toString('hex'));
        // With the changed senders named, only they are read from the parent state: same answer.
        const changedSenders = senders.filter((_, i) => (parentNonces[i] ?? 0) !== 0).map(addr);
        const got2 = w.mempool
          .selectForBlock({ nonceOf, changedSenders, now: NOW, maxTxs })
          .map((s) => Buffer.from(s.hash).toString('hex'));
        return (
          JSON.stringify(got) === JSON.stringify(expected) &&
          JSON.stringify(got2) === JSON.stringify(expected)
        );
      },
    ),
    { numRuns: 150 },
  );
  t.pass('150 random pools');
});

t.test('a failing verifier admits nothing of the batch', async (t) => {
  const w = new World();
  await w.verifier.close();
  await t.rejects(w.add(makeTx(alice, 0n), makeTx(bob, 0n)), { code: 'CLOSED' });
  t.equal(w.mempool.size, 0);
  const [stale] = await w.add(makeTx(alice, 0n, { chainId: 1 }));
  expectRefused(t, stale, 'WRONG_CHAIN'); // refused before the verifier: no call, no failure
});
