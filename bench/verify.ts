/**
 * Signature verifications per second: main thread, piscina pool, and the raw
 * node:crypto bound of this machine (one thread, cached KeyObjects, no
 * wrapper). The last line of output is JSON.
 *
 *   npm run build && node dist/bench/verify.js [--count 20000] [--threads 2] [--runs 3]
 *   node --loader ts-node/esm bench/verify.ts      (from the sources)
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { keyPairFromSeed, signFast } from '../core/ed25519.js';
import { MainThreadVerifier } from '../node/verify/mainThread.js';
import { PooledVerifier } from '../node/verify/pooled.js';
import type { SignatureVerifier, VerifyItem } from '../node/verify/interface.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    keys: { type: 'string', default: '1000' },
  },
});
const count = Number(values.count);
const threads = Number(values.threads);
const runs = Number(values.runs);
const keyCount = Number(values.keys);

// Messages of a typical transaction's size (~200 bytes), many distinct senders.
function makeItems(): VerifyItem[] {
  const keys = Array.from({ length: keyCount }, (_, i) => {
    const seed = new Uint8Array(32);
    new DataView(seed.buffer).setUint32(0, i + 1);
    return keyPairFromSeed(seed);
  });
  return Array.from({ length: count }, (_, i) => {
    const kp = keys[i % keyCount]!;
    const message = new Uint8Array(200);
    new DataView(message.buffer).setUint32(0, i);
    return { signature: signFast(message, kp.seed), message, publicKey: kp.publicKey };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function rate(run: () => Promise<number>): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const n = await run();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(n / s);
  }
  return Math.round(median(rates));
}

async function viaVerifier(v: SignatureVerifier, items: VerifyItem[], batch: number): Promise<number> {
  return rate(async () => {
    let ok = 0;
    for (let i = 0; i < items.length; i += batch) {
      for (const r of await v.verifyBatch(items.slice(i, i + batch))) if (r) ok++;
    }
    if (ok !== items.length) throw new Error(`only ${ok} of ${items.length} verified`);
    return items.length;
  });
}

async function main(): Promise<void> {
  const items = makeItems();
  const spki = Buffer.from('302a300506032b6570032100', 'hex');
  const keyObjects = new Map<Uint8Array, KeyObject>();
  for (const it of items) {
    if (!keyObjects.has(it.publicKey)) {
      keyObjects.set(
        it.publicKey,
        createPublicKey({ key: Buffer.concat([spki, it.publicKey]), format: 'der', type: 'spki' }),
      );
    }
  }
  // Warm-up: the KeyObject caches of core/ed25519.ts fill on the first pass.
  const rawBound = await rate(async () => {
    for (const it of items)
      if (!nodeVerify(null, it.message, keyObjects.get(it.publicKey)!, it.signature)) throw new Error('raw');
    return items.length;
  });

  const main = new MainThreadVerifier();
  await main.verifyBatch(items);
  const mainThread = await viaVerifier(main, items, 2000);
  await main.close();

  const pool = new PooledVerifier({ threads });
  await pool.verifyBatch(items); // starts workers, fills their key caches
  const pooledBlock = await viaVerifier(pool, items, 2000);
  const pooledOne = await viaVerifier(pool, items, 256);
  await pool.close();

  const result = {
    bench: 'verify',
    signatures: count,
    distinctKeys: keyCount,
    runs,
    cores: availableParallelism(),
    poolThreads: threads,
    rawNodeCryptoPerSecond: rawBound,
    machineBoundPerSecond: rawBound * Math.min(threads, availableParallelism()),
    mainThreadPerSecond: mainThread,
    pooledBatch2000PerSecond: pooledBlock,
    pooledBatch256PerSecond: pooledOne,
    poolSpeedupOverMainThread: Number((pooledBlock / mainThread).toFixed(2)),
  };
  console.log(`raw node:crypto (1 thread):        ${rawBound} /s`);
  console.log(`MainThreadVerifier:                 ${mainThread} /s`);
  console.log(`PooledVerifier (${threads} workers), 2000/batch: ${pooledBlock} /s`);
  console.log(`PooledVerifier (${threads} workers), 256/batch:  ${pooledOne} /s`);
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
