/**
 * Benchmark of the state tree: time to apply a batch of 4,000 changed keys (a
 * block of 2,000 transfers touches about 4,000 accounts) to a tree of 100,000
 * keys, with the in-memory node store; and proof generation and verification.
 *
 *   node --loader ts-node/esm bench/smt.ts [--keys 100000] [--batch 4000] [--runs 15]
 *
 * Prints medians of wall time and of this process's CPU time (user + system):
 * the work is synchronous and single-threaded, so on a shared machine the CPU
 * time is the better estimate of its cost, and the wall time its upper bound.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import {
  MemoryNodeStore,
  SparseMerkleTree,
  verifySmtProof,
  fromByteKey,
  type SmtChange,
} from '../shards/smt/index.js';
import { SMT_EMPTY } from '../shards/smt/hash.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '4000' },
    runs: { type: 'string', default: '15' },
  },
});
const KEYS = Number(values.keys);
const BATCH = Number(values.batch);
const RUNS = Number(values.runs);

const rand32 = (): Uint8Array => new Uint8Array(randomBytes(32));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Runs `fn`, returning its wall and CPU milliseconds. */
function measure<T>(fn: () => T): { wall: number; cpu: number; value: T } {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const value = fn();
  const wall = performance.now() - w0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000, value };
}

const store = new MemoryNodeStore();
const tree = new SparseMerkleTree(store);
const keys: Uint8Array[] = Array.from({ length: KEYS }, rand32);

let t0 = performance.now();
const built = tree.update(
  SMT_EMPTY,
  keys.map((key) => ({ key, valueHash: rand32() })),
);
const buildMs = performance.now() - t0;
for (const [k, bytes] of built.nodes) store.putNode(fromByteKey(k), bytes);
let root = built.root;

const times: number[] = [];
const cpuTimes: number[] = [];
const nodeCounts: number[] = [];
for (let r = 0; r < RUNS; r++) {
  // Three quarters existing accounts (senders, known recipients), one quarter new ones.
  const changes: SmtChange[] = [];
  const chosen = new Set<number>();
  while (chosen.size < (BATCH * 3) / 4) chosen.add(Math.floor(Math.random() * keys.length));
  for (const i of chosen) changes.push({ key: keys[i]!, valueHash: rand32() });
  const fresh: Uint8Array[] = [];
  while (changes.length < BATCH) {
    const key = rand32();
    fresh.push(key);
    changes.push({ key, valueHash: rand32() });
  }
  const m = measure(() => tree.update(root, changes));
  const res = m.value;
  times.push(m.wall);
  cpuTimes.push(m.cpu);
  nodeCounts.push(res.nodes.size);
  for (const [k, bytes] of res.nodes) store.putNode(fromByteKey(k), bytes);
  root = res.root;
  keys.push(...fresh);
}

const proofKeys = Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? keys[i * 7]! : rand32()));
t0 = performance.now();
const proofs = proofKeys.map((k) => tree.prove(root, k));
const proveMs = performance.now() - t0;
t0 = performance.now();
let ok = 0;
for (let i = 0; i < proofKeys.length; i++) {
  const p = proofs[i]!;
  const vh = p.leaf !== null && Buffer.compare(p.leaf.key, proofKeys[i]!) === 0 ? p.leaf.valueHash : null;
  if (verifySmtProof(root, proofKeys[i]!, vh, p)) ok++;
}
const verifyMs = performance.now() - t0;
if (ok !== proofKeys.length) throw new Error(`only ${ok} of ${proofKeys.length} proofs verified`);

console.log(`state tree (in-memory store), ${KEYS.toLocaleString('en')} keys, node ${process.version}`);
console.log(`  initial build of ${KEYS.toLocaleString('en')} keys: ${buildMs.toFixed(0)} ms`);
console.log(
  `  batch of ${BATCH} keys (3/4 updates, 1/4 inserts): median ${median(times).toFixed(1)} ms wall ` +
    `(min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}), ` +
    `median ${median(cpuTimes).toFixed(1)} ms CPU, over ${RUNS} runs; ${median(nodeCounts)} new nodes per batch`,
);
console.log(
  `  proofs: ${((proveMs / proofKeys.length) * 1000).toFixed(1)} µs to build, ${((verifyMs / proofKeys.length) * 1000).toFixed(1)} µs to verify (median depth ${median(proofs.map((p) => p.siblings.length))})`,
);
const os = await import('node:os');
console.log(
  `  bound: a whole block must execute well within the 1 s base round timeout (DESIGN.md); ` +
    `load average now ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
);

// ---------------------------------------------------------------------------
// A block of 2,000 transfers (4,000 accounts touched) on a state of KEYS accounts:
// the whole executeBlock (decode accounts, apply, encode, hash values, tree update, receipts).
// Signatures are checked beforehand by the node's worker pool, so they are skipped here.
{
  const { keyPairFromSeed } = await import('../core/ed25519.js');
  const { addressFromPublicKey } = await import('../core/address.js');
  const { accountStateKey, encodeAccount, stateValueHash } = await import('../shards/account.js');
  const { NATIVE_ASSET_ID, assetKey } = await import('../shards/assets.js');
  const { ShardMap } = await import('../shards/buckets.js');
  const { executeBlock } = await import('../shards/execute.js');
  const { MemoryStateStore, CommittedState } = await import('../shards/state.js');
  const { signTransaction, TxKind } = await import('../shards/transaction.js');
  const { DEFAULT_FEE_PARAMS } = await import('../genesis/types.js');

  const TXS = Math.min(2000, Math.floor(BATCH / 2));
  const shardMap = new ShardMap(4096, 1);
  const native = assetKey(NATIVE_ASSET_ID);
  const senders = Array.from({ length: TXS }, () => keyPairFromSeed(rand32()));
  const addresses = [...senders.map((s) => addressFromPublicKey(s.publicKey))];
  while (addresses.length < KEYS) addresses.push(new Uint8Array(randomBytes(20)));
  const stateStore = new MemoryStateStore();
  const entries = addresses.map((a) => {
    const key = accountStateKey(a);
    const value = encodeAccount({ nonce: 0n, balances: new Map([[native, 10n ** 18n]]) });
    return { key, value, valueHash: stateValueHash(value) };
  });
  const seeded = new SparseMerkleTree(stateStore).update(SMT_EMPTY, entries);
  stateStore.apply({
    root: seeded.root,
    nodes: seeded.nodes,
    values: entries.map((e) => [e.key, e.value] as const),
  });
  const view = new CommittedState(stateStore, seeded.root);
  const txs = senders.map((s, i) =>
    signTransaction(
      {
        chainId: 1,
        shardId: 0,
        kind: TxKind.transfer,
        senderPublicKey: s.publicKey,
        nonce: 0n,
        fee: 1_000n,
        expiry: Number.MAX_SAFE_INTEGER,
        recipient: addresses[TXS + ((i * 7919) % (KEYS - TXS))]!,
        asset: NATIVE_ASSET_ID,
        amount: 1n,
      },
      s.seed,
      { fast: true },
    ),
  );
  const ctx = { chainId: 1, shardId: 0, shardMap, fees: DEFAULT_FEE_PARAMS, height: 1, timestamp: 1 };
  const blockTimes: number[] = [];
  const blockCpu: number[] = [];
  for (let r = 0; r < Math.max(3, Math.floor(RUNS / 3)); r++) {
    const m = measure(() => executeBlock(view, txs, ctx, { isSignatureValid: () => true }));
    blockTimes.push(m.wall);
    blockCpu.push(m.cpu);
  }
  console.log(
    `  executeBlock of ${TXS} transfers (${2 * TXS} accounts touched) on ${KEYS.toLocaleString('en')} accounts: median ${median(blockTimes).toFixed(0)} ms wall, ${median(blockCpu).toFixed(0)} ms CPU over ${blockTimes.length} runs (signatures checked beforehand)`,
  );
}
