/**
 * The node's own work per transaction, without the network: what one
 * validator spends on each stage of a transfer's life, in one process, on a
 * real LevelDB in a temporary directory (docs/benchmark.md, Pipeline).
 *
 *   admit   a gossip batch decoded and admitted to a follower's mempool
 *           (signatures verified on the main thread, timed apart as `verify`)
 *   build   the leader choosing and executing a block from its mempool
 *   execute the follower decoding and executing that block (payloadDigest
 *           and execute, as the engine calls them)
 *   commit  both chains writing the commit batch and applying it
 *
 * Figures are CPU microseconds per transaction (process.cpuUsage, so the
 * libuv threads of LevelDB count too), medians over the blocks. The full
 * benchmark (hotshard bench) adds the network, consensus and the RPC.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BLOCK_VERSION, blockId, blockInfo } from '../consensus/messages.js';
import { genesisQc } from '../consensus/engine.js';
import { ed25519Scheme, voteSigningBytes } from '../consensus/signing.js';
import { ValidatorSet } from '../consensus/committee.js';
import type { Block, QuorumCert } from '../consensus/types.js';
import { taggedHash } from '../core/hash.js';
import { u64be } from '../core/bytes.js';
import { createGenesis } from '../genesis/create.js';
import { validatorKeysFromSecrets } from '../genesis/keyfile.js';
import { NATIVE_ASSET_ID } from '../genesis/asset-id.js';
import type { Genesis } from '../genesis/types.js';
import { TxKind, signTransaction, type SignedTransaction } from '../shards/transaction.js';
import { Chain } from '../node/chain/chain.js';
import { ChainStore, NodeDatabase } from '../node/storage/index.js';
import {
  CachedTxVerifier,
  MainThreadVerifier,
  type SignatureVerifier,
  type VerifyItem,
} from '../node/verify/index.js';
import { admitGossipBatch, createShardMempool, encodeTxBatch, type Mempool } from '../node/mempool/index.js';
import { benchAccounts, type BenchAccount } from './accounts.js';
import { median } from './stats.js';

export interface PipelineOptions {
  readonly blocks: number;
  readonly blockTxs: number;
  readonly accounts: number;
  /** Transactions per gossip batch. */
  readonly batch: number;
}

export const DEFAULT_PIPELINE: PipelineOptions = { blocks: 12, blockTxs: 1000, accounts: 1024, batch: 100 };

export interface PipelineResult {
  readonly blocks: number;
  readonly blockTxs: number;
  /** CPU µs per transaction, medians over the measured blocks. */
  readonly usPerTx: {
    readonly admit: number;
    readonly verify: number;
    readonly build: number;
    readonly execute: number;
    readonly commit: number;
    /** One follower's share: admit (verification included) + execute + its commit. */
    readonly follower: number;
  };
}

const CHAIN_ID = 4242;
const GENESIS_TIME = 1_700_000_000_000;
const FEE = 1_000n;

/** Counts the CPU the wrapped verifier spends (the main-thread implementation: the caller's CPU). */
class CpuTimedVerifier implements SignatureVerifier {
  micros = 0;
  constructor(private readonly inner: SignatureVerifier) {}
  async verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]> {
    const start = process.cpuUsage();
    const r = await this.inner.verifyBatch(items);
    const d = process.cpuUsage(start);
    this.micros += d.user + d.system;
    return r;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

interface Node {
  readonly chain: Chain;
  readonly mempool: Mempool<SignedTransaction>;
  readonly verifier: CpuTimedVerifier;
  close(): Promise<void>;
}

async function openNode(dir: string, genesis: Genesis, now: () => number): Promise<Node> {
  const db = await NodeDatabase.open(dir);
  const store = new ChainStore(db, 0);
  const timed = new CpuTimedVerifier(new MainThreadVerifier());
  const verifier = new CachedTxVerifier(timed);
  const chain = await Chain.open({ store, genesis, shardId: 0, verifier, maxBlockTransactions: 2000 });
  const p = chain.params;
  const mempool = createShardMempool(
    { chainId: p.chainId, shardId: p.shardId, shardMap: p.shardMap, fees: p.fees },
    { verifier, state: chain.accounts, now },
    { maxTxs: 50_000 },
  );
  chain.attachMempool(mempool);
  return {
    chain,
    mempool,
    verifier: timed,
    close: async () => {
      await chain.close();
      await verifier.close();
      await db.close();
    },
  };
}

function cpuMicros(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

/** The signed transfers of one block: sender i sends 1 to sender i+1, round robin. */
function blockTransfers(accounts: readonly BenchAccount[], nonces: bigint[], count: number, first: number) {
  const out: SignedTransaction[] = [];
  for (let k = 0; k < count; k++) {
    const i = (first + k) % accounts.length;
    const from = accounts[i]!;
    const to = accounts[(i + 1) % accounts.length]!;
    out.push(
      signTransaction(
        {
          chainId: CHAIN_ID,
          shardId: 0,
          kind: TxKind.transfer,
          senderPublicKey: from.keys.publicKey,
          nonce: nonces[i]!++,
          fee: FEE,
          expiry: Number.MAX_SAFE_INTEGER,
          recipient: to.address,
          asset: NATIVE_ASSET_ID,
          amount: 1n,
        },
        from.keys.seed,
        { fast: true },
      ),
    );
  }
  return out;
}

export async function runPipeline(opts: PipelineOptions = DEFAULT_PIPELINE): Promise<PipelineResult> {
  const validators = Array.from({ length: 4 }, (_, i) =>
    validatorKeysFromSecrets(
      taggedHash('hotshard/bench-pipeline/ed', u64be(i)),
      taggedHash('hotshard/bench-pipeline/secp', u64be(i)),
    ),
  );
  const accounts = benchAccounts(opts.accounts);
  const genesis = createGenesis({
    chainId: CHAIN_ID,
    ethereumChainId: 31337,
    shardCount: 1,
    validators: validators.map((v) => ({
      publicKey: v.ed25519.publicKey,
      ethAddress: v.secp256k1.ethAddress,
    })),
    genesisTime: GENESIS_TIME,
    funds: accounts.map((a) => ({ address: a.address, amount: 1_000_000_000_000n })),
  });
  const set = new ValidatorSet(
    validators.map((v) => ({ publicKey: v.ed25519.publicKey, stake: 1_000_000n })),
  );
  const dir = mkdtempSync(join(tmpdir(), 'hotshard-pipeline-'));
  let time = GENESIS_TIME;
  const leader = await openNode(join(dir, 'leader'), genesis, () => time);
  const follower = await openNode(join(dir, 'follower'), genesis, () => time);
  const nonces = accounts.map(() => 0n);
  const samples = {
    admit: [] as number[],
    verify: [] as number[],
    build: [] as number[],
    execute: [] as number[],
    commit: [] as number[],
  };
  try {
    let parent = leader.chain.genesisBlock;
    let parentQc: QuorumCert = genesisQc(parent);
    const warmup = 2;
    for (let b = 0; b < opts.blocks + warmup; b++) {
      const txs = blockTransfers(accounts, nonces, opts.blockTxs, b * opts.blockTxs);
      const batches: Uint8Array[] = [];
      for (let i = 0; i < txs.length; i += opts.batch)
        batches.push(encodeTxBatch(txs.slice(i, i + opts.batch).map((t) => t.bytes)));
      // The leader holds them too (it admitted them from RPC or gossip: not measured here).
      await leader.mempool.addBatch(txs.map((t) => t.bytes));

      follower.verifier.micros = 0;
      let start = process.cpuUsage();
      for (const m of batches) {
        const r = await admitGossipBatch(follower.mempool, m);
        if (r.verdict !== 'ACCEPT') throw new Error(`gossip batch refused: ${r.verdict}`);
      }
      const admit = cpuMicros(start);
      const verify = follower.verifier.micros;

      time += 500;
      const round = b + 1;
      start = process.cpuUsage();
      const payload = await leader.chain.buildPayload(parent, round, parent.height + 1, time);
      const build = cpuMicros(start);
      const block: Block = {
        version: BLOCK_VERSION,
        chainId: leader.chain.domain.chainId,
        committeeId: leader.chain.domain.committeeId,
        epoch: leader.chain.domain.epoch,
        round,
        height: parent.height + 1,
        parentId: blockId(parent),
        proposer: round % 4,
        timestamp: time,
        payloadDigest: leader.chain.payloadDigest(payload),
        payload,
        qc: parentQc,
        tc: null,
      };
      const ok = await leader.chain.execute(block);
      if (!ok.ok) throw new Error(`the leader refused its own block: ${ok.reason}`);

      start = process.cpuUsage();
      follower.chain.payloadDigest(payload);
      const verdict = await follower.chain.execute(block);
      const execute = cpuMicros(start);
      if (!verdict.ok) throw new Error(`the follower refused the block: ${verdict.reason}`);

      // The block commits itself (a QC whose commit names it): each chain writes its commit.
      const info = blockInfo(block);
      const voteData = { block: info, parent: blockInfo(parent), commit: info };
      const msg = voteSigningBytes(leader.chain.domain, voteData);
      const qc: QuorumCert = {
        voteData,
        signers: set.makeBitmap([0, 1, 2, 3]),
        signatures: validators.map((v) => ed25519Scheme.sign(msg, v.ed25519.seed)),
      };
      start = process.cpuUsage();
      await leader.chain.commit([block], qc);
      await leader.chain.flushed();
      await follower.chain.commit([block], qc);
      await follower.chain.flushed();
      const commit = cpuMicros(start) / 2;
      if (leader.chain.tip.height !== block.height || follower.chain.tip.height !== block.height)
        throw new Error('a commit did not land');

      if (b >= warmup) {
        const n = opts.blockTxs;
        samples.admit.push(admit / n);
        samples.verify.push(verify / n);
        samples.build.push(build / n);
        samples.execute.push(execute / n);
        samples.commit.push(commit / n);
      }
      parent = block;
      parentQc = qc;
    }
  } finally {
    await leader.close();
    await follower.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const r = (xs: number[]): number => Math.round(median(xs) * 10) / 10;
  const usPerTx = {
    admit: r(samples.admit),
    verify: r(samples.verify),
    build: r(samples.build),
    execute: r(samples.execute),
    commit: r(samples.commit),
    follower: 0,
  };
  usPerTx.follower = Math.round((usPerTx.admit + usPerTx.execute + usPerTx.commit) * 10) / 10;
  return { blocks: opts.blocks, blockTxs: opts.blockTxs, usPerTx };
}

function printResult(r: PipelineResult, json: boolean): void {
  const u = r.usPerTx;
  if (json) {
    console.log(JSON.stringify(r));
    return;
  }
  console.log(`node pipeline, ${r.blocks} blocks of ${r.blockTxs} transfers (CPU µs per transfer, medians):`);
  console.log(`  admit (gossip batch -> mempool) ${u.admit}, of which signature verification ${u.verify}`);
  console.log(`  build (leader)                  ${u.build}`);
  console.log(`  execute (follower)              ${u.execute}`);
  console.log(`  commit (write + apply)          ${u.commit}`);
  console.log(
    `  one follower in all             ${u.follower}  (${Math.round(1e6 / u.follower)} transfers/s on one core)`,
  );
}

// `node dist/bench/pipeline.js [--json] [--blocks N] [--block-txs N]`
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const blocks = flag('--blocks', DEFAULT_PIPELINE.blocks);
  const blockTxs = flag('--block-txs', DEFAULT_PIPELINE.blockTxs);
  runPipeline({ ...DEFAULT_PIPELINE, blocks, blockTxs }).then(
    (r) => printResult(r, args.includes('--json')),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
