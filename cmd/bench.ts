/** `hotshard bench`: the transfer benchmark against a testnet of its own (bench/run.ts). */
import { parseArgs } from 'node:util';
import { BENCH_DEFAULTS, runBench, type BenchOptions, type BenchResult } from '../bench/run.js';
import { DEFAULT_BOUND_ROUNDS } from '../bench/bound.js';
import { toJson } from '../node/client/views.js';
import { MAX_BLOCK_TRANSACTIONS } from '../shards/payload.js';
import { UsageError, type Command } from './command.js';

const HELP = `Usage: hotshard bench [options]

Measures the machine's bound first (raw ed25519 verifications per second on
all cores, on the idle machine, the best of ${DEFAULT_BOUND_ROUNDS} rounds of ${BENCH_DEFAULTS.boundMs / 1000} s, divided
by the validators that verify each transaction), then starts a testnet of its own (1 shard x ${BENCH_DEFAULTS.validators} validators),
drives signed transfers from pre-funded accounts and prints the sustained
committed TPS, the latency from submission to commit (p50, p99), the ratio
TPS / bound, and the peak RSS of each validator.

By default it runs two phases: saturation (for TPS), then half of the rate
it sustained (for latency). Needs a build (npm run build).

Options:
  --rate N             drive one phase at N transfers/s instead
  --saturation         run only the saturation phase
  --validators N       validators in the shard (default: ${BENCH_DEFAULTS.validators})
  --duration SEC       measured window of each phase (default: ${BENCH_DEFAULTS.durationSec})
  --warmup SEC         load before the window opens (default: ${BENCH_DEFAULTS.warmupSec})
  --accounts N         funded senders (default: ${BENCH_DEFAULTS.accounts})
  --max-pending N      saturation: submitted but uncommitted transfers at most (default: ${BENCH_DEFAULTS.maxPending})
  --batch N            transfers per JSON-RPC batch (default: ${BENCH_DEFAULTS.batchSize})
  --verifier-threads N validators' verification threads (0: main thread; default: the node's)
  --block-txs N        most transactions in a block the validators propose (default: the node's)
  --profile            write V8 CPU profiles of the validators and print where the time goes
  --dir DIR            keep the testnet in DIR (resumed when it exists); default: a temporary one
  --keep               keep the temporary directory (its path is printed)
  --json               print the results as one JSON line (the last line of output)
  -h, --help           this text

JSON: { tps, bound, ratio, p50Ms, p99Ms, rssMb, rssMbPerValidator, cpuMsPerTx, verificationsPerTx, phases, machine, ... }`;

interface Flags {
  rate?: string;
  saturation?: boolean;
  validators?: string;
  duration?: string;
  warmup?: string;
  accounts?: string;
  'max-pending'?: string;
  batch?: string;
  'verifier-threads'?: string;
  'block-txs'?: string;
  profile?: boolean;
  dir?: string;
  keep?: boolean;
  json?: boolean;
}

function int(
  flag: string,
  v: string | undefined,
  def: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(
      `bench: --${flag} takes a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, got "${v}"`,
    );
  return Number(v);
}

function printHuman(r: BenchResult): void {
  console.log('');
  console.log(
    `machine: ${r.cores} cores (${r.cpu}); ${r.machine.perSecond} ed25519 verifications/s on all cores`,
  );
  console.log(
    `bound:   ${r.bound} tx/s (${r.machine.perSecond} / ${r.validators} validators verifying each transaction)`,
  );
  for (const p of r.phases) {
    console.log(
      `${p.name.padEnd(10)} ${p.mode === 'rate' ? `offered ${p.offeredRate} tx/s, ` : ''}committed ${p.tps} tx/s over ${p.windowSeconds} s; ` +
        `latency p50 ${p.p50Ms} ms (submission to proposal ${p.p50ToProposalMs}, proposal to commit seen ${p.p50ProposalToCommitMs}), p90 ${p.p90Ms} ms, p99 ${p.p99Ms} ms; rejected ${p.rejected}, uncommitted ${p.uncommitted}, ` +
        `receipts not successful ${p.receiptsNotSuccess}/${p.receiptsChecked}; the generator used ${p.generatorCpuSeconds} CPU s`,
    );
  }
  console.log(`TPS / bound: ${r.tps} / ${r.bound} = ${r.ratio}`);
  console.log(`peak RSS per validator (MB): ${r.rssMbPerValidator.join(', ')}`);
  if (r.cpuMsPerTx !== null) console.log(`CPU per committed transaction, all validators: ${r.cpuMsPerTx} ms`);
  if (r.verificationsPerTx !== null)
    console.log(`signatures verified per committed transaction, per validator: ${r.verificationsPerTx}`);
  if (r.profile !== undefined) {
    console.log(
      `where the validators' CPU time goes (${r.profile.files} profiles, ms per committed transaction):`,
    );
    for (const a of r.profile.msPerTxByArea) console.log(`  ${a.area.padEnd(28)} ${a.msPerTx}`);
  }
}

const command: Command = {
  name: 'bench',
  summary: 'Benchmark transfers on a testnet of its own (TPS, latency, bound)',
  help: HELP,
  async run(argv) {
    let f: Flags;
    try {
      f = parseArgs({
        args: argv,
        options: {
          rate: { type: 'string' },
          saturation: { type: 'boolean' },
          validators: { type: 'string' },
          duration: { type: 'string' },
          warmup: { type: 'string' },
          accounts: { type: 'string' },
          'max-pending': { type: 'string' },
          batch: { type: 'string' },
          'verifier-threads': { type: 'string' },
          'block-txs': { type: 'string' },
          profile: { type: 'boolean' },
          dir: { type: 'string' },
          keep: { type: 'boolean' },
          json: { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      }).values;
    } catch (err) {
      throw new UsageError(`bench: ${(err as Error).message}. Run \`hotshard bench --help\`.`);
    }
    if (f.rate !== undefined && f.saturation)
      throw new UsageError('bench: give --rate N or --saturation, not both');
    const mode: BenchOptions['mode'] =
      f.rate !== undefined ? { rate: int('rate', f.rate, 0, 1) } : f.saturation ? 'saturation' : 'both';
    const verifierThreads =
      f['verifier-threads'] === undefined ? undefined : int('verifier-threads', f['verifier-threads'], 0, 0);
    const tuning = {
      ...(verifierThreads !== undefined ? { verifierThreads } : {}),
      ...(f['block-txs'] !== undefined
        ? { maxBlockTransactions: int('block-txs', f['block-txs'], 0, 1, MAX_BLOCK_TRANSACTIONS) }
        : {}),
    };
    // Progress goes to stderr, so that stdout holds only the results.
    const log = (line: string): void => {
      console.error(line);
    };
    const result = await runBench({
      validators: int('validators', f.validators, BENCH_DEFAULTS.validators, 4),
      mode,
      durationSec: int('duration', f.duration, BENCH_DEFAULTS.durationSec, 1),
      warmupSec: int('warmup', f.warmup, BENCH_DEFAULTS.warmupSec, 0),
      accounts: int('accounts', f.accounts, BENCH_DEFAULTS.accounts, 2),
      maxPending: int('max-pending', f['max-pending'], BENCH_DEFAULTS.maxPending, 1),
      batchSize: int('batch', f.batch, BENCH_DEFAULTS.batchSize, 1),
      boundMs: BENCH_DEFAULTS.boundMs,
      ...(f.dir !== undefined ? { dir: f.dir } : {}),
      keep: f.keep === true,
      profile: f.profile === true,
      ...(Object.keys(tuning).length > 0 ? { tuning } : {}),
      log,
    });
    if (f.json) console.log(toJson(result));
    else printHuman(result);
    return 0;
  },
};

export default command;
