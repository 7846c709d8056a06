/**
 * End to end, with real processes from dist/: one 4-validator testnet,
 * shared by the checks below in order.
 *   - 4 validators commit transfers, visible on every validator;
 *   - `kill -9` of one validator does not stop the others;
 *   - restarted, it catches up from its own database and its peers;
 *   - all validators end with the same state root at the same height;
 *   - no transfer is lost or applied twice (balances, nonces, one inclusion each, replays refused).
 */
import '../../core/polyfill.js';
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressToHex } from '../../core/address.js';
import { toHex } from '../../core/bytes.js';
import { NATIVE_ASSET_ID } from '../../genesis/asset-id.js';
import { HotshardClient } from '../../node/client/client.js';
import { RpcError } from '../../node/client/errors.js';
import { buildTransfer } from '../../node/client/transfer.js';
import { ensureBuilt } from '../../node/testnet/entry.js';
import { Testnet } from '../../node/testnet/testnet.js';

const NATIVE = '0x' + toHex(NATIVE_ASSET_ID);
const WAIT = { timeoutMs: 60_000, pollMs: 100 };

interface Sent {
  hash: string;
  from: number;
  to: number;
  amount: bigint;
  fee: bigint;
}

t.setTimeout(170_000);

t.before(async () => {
  await ensureBuilt();
});

const dir = mkdtempSync(join(tmpdir(), 'hotshard-e2e-testnet-'));
let net: Testnet;
const clients: HotshardClient[] = [];
const sent: Sent[] = [];
const nextNonce = [0n, 0n, 0n, 0n];

t.teardown(async () => {
  for (const c of clients) c.close();
  if (net !== undefined) await net.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Signs and submits `count` transfers from account `from` to `to`, through validator `via`. */
async function transfers(t: Test, from: number, to: number, count: number, via: number): Promise<Sent[]> {
  const c = clients[via]!;
  const status = await c.status();
  const fee = net.files.genesis.fees.minTransferFee;
  const out: Sent[] = [];
  for (let i = 0; i < count; i++) {
    const amount = BigInt(1000 + from * 100 + i);
    const stx = buildTransfer({
      chainId: status.chainId,
      shardId: status.shard,
      sender: net.accounts[from]!.keys.ed25519,
      nonce: nextNonce[from]!++,
      to: net.accounts[to]!.keys.address,
      amount,
      fee,
    });
    const { hash } = await c.sendTransaction(stx.bytes);
    t.equal(hash, '0x' + toHex(stx.hash), 'the node names the transaction by its hash');
    const s = { hash, from, to, amount, fee };
    sent.push(s);
    out.push(s);
  }
  return out;
}

async function receiptsOn(t: Test, index: number, list: readonly Sent[]): Promise<void> {
  for (const s of list) {
    const r = await clients[index]!.waitForReceipt(s.hash, WAIT);
    t.ok(r.height > 0, `receipt of ${s.hash.slice(0, 10)} on validator-${index}`);
  }
}

t.test('4 validators start and commit blocks', async (t) => {
  net = await Testnet.open({ dir, accounts: 4 });
  t.equal(net.validators.length, 4);
  const file = await net.start();
  t.equal(file.validators.length, 4, 'testnet.json lists every validator');
  for (const v of net.validators) clients.push(new HotshardClient(v.rpc));
  for (const c of clients) {
    const s = await c.waitForCommittedHeight(2, WAIT);
    t.equal(s.committee.length, 4, 'a committee of 4');
  }
});

t.test('transfers are committed and visible on every validator', async (t) => {
  const list = [
    ...(await transfers(t, 0, 1, 5, 0)),
    ...(await transfers(t, 1, 2, 5, 1)),
    ...(await transfers(t, 2, 3, 5, 2)),
  ];
  for (let v = 0; v < 4; v++) await receiptsOn(t, v, list);
  for (const r of await clients[3]!.getReceipts(list.map((s) => s.hash))) {
    t.ok(
      r !== null && !(r instanceof RpcError) && /^(0|success)$/i.test(r.status),
      'every transfer succeeded',
    );
  }
});

t.test('kill -9 of one validator does not stop the others', async (t) => {
  const exit = await net.killValidator(3, 'SIGKILL');
  t.equal(exit.signal, 'SIGKILL');
  const before = (await clients[0]!.status()).committedHeight;
  const list = [...(await transfers(t, 0, 2, 5, 0)), ...(await transfers(t, 3, 0, 5, 1))];
  for (let v = 0; v < 3; v++) await receiptsOn(t, v, list);
  const after = (await clients[0]!.status()).committedHeight;
  t.ok(after > before, `the other three kept committing (${before} -> ${after})`);
});

t.test('restarted, it catches up from its own database and its peers', async (t) => {
  const target = (await clients[0]!.status()).committedHeight;
  const s = await net.startValidator(3);
  t.ok(
    s.committedHeight >= 1,
    `it resumed from its database at height ${s.committedHeight}, not from genesis`,
  );
  await clients[3]!.waitForCommittedHeight(target, WAIT);
  // Everything sent while it was down is there too.
  await receiptsOn(t, 3, sent);
  // And it takes part again: new transfers through it commit everywhere.
  const list = await transfers(t, 3, 1, 3, 3);
  for (let v = 0; v < 4; v++) await receiptsOn(t, v, list);
  // Caught up, it commits by consensus again, not by syncing every block it missed
  // (a restarted node once re-rooted on a copy of a block it held and synced forever).
  const syncedBefore = await syncedBlocks(3);
  t.ok(syncedBefore > 0, `it caught up by syncing ${syncedBefore} blocks from its peers`);
  const from = (await clients[3]!.status()).committedHeight;
  await clients[3]!.waitForCommittedHeight(from + 40, WAIT);
  const syncedAfter = await syncedBlocks(3);
  t.ok(
    syncedAfter - syncedBefore < 10,
    `of the next 40 blocks it committed, ${syncedAfter - syncedBefore} came by sync`,
  );
});

/** Validator i's `hotshard_sync_blocks_total`: blocks it committed by syncing from peers. */
async function syncedBlocks(i: number): Promise<number> {
  const res = await fetch(new URL('/metrics', net.validators[i]!.rpc));
  if (!res.ok) throw new Error(`validator-${i} /metrics answered ${res.status}`);
  const m = /^hotshard_sync_blocks_total (\d+)$/m.exec(await res.text());
  return m === null ? 0 : Number(m[1]); // a counter appears once it has counted
}

t.test('all validators end with the same state root at the same height', async (t) => {
  const heights = await Promise.all(clients.map(async (c) => (await c.status()).committedHeight));
  const h = Math.min(...heights);
  const blocks = await Promise.all(clients.map((c) => c.getBlockByHeight(h)));
  for (const b of blocks) t.ok(b !== null, `every validator has block ${h}`);
  t.equal(new Set(blocks.map((b) => b!.id)).size, 1, `one block id at height ${h}`);
  t.equal(new Set(blocks.map((b) => b!.stateRoot)).size, 1, `one state root at height ${h}`);
});

t.test('no transfer is lost or applied twice', async (t) => {
  const genesisBalance = net.accounts[0]!.balance;
  const expected = net.accounts.map(() => genesisBalance);
  for (const s of sent) {
    expected[s.from]! -= s.amount + s.fee;
    expected[s.to]! += s.amount;
  }
  // Each transfer is in exactly one committed block.
  const tip = (await clients[0]!.status()).committedHeight;
  const inclusions = new Map<string, number>();
  const chain = await clients[0]!.getBlocksByHeight(1, tip);
  t.equal(chain.filter((b) => b === null).length, 0, `every height 1..${tip} has its committed block`);
  for (const b of chain) {
    for (const tx of b?.transactions ?? []) inclusions.set(tx, (inclusions.get(tx) ?? 0) + 1);
  }
  t.equal(
    sent.filter((s) => inclusions.get(s.hash) === 1).length,
    sent.length,
    `each of the ${sent.length} transfers is in exactly one block`,
  );

  // A replay of a committed transfer is refused and changes nothing.
  const first = sent[0]!;
  const status = await clients[0]!.status();
  const replay = buildTransfer({
    chainId: status.chainId,
    shardId: status.shard,
    sender: net.accounts[first.from]!.keys.ed25519,
    nonce: 0n,
    to: net.accounts[first.to]!.keys.address,
    amount: first.amount,
    fee: first.fee,
  });
  const err = await clients[0]!.sendTransaction(replay.bytes).catch((e: unknown) => e);
  t.ok(
    err instanceof RpcError && err.code === 'REMOTE',
    `a replayed nonce is refused (${(err as RpcError).context?.dataCode})`,
  );

  for (let v = 0; v < 4; v++) {
    for (let a = 0; a < 4; a++) {
      const acct = await clients[v]!.getAccount(addressToHex(net.accounts[a]!.keys.address));
      t.equal(acct.balances[NATIVE], expected[a], `validator-${v}: balance of account-${a}`);
      t.equal(acct.nonce, nextNonce[a], `validator-${v}: nonce of account-${a}`);
    }
  }
});

t.test('Ctrl-C semantics: every validator stops cleanly with exit code 0', async (t) => {
  const results = await net.stop();
  for (const r of results) {
    t.equal(r.forced, false, `${r.name} stopped within the grace period`);
    t.equal(r.code, 0, `${r.name} exited 0`);
  }
});

t.test('resumed from the same directory, every validator commits by consensus', async (t) => {
  // Stopped together, the validators held uncommitted blocks at different heights; a resumed
  // validator re-rooted by sync on a copy of a block it held once never committed by itself again.
  net = await Testnet.open({ dir });
  await net.start();
  for (const c of clients) c.close();
  clients.length = 0;
  for (const v of net.validators) clients.push(new HotshardClient(v.rpc));
  const resumedAt = Math.max(
    ...(await Promise.all(clients.map(async (c) => (await c.status()).committedHeight))),
  );
  for (const c of clients) await c.waitForCommittedHeight(resumedAt + 5, WAIT);
  const before = await Promise.all(clients.map((_, i) => syncedBlocks(i)));
  const from = (await clients[0]!.status()).committedHeight;
  for (const c of clients) await c.waitForCommittedHeight(from + 40, WAIT);
  const after = await Promise.all(clients.map((_, i) => syncedBlocks(i)));
  for (let i = 0; i < 4; i++) {
    t.ok(
      after[i]! - before[i]! < 10,
      `validator-${i}: ${after[i]! - before[i]!} blocks committed by sync while the chain grew by 40`,
    );
  }
  const results = await net.stop();
  t.ok(
    results.every((r) => r.code === 0),
    'and stops cleanly again',
  );
});
