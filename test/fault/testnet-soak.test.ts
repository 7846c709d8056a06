/**
 * Kill/restart soak (slow; `npm run test:fault`): four validators as real
 * processes, senders transferring all the time, and every few seconds one
 * validator is crashed (`kill -9`) or stopped (SIGTERM), then started again
 * from its own database. At the end every validator must have the same
 * block and state root at the same height, every transfer that was sent
 * must be committed exactly once, and balances and nonces must match.
 *
 * HOTSHARD_SOAK_SECONDS sets the length (default 180).
 */
import '../../core/polyfill.js';
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

const SOAK_MS = Number(process.env.HOTSHARD_SOAK_SECONDS ?? 180) * 1000;
const NATIVE = '0x' + toHex(NATIVE_ASSET_ID);
t.setTimeout(SOAK_MS + 240_000);

interface Committed {
  hash: string;
  from: number;
  to: number;
  amount: bigint;
  fee: bigint;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test(
  'kill -9 / SIGTERM / restart under load: same state everywhere, nothing lost or doubled',
  async (t) => {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'hotshard-soak-'));
    const net = await Testnet.open({ dir, accounts: 6 });
    const clients: HotshardClient[] = [];
    t.teardown(async () => {
      for (const c of clients) c.close();
      const stopped = await net.stop();
      t.comment(
        `validators stopped: ${stopped.map((r) => `${r.name} ${r.signal ?? r.code}${r.forced ? ' (killed)' : ''}`).join(', ')}`,
      );
      rmSync(dir, { recursive: true, force: true });
    });
    await net.start();
    for (const v of net.validators) clients.push(new HotshardClient(v.rpc, { timeoutMs: 5000 }));
    await clients[0]!.waitForCommittedHeight(1, { timeoutMs: 60_000 });
    const { chainId, shard } = await clients[0]!.status();
    const fee = net.files.genesis.fees.minTransferFee;
    const down = new Set<number>();
    const committed: Committed[] = [];
    const failed: string[] = [];
    let stop = false;

    // One loop per sender: send nonce n, wait for its receipt, resend the same bytes elsewhere when lost.
    const sender = async (from: number): Promise<void> => {
      let nonce = 0n;
      let k = 0;
      while (!stop) {
        const to = (from + 1) % net.accounts.length;
        const amount = BigInt(1 + (k++ % 97));
        const stx = buildTransfer({
          chainId,
          shardId: shard,
          sender: net.accounts[from]!.keys.ed25519,
          nonce,
          to: net.accounts[to]!.keys.address,
          amount,
          fee,
        });
        const hash = '0x' + toHex(stx.hash);
        for (let attempt = 0; ; attempt++) {
          const alive = [0, 1, 2, 3].filter((i) => !down.has(i));
          const c = clients[alive[(from + attempt) % alive.length]!]!;
          try {
            await c.sendTransaction(stx.bytes);
          } catch (err) {
            // DUPLICATE / NONCE_TOO_LOW: already pooled or committed; otherwise the validator is going down.
            if (!(err instanceof RpcError)) throw err;
          }
          try {
            const r = await c.waitForReceipt(hash, { timeoutMs: 15_000, pollMs: 100 });
            if (!/^(0|success)$/i.test(r.status)) failed.push(`${from}/${nonce}: ${r.error ?? r.status}`);
            committed.push({ hash, from, to, amount, fee });
            break;
          } catch (err) {
            if (!(err instanceof RpcError)) throw err;
            if (stop && attempt > 8) throw new Error(`transfer ${from}/${nonce} never committed`);
          }
        }
        nonce++;
      }
    };
    // A sender that fails stops the soak (instead of an unhandled rejection while the chaos goes on).
    const senderErrors: string[] = [];
    const senders = net.accounts.map((_, i) =>
      sender(i).catch((err: unknown) => {
        senderErrors.push(`sender ${i}: ${String(err)}`);
        stop = true;
      }),
    );

    // The chaos: every 8-12 s, crash or stop one validator, restart it 3-6 s later.
    const started = Date.now();
    let cycle = 0;
    while (Date.now() - started < SOAK_MS && senderErrors.length === 0) {
      await sleep(8000 + (cycle % 3) * 2000);
      const victim = cycle % 4;
      const signal = cycle % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
      down.add(victim);
      if (signal === 'SIGKILL') await net.killValidator(victim, 'SIGKILL');
      else {
        const r = await net.stopValidator(victim);
        t.equal(r.code, 0, `validator-${victim} exited 0 on SIGTERM`);
      }
      await sleep(3000 + (cycle % 4) * 1000);
      const s = await net.startValidator(victim);
      down.delete(victim);
      t.pass(`cycle ${cycle}: validator-${victim} ${signal}, restarted at height ${s.committedHeight}`);
      cycle++;
    }
    stop = true;
    t.comment(
      `${Math.round((Date.now() - started) / 1000)} s: chaos over, waiting for the senders' last transfers`,
    );
    await Promise.all(senders);
    t.same(senderErrors, [], 'no sender failed');
    t.comment(`${Math.round((Date.now() - started) / 1000)} s: senders done, comparing the validators`);
    t.same(failed, [], 'every committed transfer succeeded');

    // Let the last restarted validator catch up, then compare everything.
    const tip = Math.max(
      ...(await Promise.all(clients.map(async (c) => (await c.status()).committedHeight))),
    );
    for (const c of clients) await c.waitForCommittedHeight(tip, { timeoutMs: 60_000 });
    const blocks = await Promise.all(clients.map((c) => c.getBlockByHeight(tip)));
    t.equal(new Set(blocks.map((b) => b!.id)).size, 1, `one block at height ${tip}`);
    t.equal(new Set(blocks.map((b) => b!.stateRoot)).size, 1, `one state root at height ${tip}`);

    const inclusions = new Map<string, number>();
    const chain = await clients[0]!.getBlocksByHeight(1, tip);
    t.equal(chain.filter((b) => b === null).length, 0, `every height 1..${tip} has its committed block`);
    for (const b of chain) {
      for (const tx of b?.transactions ?? []) inclusions.set(tx, (inclusions.get(tx) ?? 0) + 1);
    }
    t.equal(
      committed.filter((c) => inclusions.get(c.hash) === 1).length,
      committed.length,
      `${committed.length} transfers, each in exactly one block`,
    );

    const expected = net.accounts.map((a) => a.balance);
    const nonces = net.accounts.map(() => 0n);
    for (const c of committed) {
      expected[c.from]! -= c.amount + c.fee;
      expected[c.to]! += c.amount;
      nonces[c.from]!++;
    }
    for (let v = 0; v < 4; v++) {
      for (let a = 0; a < net.accounts.length; a++) {
        const acct = await clients[v]!.getAccount(addressToHex(net.accounts[a]!.keys.address));
        t.equal(acct.balances[NATIVE], expected[a], `validator-${v}: balance of account-${a}`);
        t.equal(acct.nonce, nonces[a], `validator-${v}: nonce of account-${a}`);
      }
    }
    t.ok(cycle >= Math.floor(SOAK_MS / 30_000), `${cycle} kill/restart cycles`);
    // A stop between two tree writes (every 16th commit) leaves journaled commits to replay on start.
    const replays = [0, 1, 2, 3]
      .map((v) => readFileSync(join(dir, `validator-${v}`, 'node.log'), 'utf8'))
      .join('')
      .split('\n')
      .filter((line) => line.includes('state tree completed from the journal')).length;
    t.ok(replays >= 1, `${replays} restarts rebuilt their state tree from the journal`);
  },
);
