/**
 * node/validator: four validators in this process, each with its own
 * LevelDB in a temporary directory, talking libp2p over TCP on 127.0.0.1,
 * commit transfers sent through their JSON-RPC; one validator is stopped
 * and started again, resumes from its database, catches up from its peers,
 * and every validator ends with the same state root at the same height.
 * (Separate OS processes and kill -9 are the e2e tier's.)
 */
import '../../../core/polyfill.js';
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../core/bytes.js';
import { writeKeyFile } from '../../../genesis/keyfile.js';
import { writeGenesisFile } from '../../../genesis/json.js';
import { parseNodeConfig, type NodeConfig } from '../../../node/config.js';
import { createLogger } from '../../../node/logger.js';
import { Validator } from '../../../node/validator.js';
import { JsonRpcTransport } from '../../../node/client/transport.js';
import { RpcError } from '../../../node/client/errors.js';
import { gossipTopic } from '../../../node/network/topics.js';
import { CHAIN_ID, FEE, INITIAL, USERS, VALIDATORS, testGenesis, transfer } from './chain-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'hotshard-validator-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// Quiet logs (warnings and errors go to the test output).
const logger = createLogger({ level: 'error', sink: (line) => process.stderr.write(line + '\n') });
// A short round timeout: while one validator is stopped, its rounds time out quickly.
const genesis = testGenesis({ genesisTime: Date.now() - 60_000, baseRoundTimeoutMs: 300 });
writeGenesisFile(join(dir, 'genesis.json'), genesis);

function configOf(i: number, p2pPort = 0, peers: string[] = []): NodeConfig {
  writeKeyFile(join(dir, `v${i}.key.json`), VALIDATORS[i]!, { overwrite: true });
  return parseNodeConfig(
    {
      dataDir: `v${i}`,
      keyFile: `v${i}.key.json`,
      genesisFile: 'genesis.json',
      shard: 0,
      p2p: { host: '127.0.0.1', port: p2pPort },
      rpc: { host: '127.0.0.1', port: 0 },
      peers,
      logLevel: 'error',
      tuning: { verifierThreads: 0 },
    },
    dir,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  cond: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Status {
  committedHeight: number;
  stateRoot: string;
}

async function status(rpc: JsonRpcTransport): Promise<Status> {
  return (await rpc.call('hs_status', [])) as Status;
}

async function stateRootAt(rpc: JsonRpcTransport, height: number): Promise<string | null> {
  const b = (await rpc.call('hs_getBlockByHeight', [height])) as { stateRoot: string } | null;
  return b?.stateRoot ?? null;
}

t.test('four validators over libp2p and LevelDB commit transfers; a restarted one catches up', async (t) => {
  const validators: Validator[] = [];
  for (let i = 0; i < 4; i++) validators.push(await Validator.create(configOf(i), { logger }));
  const endpoints = [];
  for (const v of validators) endpoints.push(await v.start());
  // Full mesh (the network dials each pair from one side).
  for (let i = 0; i < 4; i++)
    for (let j = i + 1; j < 4; j++) validators[i]!.network.addStaticPeer(endpoints[j]!.p2p);
  const rpcs = endpoints.map((e) => new JsonRpcTransport(e.rpc));
  t.teardown(async () => {
    for (const r of rpcs) r.close();
    for (const v of validators) await v.stop();
  });

  await until('every validator commits', async () =>
    (await Promise.all(rpcs.map(status))).every((s) => s.committedHeight >= 2),
  );

  // hs_waitForBlock answers as soon as the block is committed, with the block hs_getBlockByHeight reads.
  const next = (await status(rpcs[0]!)).committedHeight + 1;
  const waited = (await rpcs[0]!.call('hs_waitForBlock', [next, 10_000])) as { height: number } | null;
  t.equal(waited?.height, next, 'hs_waitForBlock answers with the next block once it is committed');
  t.same(await rpcs[0]!.call('hs_getBlockByHeight', [next]), waited, 'the same block as hs_getBlockByHeight');
  t.equal(
    await rpcs[0]!.call('hs_waitForBlock', [next + 1_000_000, 50]),
    null,
    'null when the wait ends first',
  );
  try {
    await rpcs[0]!.call('hs_waitForBlock', [next, 60_000]);
    t.fail('a wait above the limit was accepted');
  } catch (err) {
    t.equal((err as RpcError).context.rpcCode, -32602, 'a wait above 25 s: invalid params');
  }

  // Transfers through different validators' RPC: alice -> bob, carol -> dave.
  const [alice, bob, carol, dave] = USERS as unknown as [
    (typeof USERS)[0],
    (typeof USERS)[0],
    (typeof USERS)[0],
    (typeof USERS)[0],
  ];
  const sent: string[] = [];
  for (let n = 0; n < 10; n++) {
    const a = transfer(alice, BigInt(n), bob.address, 10n);
    const c = transfer(carol, BigInt(n), dave.address, 20n);
    const ra = (await rpcs[n % 4]!.call('hs_sendTransaction', ['0x' + toHex(a.bytes)])) as { hash: string };
    const rc = (await rpcs[(n + 1) % 4]!.call('hs_sendTransaction', ['0x' + toHex(c.bytes)])) as {
      hash: string;
    };
    t.equal(ra.hash, '0x' + toHex(a.hash));
    sent.push(ra.hash, rc.hash);
  }

  // Bad input: a malformed transaction is refused with its typed code, a replay too.
  try {
    await rpcs[0]!.call('hs_sendTransaction', ['0x00ff']);
    t.fail('a malformed transaction was admitted');
  } catch (err) {
    t.equal((err as RpcError).context.dataCode, 'MALFORMED', 'malformed transaction: MALFORMED');
  }
  // Garbage on the proposals topic is rejected by every receiver (a scored-down REJECT).
  await validators[0]!.network.publish(
    gossipTopic(CHAIN_ID, 0, 'proposals'),
    new Uint8Array([0xc1, 0xc1, 0xc1]),
  );

  await until('every transfer is committed on every validator', async () => {
    for (const rpc of rpcs)
      for (const h of sent) if ((await rpc.call('hs_getReceipt', [h])) === null) return false;
    return true;
  });
  const receipt = (await rpcs[2]!.call('hs_getReceipt', [sent[0]])) as { status: string; fee: string };
  t.equal(receipt.status, 'success');
  t.equal(receipt.fee, FEE.toString());
  try {
    await rpcs[1]!.call('hs_sendTransaction', ['0x' + toHex(transfer(alice, 0n, bob.address, 10n).bytes)]);
    t.fail('a replayed transaction was admitted');
  } catch (err) {
    t.equal((err as RpcError).context.dataCode, 'NONCE_TOO_LOW', 'replay: NONCE_TOO_LOW');
  }
  await until('the garbage proposal is counted as rejected', () =>
    validators
      .slice(1)
      .some((v) =>
        /hotshard_gossip_messages_total\{topic="0\/proposals",verdict="reject"\} [1-9]/.test(
          v.metrics.expose(),
        ),
      ),
  );

  // Stop validator 3, keep the network going without it, start it again from its data directory.
  const v3port = Number(/\/tcp\/(\d+)\//.exec(endpoints[3]!.p2p)![1]);
  const heightAtStop = (await status(rpcs[3]!)).committedHeight;
  await validators[3]!.stop();
  rpcs[3]!.close();
  for (let n = 10; n < 15; n++)
    await rpcs[n % 3]!.call('hs_sendTransaction', [
      '0x' + toHex(transfer(alice, BigInt(n), bob.address, 10n).bytes),
    ]);
  await until(
    'the other three keep committing',
    async () => (await status(rpcs[0]!)).committedHeight >= heightAtStop + 10,
  );

  const restarted = await Validator.create(
    configOf(
      3,
      v3port,
      endpoints.slice(0, 3).map((e) => e.p2p),
    ),
    { logger },
  );
  validators[3] = restarted;
  t.ok(restarted.chain.tip.height >= heightAtStop, 'the restarted validator resumes from its own database');
  const e3 = await restarted.start();
  rpcs[3] = new JsonRpcTransport(e3.rpc);

  const alice15 = INITIAL - 15n * (10n + FEE);
  await until('the restarted validator catches up', async () => {
    const s = await status(rpcs[3]!);
    const bal = (await rpcs[3]!.call('hs_getAccount', ['0x' + toHex(alice.address)])) as {
      balances: Record<string, string>;
    };
    return (
      s.committedHeight >= heightAtStop + 10 && BigInt(Object.values(bal.balances)[0] ?? '0') === alice15
    );
  });

  // Everyone agrees: the same state root at one height, and the same balances (no transfer lost or doubled).
  const statuses = await Promise.all(rpcs.map(status));
  const h = Math.min(...statuses.map((s) => s.committedHeight));
  const roots = await Promise.all(rpcs.map((r) => stateRootAt(r, h)));
  t.ok(
    roots.every((r) => r !== null && r === roots[0]),
    `same state root at height ${h} on all four`,
  );
  for (const rpc of rpcs) {
    const a = (await rpc.call('hs_getAccount', ['0x' + toHex(alice.address), { proof: true }])) as {
      nonce: string;
      balances: Record<string, string>;
      proof?: string;
    };
    t.equal(a.nonce, '15');
    t.same(Object.values(a.balances), [alice15.toString()]);
    t.ok(typeof a.proof === 'string' && a.proof.startsWith('0x'), 'a proof is returned on request');
  }
  // Many commits later the block is read back from the database (no longer kept in memory): the same view.
  await until(
    'the block waited for leaves the 8 recent blocks kept in memory',
    async () => (await status(rpcs[0]!)).committedHeight > next + 8,
  );
  t.same(
    await rpcs[0]!.call('hs_getBlockByHeight', [next]),
    waited,
    'the same block, read from the database',
  );
  const d = (await rpcs[3]!.call('hs_getAccount', ['0x' + toHex(dave.address)])) as {
    balances: Record<string, string>;
  };
  t.same(Object.values(d.balances), [(INITIAL + 200n).toString()]);
});
