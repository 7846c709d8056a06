/** Block execution: the rules, receipts, invalid blocks, determinism, conservation, payloads and overlays. */
import t from 'tap';
import fc from 'fast-check';
import { toHex, equalBytes } from '../../../core/bytes.js';
import { hasCode } from '../../../core/errors.js';
import { ETH_ASSET_ID, NATIVE_ASSET_ID, assetKey } from '../../../shards/assets.js';
import {
  FEE_POOL_KEY,
  accountStateKey,
  decodeAccount,
  decodeFeePool,
  encodeAccount,
  stateValueHash,
  balanceOf,
} from '../../../shards/account.js';
import { executeBlock, buildBlock } from '../../../shards/execute.js';
import { executeShardPayload, proposeShardPayload } from '../../../shards/block.js';
import {
  decodeShardPayload,
  encodeShardPayload,
  payloadDigest,
  payloadHeaderDigest,
} from '../../../shards/payload.js';
import { ReceiptStatus } from '../../../shards/receipt.js';
import { supplyDifferences, supplyOfGenesis, supplyOfView } from '../../../shards/conservation.js';
import {
  MemoryStateStore,
  ShardState,
  StateOverlay,
  CommittedState,
  type StateView,
} from '../../../shards/state.js';
import { SparseMerkleTree, SMT_EMPTY, verifySmtProof } from '../../../shards/smt/index.js';
import { TxKind, SignedTransaction } from '../../../shards/transaction.js';
import { getAccount, getFeePool, proveAccount, verifyAccountProof } from '../../../shards/query.js';
import {
  INITIAL,
  USERS0,
  USERS1,
  context,
  genesisShard,
  testGenesis,
  tx,
  usersOnShard,
  type User,
} from './fixtures.js';

const g = testGenesis([{ address: USERS0[2]!.address, asset: ETH_ASSET_ID, amount: 500n }]);
const NATIVE = assetKey(NATIVE_ASSET_ID);
const [alice, bob, carol] = USERS0 as [User, User, User];

function account(view: StateView, u: User) {
  const v = view.getValue(accountStateKey(u.address));
  return v === undefined ? { nonce: 0n, balances: new Map<string, bigint>() } : decodeAccount(v);
}

t.test('genesis state: the supply of the shard is its genesis balances', async (t) => {
  const { state } = genesisShard(g, 0);
  t.same(supplyDifferences(supplyOfView(state.committed), supplyOfGenesis(g, 0)), []);
  t.equal(balanceOf(account(state.committed, alice).balances, NATIVE), INITIAL);
  const other = genesisShard(g, 1).state.committed;
  t.equal(account(other, alice).nonce, 0n);
  t.equal(account(other, alice).balances.size, 0, "shard 1 does not hold shard 0's accounts");
  t.equal(balanceOf(account(other, USERS1[0]!).balances, NATIVE), INITIAL);
});

t.test('a transfer moves the amount, charges the fee into the fee pool and consumes the nonce', async (t) => {
  const { state } = genesisShard(g, 0);
  const view = state.committed;
  const r = executeBlock(
    view,
    [tx(alice, { nonce: 0n, amount: 300n, recipient: bob.address })],
    context(g, 0, 1),
  );
  t.equal(r.receipts[0]!.status, ReceiptStatus.SUCCESS);
  t.equal(r.receipts[0]!.feeCharged, 1_000n);
  const after = new StateOverlay(view, r.writes);
  t.equal(account(after, alice).nonce, 1n);
  t.equal(balanceOf(account(after, alice).balances, NATIVE), INITIAL - 300n - 1_000n);
  t.equal(balanceOf(account(after, bob).balances, NATIVE), INITIAL + 300n);
  t.equal(balanceOf(decodeFeePool(after.getValue(FEE_POOL_KEY)!).balances, NATIVE), 1_000n);
  t.same(
    supplyDifferences(supplyOfView(view), supplyOfView(after)),
    [],
    'supply conserved (fee pool included)',
  );
  t.equal(account(view, alice).nonce, 0n, 'the parent view is untouched');
  // The new state root proves the new account, and the absence of an unknown one.
  const proof = new SparseMerkleTree(after).prove(r.stateRoot, accountStateKey(alice.address));
  t.ok(
    verifySmtProof(
      r.stateRoot,
      accountStateKey(alice.address),
      stateValueHash(after.getValue(accountStateKey(alice.address))!),
      proof,
    ),
  );
  const ap = proveAccount(after, alice.address);
  t.ok(verifyAccountProof(r.stateRoot, alice.address, ap.value, ap.proof));
  t.notOk(verifyAccountProof(view.root, alice.address, ap.value, ap.proof), 'not against the parent root');
  t.equal(getAccount(after, alice.address).nonce, 1n);
  const nobody = proveAccount(after, new Uint8Array(20).fill(9));
  t.equal(nobody.value, null);
  t.ok(verifyAccountProof(r.stateRoot, new Uint8Array(20).fill(9), null, nobody.proof), 'non-inclusion');
  t.notOk(verifyAccountProof(r.stateRoot, new Uint8Array(20).fill(9), ap.value, nobody.proof));
  t.equal(getFeePool(after).balances.get(NATIVE), 1_000n);
  // A brand new recipient account is created.
  const fresh = USERS0[7]!;
  const r2 = executeBlock(
    after,
    [tx(alice, { nonce: 1n, amount: 1n, recipient: new Uint8Array(fresh.address) })],
    context(g, 0, 2),
  );
  t.equal(balanceOf(account(new StateOverlay(after, r2.writes), fresh).balances, NATIVE), INITIAL + 1n);
});

t.test('failed transactions: a receipt, the fee and the nonce, nothing else', async (t) => {
  const { state } = genesisShard(g, 0);
  const view = state.committed;
  const txs = [
    tx(alice, { nonce: 0n, amount: INITIAL, recipient: bob.address }), // amount + fee > balance
    tx(alice, { nonce: 1n, amount: 1n, asset: ETH_ASSET_ID }), // holds no ETH
    tx(alice, { nonce: 2n, amount: 1n, recipient: USERS1[0]!.address, fee: 2_000n }), // cross shard
    tx(alice, { nonce: 3n, amount: 1n, kind: TxKind.withdraw, fee: 10_000n }), // withdraw
    tx(carol, { nonce: 0n, amount: 500n, asset: ETH_ASSET_ID, recipient: carol.address }), // self transfer
  ];
  const r = executeBlock(view, txs, context(g, 0, 1));
  t.same(
    r.receipts.map((x) => x.status),
    [
      ReceiptStatus.INSUFFICIENT_BALANCE,
      ReceiptStatus.INSUFFICIENT_BALANCE,
      ReceiptStatus.CROSS_SHARD_NOT_SUPPORTED,
      ReceiptStatus.WITHDRAW_NOT_SUPPORTED,
      ReceiptStatus.SUCCESS,
    ],
  );
  const after = new StateOverlay(view, r.writes);
  t.equal(account(after, alice).nonce, 4n);
  t.equal(
    balanceOf(account(after, alice).balances, NATIVE),
    INITIAL - 1_000n - 1_000n - 2_000n - 10_000n,
    'only fees left',
  );
  t.equal(balanceOf(account(after, bob).balances, NATIVE), INITIAL, 'the failed transfer credited nothing');
  t.equal(balanceOf(account(after, carol).balances, assetKey(ETH_ASSET_ID)), 500n);
  t.same(supplyDifferences(supplyOfView(view), supplyOfView(after)), []);
});

t.test(
  'invalid blocks: replayed or gapped nonce, expired, unpaid fee, bad signature, stateless failure',
  async (t) => {
    const { state } = genesisShard(g, 0);
    const view = state.committed;
    const ctx = context(g, 0, 1);
    const ok = tx(alice, { nonce: 0n });
    const cases: [string, SignedTransaction[], string][] = [
      ['replayed nonce', [ok, ok], 'NONCE_MISMATCH'],
      ['gapped nonce', [tx(alice, { nonce: 1n })], 'NONCE_MISMATCH'],
      ['expired', [tx(alice, { nonce: 0n, expiry: ctx.timestamp - 1 })], 'EXPIRED'],
      ['fee above the native balance', [tx(alice, { nonce: 0n, fee: INITIAL + 1n })], 'CANNOT_PAY_FEE'],
      ['fee from an unfunded account', [tx(unfunded(), { nonce: 0n })], 'CANNOT_PAY_FEE'],
      [
        'bad signature',
        [SignedTransaction.fromParts({ ...ok.tx, amount: 11n }, ok.signature)],
        'BAD_SIGNATURE',
      ],
      ['wrong chain', [tx(alice, { nonce: 0n, chainId: 1 })], 'INVALID_TRANSACTION'],
      ['sender of another shard', [tx(USERS1[0]!, { nonce: 0n })], 'INVALID_TRANSACTION'],
    ];
    for (const [name, txs, code] of cases) {
      const err = (() => {
        try {
          executeBlock(view, txs, ctx);
        } catch (e) {
          return e;
        }
      })();
      t.ok(hasCode(err, code), `${name}: ${code}`);
    }
    t.equal(
      executeBlock(view, [tx(alice, { nonce: 0n, expiry: ctx.timestamp })], ctx).receipts.length,
      1,
      'expiry equal to the timestamp is in time',
    );
    t.equal(account(view, alice).nonce, 0n, 'an invalid block wrote nothing');
  },
);

/** A user of shard 0 that genesis does not fund (other seeds than the funded users'). */
function unfunded(): User {
  return usersOnShard(0, 1, 'unfunded')[0]!;
}

t.test('a recipient balance cannot overflow: the transfer fails with a receipt', async (t) => {
  const store = new MemoryStateStore();
  const U128_MAX = (1n << 128n) - 1n;
  const put = (u: User, nonce: bigint, balances: [string, bigint][]) => {
    const key = accountStateKey(u.address);
    const value = encodeAccount({ nonce, balances: new Map(balances) });
    return { key, value, valueHash: stateValueHash(value) };
  };
  const entries = [
    put(alice, 0n, [
      [NATIVE, 10_000n],
      [assetKey(ETH_ASSET_ID), 5n],
    ]),
    put(bob, 0n, [[assetKey(ETH_ASSET_ID), U128_MAX - 2n]]),
  ];
  const res = new SparseMerkleTree(store).update(SMT_EMPTY, entries);
  store.apply({
    root: res.root,
    nodes: res.nodes,
    values: entries.map((e) => [e.key, e.value] as const),
  });
  const view = new CommittedState(store, res.root);
  const r = executeBlock(
    view,
    [tx(alice, { nonce: 0n, amount: 5n, asset: ETH_ASSET_ID, recipient: bob.address })],
    context(g, 0, 1),
  );
  t.equal(r.receipts[0]!.status, ReceiptStatus.RECIPIENT_OVERFLOW);
  const after = new StateOverlay(view, r.writes);
  t.equal(balanceOf(account(after, alice).balances, assetKey(ETH_ASSET_ID)), 5n);
  t.equal(balanceOf(account(after, bob).balances, assetKey(ETH_ASSET_ID)), U128_MAX - 2n);
});

/** Random blocks of transfers among the shard's users (some failing), executed on two independent nodes. */
const blockArb = fc.array(
  fc.record({
    from: fc.nat({ max: 5 }),
    to: fc.nat({ max: 7 }),
    amount: fc.bigInt({ min: 1n, max: INITIAL / 2n }),
    eth: fc.boolean(),
    fee: fc.bigInt({ min: 1_000n, max: 5_000n }),
  }),
  { maxLength: 40 },
);

function toTxs(
  spec: { from: number; to: number; amount: bigint; eth: boolean; fee: bigint }[],
  nonces: Map<number, bigint>,
): SignedTransaction[] {
  return spec.map((s) => {
    const n = nonces.get(s.from) ?? 0n;
    nonces.set(s.from, n + 1n);
    return tx(USERS0[s.from]!, {
      nonce: n,
      amount: s.amount,
      recipient: USERS0[s.to]!.address,
      fee: s.fee,
      asset: s.eth ? ETH_ASSET_ID : NATIVE_ASSET_ID,
    });
  });
}

t.test('determinism and conservation over random blocks', async (t) => {
  fc.assert(
    fc.property(fc.array(blockArb, { minLength: 1, maxLength: 3 }), (blocks) => {
      const a = genesisShard(g, 0).state;
      const b = genesisShard(g, 0).state;
      const nonces = new Map<number, bigint>();
      let parentA: StateView = a.committed;
      let parentB: StateView = b.committed;
      const supply = supplyOfView(parentA);
      for (let h = 0; h < blocks.length; h++) {
        const txs = toTxs(blocks[h]!, nonces);
        const ra = executeBlock(parentA, txs, context(g, 0, h + 1));
        const rb = executeBlock(
          parentB,
          txs.map((x) => SignedTransaction.fromParts(x.tx, x.signature)),
          context(g, 0, h + 1),
        );
        if (
          !equalBytes(ra.stateRoot, rb.stateRoot) ||
          !equalBytes(ra.receiptsRoot, rb.receiptsRoot) ||
          !equalBytes(ra.txRoot, rb.txRoot)
        )
          return false;
        parentA = new StateOverlay(parentA, ra.writes);
        parentB = new StateOverlay(parentB, rb.writes);
        if (supplyDifferences(supply, supplyOfView(parentA)).length !== 0) return false;
      }
      return true;
    }),
    { numRuns: 15 },
  );
});

t.test('payloads: a proposer builds, another node validates; any tampering is rejected', async (t) => {
  const proposer = genesisShard(g, 0).state;
  const validator = genesisShard(g, 0).state;
  const ctx = context(g, 0, 1);
  const candidates = [
    tx(alice, { nonce: 0n, amount: 7n }),
    tx(alice, { nonce: 5n }), // gap: left out
    tx(bob, { nonce: 0n, expiry: ctx.timestamp - 1 }), // expired: left out
    tx(alice, { nonce: 1n, amount: 8n }),
    tx(alice, { nonce: 0n, amount: 7n }), // duplicate: left out
    tx(carol, { nonce: 0n, amount: 1n, asset: ETH_ASSET_ID, recipient: bob.address }),
  ];
  const p = proposeShardPayload(proposer.committed, candidates, ctx);
  t.equal(p.result.transactions.length, 3);
  t.same(
    p.rejected.map((r) => r.error.code),
    ['NONCE_MISMATCH', 'EXPIRED'],
  );
  t.ok(equalBytes(payloadDigest(p.payload), p.digest), 'payloadDigest of the bytes is the header digest');
  const v = executeShardPayload(validator.committed, p.payload, ctx);
  t.ok(equalBytes(v.digest, p.digest));
  t.ok(equalBytes(v.result.stateRoot, p.result.stateRoot));

  const decoded = decodeShardPayload(p.payload);
  const reencode = (header: object, txs = decoded.transactions) =>
    encodeShardPayload({ header: { ...decoded.header, ...header }, transactions: txs });
  const expectCode = (bytes: Uint8Array, code: string, c = ctx) => {
    const err = (() => {
      try {
        executeShardPayload(validator.committed, bytes, c);
      } catch (e) {
        return e;
      }
    })();
    t.ok(hasCode(err, code), code);
  };
  expectCode(reencode({ stateRoot: new Uint8Array(32).fill(1) }), 'STATE_ROOT_MISMATCH');
  expectCode(reencode({ receiptsRoot: new Uint8Array(32).fill(1) }), 'RECEIPTS_ROOT_MISMATCH');
  expectCode(reencode({}, [...decoded.transactions].reverse()), 'TX_ROOT_MISMATCH');
  expectCode(reencode({ txCount: 2 }), 'TX_ROOT_MISMATCH');
  expectCode(reencode({ shardId: 1 }), 'WRONG_SHARD');
  expectCode(reencode({ chainId: 9 }), 'WRONG_CHAIN');
  expectCode(reencode({ outboxRoots: [{ lane: 1, root: new Uint8Array(32) }] }), 'OUTBOX_MISMATCH');
  expectCode(reencode({ inboxCursors: [{ lane: 1, nextSeq: 3n }] }), 'INBOX_MISMATCH');
  expectCode(reencode({ beaconRef: { height: 1, hash: new Uint8Array(32) } }), 'BEACON_REF_MISMATCH');
  expectCode(p.payload.subarray(0, p.payload.length - 1), 'MALFORMED_PAYLOAD');
  expectCode(p.payload, 'EXPIRED', context(g, 0, 1, ctx.timestamp + 10 ** 9));
  t.not(
    toHex(payloadHeaderDigest({ ...decoded.header, stateRoot: new Uint8Array(32) })),
    toHex(p.digest),
    'the digest covers the state root',
  );
});

t.test('block limits: at most 2,000 transactions', async (t) => {
  const { state } = genesisShard(g, 0);
  const many = Array.from({ length: 2001 }, (_, i) => tx(alice, { nonce: BigInt(i), amount: 1n }));
  t.throws(() => executeBlock(state.committed, many, context(g, 0, 1), { isSignatureValid: () => true }), {
    code: 'TOO_MANY_TRANSACTIONS',
  });
  const built = buildBlock(state.committed, many, context(g, 0, 1), { isSignatureValid: () => true });
  t.equal(built.result.transactions.length, 2000, 'the proposer stops at the limit');
  const small = buildBlock(state.committed, many, context(g, 0, 1), {
    isSignatureValid: () => true,
    maxPayloadBytes: 4096 + 10 * 175,
  });
  t.ok(
    small.result.transactions.length < 11 && small.result.transactions.length > 0,
    'the proposer stops at the byte budget',
  );
});

t.test('ShardState: overlays per block, forks, commit batches, released forks', async (t) => {
  const { store, state } = genesisShard(g, 0);
  const id = (n: number) => new Uint8Array(32).fill(n);
  const GEN = new Uint8Array(32);
  const exec = (parent: Uint8Array, child: Uint8Array, height: number, txs: SignedTransaction[]) => {
    const r = executeBlock(state.view(parent)!, txs, context(g, 0, height));
    return state.addBlock(child, parent, r.writes);
  };
  exec(GEN, id(1), 1, [tx(alice, { nonce: 0n, amount: 1n })]);
  exec(id(1), id(2), 2, [tx(alice, { nonce: 1n, amount: 2n })]);
  const fork = exec(id(1), id(3), 2, [tx(alice, { nonce: 1n, amount: 3n })]);
  const child = exec(id(2), id(4), 3, [tx(alice, { nonce: 2n, amount: 4n })]);
  t.equal(account(state.view(id(4))!, bob).balances.get(NATIVE), INITIAL + 7n);
  t.equal(account(state.view(id(3))!, bob).balances.get(NATIVE), INITIAL + 4n);
  t.equal(account(state.committed, bob).balances.get(NATIVE), INITIAL, 'nothing committed yet');
  t.throws(
    () => state.commitBatch([id(2)]),
    { code: 'NOT_A_CHAIN' },
    'commits must extend the committed tip',
  );

  const batch = state.commitBatch([id(1), id(2)]);
  t.equal(account(state.committed, bob).balances.get(NATIVE), INITIAL, 'building the batch changes nothing');
  store.apply(batch); // what the node writes atomically
  state.markCommitted([id(1), id(2)]);
  t.ok(equalBytes(state.committed.root, batch.root));
  t.equal(account(state.committed, bob).balances.get(NATIVE), INITIAL + 3n);
  t.equal(
    account(child, bob).balances.get(NATIVE),
    INITIAL + 7n,
    'the child reads through the committed state',
  );
  t.equal(state.pendingCount, 1, 'only the child remains');
  t.throws(
    () => fork.getValue(accountStateKey(bob.address)),
    { code: 'RELEASED' },
    'the fork can never commit',
  );
  t.same(supplyDifferences(supplyOfGenesis(g, 0), supplyOfView(child)), []);
  // The committed store matches a replay from scratch.
  const replay = genesisShard(g, 0).state;
  const r1 = executeBlock(replay.committed, [tx(alice, { nonce: 0n, amount: 1n })], context(g, 0, 1));
  const o1 = new StateOverlay(replay.committed, r1.writes);
  const r2 = executeBlock(o1, [tx(alice, { nonce: 1n, amount: 2n })], context(g, 0, 2));
  t.ok(equalBytes(r2.stateRoot, batch.root));
});
