/**
 * `hotshard bench`: measure the machine's bound on the idle machine, start a
 * testnet of its own, drive transfers (at saturation, then at half the rate
 * it sustained, by default), and report TPS, latency, the ratio TPS / bound,
 * peak RSS and CPU per transaction of every validator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressToHex } from '../core/address.js';
import { HotshardClient } from '../node/client/client.js';
import { RpcError } from '../node/client/errors.js';
import { parseAccount } from '../node/client/views.js';
import { memoryOf } from '../node/testnet/pids.js';
import { Testnet } from '../node/testnet/testnet.js';
import type { NodeTuning } from '../node/config.js';
import { benchAccounts, type BenchAccount } from './accounts.js';
import { DEFAULT_BOUND_ROUNDS, measureMachineBound, type MachineBound } from './bound.js';
import { presign, runPhase, SenderBook, type LoadTarget, type PhaseResult } from './load.js';
import { scrapeSum } from './metrics.js';
import { cpuSecondsOf } from './proc.js';
import { summarizeProfiles, type ProfileSummary } from './profile.js';
import { round } from './stats.js';

export interface BenchOptions {
  readonly validators: number;
  /** 'both': saturation, then half the sustained rate; or one of them; or a fixed offered rate. */
  readonly mode: 'both' | 'saturation' | { rate: number };
  readonly durationSec: number;
  readonly warmupSec: number;
  readonly accounts: number;
  readonly maxPending: number;
  readonly batchSize: number;
  readonly boundMs: number;
  /** Keep the testnet in this directory (resumed if it exists); default: a temporary one, removed after. */
  readonly dir?: string;
  readonly keep: boolean;
  /** Write V8 CPU profiles of every validator and summarize where the time goes. */
  readonly profile: boolean;
  readonly tuning?: Partial<NodeTuning>;
  readonly log: (line: string) => void;
}

/** The validators' counter of signatures sent to the verifier (cache hits excluded). */
const VERIFIED_METRIC = 'hotshard_verify_signatures_total';
/**
 * A phase starts once the validators together use less than this (an idle
 * testnet of 4 uses about a third of a core proposing empty blocks), or
 * after QUIET_TIMEOUT_MS whatever they use.
 */
const QUIET_CORES = 0.5;
const QUIET_TIMEOUT_MS = 20_000;
/** Round timeouts the validators signed: a phase with many ran rounds its blocks could not finish in time. */
const TIMEOUTS_METRIC = 'hotshard_consensus_timeouts_total';

/** One phase's figures, and the round timeouts all validators signed during it. */
export type BenchPhase = PhaseResult & {
  readonly roundTimeouts: number | null;
  /** The validators' CPU per transaction of this phase (all four together), in ms. */
  readonly cpuMsPerTx: number | null;
  /** Signatures verified per transaction of this phase and validator. */
  readonly verificationsPerTx: number | null;
};

export const BENCH_DEFAULTS = {
  validators: 4,
  durationSec: 20,
  warmupSec: 5,
  accounts: 1024,
  /**
   * Saturation means full blocks. The transfers in flight sit in the two
   * uncommitted blocks, the one being built, the mempools and the admission
   * queues: measured on 4 validators with blocks of up to 1,000, 4,000 in
   * flight left blocks at about 740 and 8,000 filled them. With the node's
   * blocks of up to 2,000, 8,000 gives blocks of 1,000 to 1,300; 12,000 gave
   * about the same TPS (within the runs' noise) and up to 25 MB more peak
   * RSS per validator, at the 300 MB budget.
   */
  maxPending: 8000,
  batchSize: 100, // the node's largest JSON-RPC batch (node/rpc RPC_DEFAULTS.maxBatch)
  boundMs: 2000,
} as const;

export interface BenchResult {
  readonly bench: 'transfers';
  readonly validators: number;
  readonly shards: 1;
  readonly cores: number;
  readonly cpu: string;
  /** Sustained committed TPS (at saturation, or at the offered rate when only that ran). */
  readonly tps: number;
  /** Raw ed25519 verifications/s on all cores divided by the validators that verify each transaction. */
  readonly bound: number;
  readonly ratio: number;
  /** Latency from submission to commit at half the saturated rate (or of the only phase run). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The largest peak RSS (VmHWM) of any validator, in MB. */
  readonly rssMb: number;
  readonly rssMbPerValidator: readonly number[];
  /** CPU milliseconds all validators together spent per committed transaction at saturation. */
  readonly cpuMsPerTx: number | null;
  /** Signatures each validator verified per committed transaction at saturation (1 when none twice). */
  readonly verificationsPerTx: number | null;
  readonly machine: MachineBound;
  readonly phases: readonly BenchPhase[];
  readonly profile?: ProfileSummary & { msPerTxByArea: ReadonlyArray<{ area: string; msPerTx: number }> };
}

async function readNonces(client: HotshardClient, accounts: readonly BenchAccount[]): Promise<bigint[]> {
  const out: bigint[] = [];
  for (let i = 0; i < accounts.length; i += 100) {
    const chunk = accounts.slice(i, i + 100);
    const res = await client.batch(
      chunk.map((a) => ({ method: 'hs_getAccount', params: [addressToHex(a.address)] })),
    );
    for (const r of res) {
      if (!r.ok) throw r.error;
      out.push(parseAccount(r.result).nonce);
    }
  }
  return out;
}

/** Waits until no validator holds pending transactions (or the time is up). */
async function waitMempoolsEmpty(clients: readonly HotshardClient[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const sizes = await Promise.all(clients.map(async (c) => (await c.status()).mempoolSize));
      if (sizes.every((s) => s === 0)) return;
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Waits until the validators together use less than `cores` of CPU over one
 * second, or the time is up; returns the last second's figure. After a
 * saturation phase the validators are still busy for a while (LevelDB
 * compacting what it wrote, the heap shrinking back), and a phase that
 * starts then measures that transient, not its own load.
 */
async function waitValidatorsQuiet(
  pids: readonly number[],
  cores: number,
  timeoutMs: number,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  let used = Number.POSITIVE_INFINITY;
  while (Date.now() < until) {
    const c0 = cpuOf(pids);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    used = (cpuOf(pids) - c0) / ((Date.now() - t0) / 1000);
    if (used < cores) break;
  }
  return used;
}

function cpuOf(pids: readonly number[]): number {
  return pids.reduce((s, p) => s + (cpuSecondsOf(p) ?? 0), 0);
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  // 1. The bound, on the idle machine, before any validator runs.
  o.log(
    `measuring the machine's bound: raw ed25519 verifications on ${availableParallelism()} cores, ${DEFAULT_BOUND_ROUNDS} rounds of ${o.boundMs} ms (the best counts) ...`,
  );
  const machine = await measureMachineBound(o.validators, { durationMs: o.boundMs });
  o.log(
    `  rounds ${machine.rounds.join(', ')}/s; best ${machine.perSecond} verifications/s / ${o.validators} validators = bound ${machine.bound} tx/s`,
  );

  // 2. A testnet of its own, with the senders funded in its genesis.
  const accounts = benchAccounts(o.accounts);
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'hotshard-bench-'));
  // Profiles go beside the testnet (a new testnet directory must be empty) and are kept for DevTools.
  const profileDir = o.profile ? mkdtempSync(join(tmpdir(), 'hotshard-bench-profiles-')) : '';
  if (o.profile) o.log(`CPU profiles of the validators go to ${profileDir}`);
  const runOptions = {
    dir,
    logLevel: 'warn' as const,
    ...(o.tuning !== undefined ? { tuning: o.tuning } : {}),
    ...(o.profile ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
  };
  const testnet = await Testnet.open({
    ...runOptions,
    validatorsPerShard: o.validators,
    shards: 1,
    accounts: 0,
    extraFunds: accounts.map((a) => ({ address: a.address, amount: 10n ** 24n })),
  }).catch(async (err: unknown) => {
    // A kept directory (--dir) is resumed: its genesis funded the same deterministic senders.
    if (o.dir !== undefined && (err as { code?: string }).code === 'DIR_CONFLICT')
      return Testnet.open(runOptions);
    if (o.dir === undefined) rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const clients: HotshardClient[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) c.close();
    await testnet.stop();
  };
  try {
    o.log(`starting ${o.validators} validators in ${dir} ...`);
    await testnet.start();
    for (const v of testnet.validators)
      clients.push(new HotshardClient(v.rpc, { timeoutMs: 30_000, maxSockets: 8 }));
    // The observer has sockets of its own: behind a backlog of submissions (an offered rate above
    // what the validators sustain), sharing theirs left it waiting and the phase blind to commits.
    const submitters = [...clients];
    const observer = new HotshardClient(testnet.validators[0]!.rpc, { timeoutMs: 30_000, maxSockets: 2 });
    clients.push(observer);
    const status = await observer.waitForCommittedHeight(1, { timeoutMs: 60_000, pollMs: 200 });
    const fee = testnet.files.genesis.fees.minTransferFee;
    const target: LoadTarget = {
      chainId: status.chainId,
      shardId: status.shard,
      fee,
      submitTo: submitters,
      observer,
    };
    const pids = testnet.validators.map((v) => v.process!.pid);
    const phases: BenchPhase[] = [];
    const rpcUrls = testnet.validators.map((v) => v.rpc);

    const phase = async (name: string, rate: number | undefined): Promise<PhaseResult> => {
      await waitMempoolsEmpty(submitters, 30_000);
      const book = new SenderBook(accounts, await readNonces(observer, accounts));
      const seconds = o.warmupSec + o.durationSec;
      const count = Math.min(400_000, Math.ceil((rate ?? machine.bound) * seconds * 1.1) + 1000);
      const ts = Date.now();
      const prepared = presign(book, target, count, Date.now() + 30 * 60_000);
      const tq = Date.now();
      const quiet = await waitValidatorsQuiet(pids, QUIET_CORES, QUIET_TIMEOUT_MS);
      o.log(
        `${name}: signed ${count} transfers in ${tq - ts} ms; validators at ${round(quiet, 2)} cores after ${Date.now() - tq} ms; driving ${rate === undefined ? 'at saturation' : `${rate} tx/s`} for ${o.warmupSec}+${o.durationSec} s ...`,
      );
      const cpu0 = cpuOf(pids);
      const verified0 = await scrapeSum(rpcUrls, VERIFIED_METRIC);
      const timeouts0 = await scrapeSum(rpcUrls, TIMEOUTS_METRIC);
      const r = await runPhase(
        target,
        {
          name,
          ...(rate !== undefined ? { rate } : {}),
          warmupMs: o.warmupSec * 1000,
          durationMs: o.durationSec * 1000,
          drainMs: 15_000,
          maxPending: o.maxPending,
          batchSize: o.batchSize,
          presign: count,
          receiptSample: 500,
        },
        prepared,
        o.log,
      );
      const cpu = cpuOf(pids) - cpu0;
      const verified1 = await scrapeSum(rpcUrls, VERIFIED_METRIC);
      const timeouts1 = await scrapeSum(rpcUrls, TIMEOUTS_METRIC);
      const roundTimeouts = timeouts0 !== null && timeouts1 !== null ? timeouts1 - timeouts0 : null;
      const cpuMsPerTx = r.committedTotal > 0 ? round((cpu * 1000) / r.committedTotal, 3) : null;
      const verificationsPerTx =
        r.committedTotal > 0 && verified0 !== null && verified1 !== null
          ? round((verified1 - verified0) / r.committedTotal / o.validators, 3)
          : null;
      o.log(
        `  ${name}: ${r.tps} tx/s committed, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, rejected ${r.rejected}, uncommitted ${r.uncommitted}, round timeouts ${roundTimeouts ?? '?'}`,
      );
      phases.push({ ...r, roundTimeouts, cpuMsPerTx, verificationsPerTx });
      return r;
    };

    let latencyPhase: PhaseResult;
    let tpsPhase: PhaseResult;
    if (o.mode === 'both' || o.mode === 'saturation') {
      tpsPhase = await phase('saturation', undefined);
      latencyPhase = tpsPhase;
      if (o.mode === 'both')
        latencyPhase = await phase('half-rate', Math.max(1, Math.floor(tpsPhase.tps / 2)));
    } else {
      tpsPhase = await phase('rate', o.mode.rate);
      latencyPhase = tpsPhase;
    }

    // CPU and verifications per transfer at the top level are the saturation phase's (null with --rate alone).
    const saturation = phases.find((p) => p.mode === 'saturation');
    const rss = pids.map((p) => round((memoryOf(p)?.peakRssBytes ?? 0) / (1024 * 1024), 1));
    await stop();
    let profile: BenchResult['profile'];
    if (o.profile) {
      const s = summarizeProfiles(profileDir);
      const txs = phases.reduce((a, p) => a + p.committedTotal, 0);
      profile = {
        ...s,
        msPerTxByArea: s.areas
          .filter((a) => a.area !== 'idle')
          .slice(0, 15)
          .map((a) => ({ area: a.area, msPerTx: round(a.ms / Math.max(1, txs), 4) })),
      };
    }
    return {
      bench: 'transfers',
      validators: o.validators,
      shards: 1,
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      tps: tpsPhase.tps,
      bound: machine.bound,
      ratio: round(tpsPhase.tps / machine.bound, 3),
      p50Ms: latencyPhase.p50Ms,
      p99Ms: latencyPhase.p99Ms,
      rssMb: Math.max(...rss),
      rssMbPerValidator: rss,
      cpuMsPerTx: saturation?.cpuMsPerTx ?? null,
      verificationsPerTx: saturation?.verificationsPerTx ?? null,
      machine,
      phases,
      ...(profile !== undefined ? { profile } : {}),
    };
  } finally {
    await stop();
    if (o.dir === undefined && !o.keep) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
