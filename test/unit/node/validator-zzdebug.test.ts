import { genesisQc } from '../../../consensus/engine.js';
import { blockId } from '../../../consensus/messages.js';
import { createGenesis } from '../../../genesis/create.js';
import { MemoryDisk, NodeDatabase, ChainStore, LevelKvStore } from '../../../node/storage/index.js';
import { Chain } from '../../../node/chain/chain.js';
import { CachedTxVerifier, MainThreadVerifier } from '../../../node/verify/index.js';
import { createShardMempool, accountReaderOf } from '../../../node/mempool/index.js';
import { VALIDATORS, user, transfer, certify, makeBlock, CHAIN_ID } from './chain-fixtures.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = 2000;
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const senders = Array.from({ length: 1024 }, (_, i) => user('perf-' + i));
const genesis = createGenesis({ chainId: CHAIN_ID, ethereumChainId: 1, shardCount: 1, validators: VALIDATORS.map((v) => ({ publicKey: v.ed25519.publicKey, ethAddress: v.secp256k1.ethAddress })), genesisTime: 1_700_000_000_000, funds: senders.map((u) => ({ address: u.address, amount: 10n ** 20n })) });
async function open(level: boolean) {
  const db = level ? new NodeDatabase(await LevelKvStore.open({ path: mkdtempSync(join(tmpdir(), 'perf-')) })) : new NodeDatabase(new MemoryDisk().open());
  const store = new ChainStore(db, 0);
  const verifier = new CachedTxVerifier(new MainThreadVerifier());
  const chain = await Chain.open({ store, genesis, shardId: 0, verifier });
  const p = chain.params;
  const mempool = createShardMempool({ chainId: p.chainId, shardId: p.shardId, shardMap: p.shardMap, fees: p.fees }, { verifier, state: accountReaderOf(chain.committedView()), now: () => 1_700_000_000_000 }, { maxTxs: 50000 });
  chain.attachMempool(mempool);
  return { chain, mempool, verifier };
}
const leader = await open(true);
const peer = await open(true);
let parent = leader.chain.genesisBlock;
let qc = genesisQc(parent);
let nonce = 0n;
for (let round = 1; round <= 6; round++) {
  const txs = Array.from({ length: N }, (_, i) => transfer(senders[i % 1024]!, nonce + BigInt(Math.floor(i / 1024)), senders[(i + 7) % 1024]!.address, 1n));
  nonce += BigInt(Math.ceil(N / 1024));
  let t0 = cpu();
  const r1 = await leader.mempool.addBatch(txs.map((t) => t.bytes));
  const tAdmitL = cpu() - t0;
  t0 = cpu();
  await peer.mempool.addBatch(txs.map((t) => t.bytes));
  const tAdmitP = cpu() - t0;
  const ts = 1_700_000_000_000 + round * 1000;
  t0 = cpu();
  const payload = await leader.chain.buildPayload(parent, round, parent.height + 1, ts);
  const tBuild = cpu() - t0;
  const block = makeBlock(leader.chain, parent, qc, payload, round, ts);
  t0 = cpu();
  await leader.chain.execute(block);
  const tExecL = cpu() - t0;
  t0 = cpu();
  const v = await peer.chain.execute(block);
  const tExecP = cpu() - t0;
  const nextQc = certify(leader.chain.domain, block, parent);
  let tCommit = 0;
  if (round > 1) {
    t0 = cpu();
    await leader.chain.commit([parent], nextQc);
    await peer.chain.commit([parent], nextQc);
    tCommit = (cpu() - t0) / 2;
  }
  console.log(JSON.stringify({ round, ok: v.ok, admitted: r1.filter((x) => x.ok).length, tAdmitL: tAdmitL.toFixed(0), tAdmitP: tAdmitP.toFixed(0), tBuild: tBuild.toFixed(0), tExecL: tExecL.toFixed(1), tExecP: tExecP.toFixed(0), tCommit: tCommit.toFixed(0), bytes: payload.length }));
  parent = block;
  qc = nextQc;
}
