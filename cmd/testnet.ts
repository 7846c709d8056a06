/**
 * `hotshard testnet`: a local testnet in one directory. Creates keys,
 * genesis and funded test accounts on the first run, starts one process per
 * validator, prints the endpoints (and writes them to testnet.json), stops
 * them all on Ctrl-C, and resumes from the same directory when run again.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { formatAssetId } from '../genesis/asset-id.js';
import { HotshardClient } from '../node/client/client.js';
import { toJson } from '../node/client/views.js';
import { DEFAULT_TESTNET_DIR } from '../node/testnet/endpoints.js';
import type { TestnetFile } from '../node/testnet/file.js';
import { TESTNET_DEFAULTS } from '../node/testnet/options.js';
import { stopOrphanedValidators, Testnet } from '../node/testnet/testnet.js';
import { UsageError, type Command } from './command.js';

const HELP = `Usage: hotshard testnet [options]
       hotshard testnet stop [--dir DIR]

Runs a local testnet in DIR: on the first run it creates validator keys, a
genesis and funded test accounts (key files in DIR/accounts); then it starts
one process per validator on 127.0.0.1, prints each RPC endpoint and writes
them to DIR/testnet.json. Ctrl-C stops every validator cleanly. Run it again
with the same DIR to resume: same keys, same chain, same databases.

\`hotshard testnet stop\` stops validators of DIR left running by a
\`hotshard testnet\` that was killed.

Options:
  --dir DIR            the testnet directory (default: ./${DEFAULT_TESTNET_DIR})
  --validators N       validators per shard, at least 4 (default: ${TESTNET_DEFAULTS.validatorsPerShard}; fixed at creation)
  --shards N           number of shards (default: ${TESTNET_DEFAULTS.shards}; fixed at creation)
  --accounts N         funded test accounts (default: ${TESTNET_DEFAULTS.accounts}; fixed at creation)
  --balance N          native balance of each test account (default: ${TESTNET_DEFAULTS.accountBalance}; fixed at creation)
  --chain-id N         the sidechain's chain id (default: ${TESTNET_DEFAULTS.chainId}; fixed at creation)
  --log-level LEVEL    validators' log level: trace, debug, info, warn, error, silent (default: info)
  --json               print testnet.json as one JSON line once every validator is ready
  -h, --help           this text

Logs: DIR/validator-<i>/node.log. Scripts read DIR/testnet.json:
{ validators: [{ name, shard, rpc, pid, ... }], accounts: [{ address, keyFile, ... }], ... }`;

interface Flags {
  dir?: string;
  validators?: string;
  shards?: string;
  accounts?: string;
  balance?: string;
  'chain-id'?: string;
  'log-level'?: string;
  json?: boolean;
}

function count(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`testnet: --${flag} takes a whole number, got "${v}"`);
  return Number(v);
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

function parse(argv: string[]): { sub: 'start' | 'stop'; flags: Flags } {
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        validators: { type: 'string' },
        shards: { type: 'string' },
        accounts: { type: 'string' },
        balance: { type: 'string' },
        'chain-id': { type: 'string' },
        'log-level': { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(`testnet: ${(err as Error).message}. Run \`hotshard testnet --help\`.`);
  }
  const [sub, ...extra] = parsed.positionals;
  if (extra.length > 0 || (sub !== undefined && sub !== 'start' && sub !== 'stop')) {
    throw new UsageError(
      `testnet: unexpected "${parsed.positionals.join(' ')}"; the only subcommands are start (the default) and stop`,
    );
  }
  return { sub: sub === 'stop' ? 'stop' : 'start', flags: parsed.values };
}

function printTable(file: TestnetFile, created: boolean): void {
  const rel = (p: string): string => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  const shards = new Set(file.validators.map((v) => v.shard)).size;
  console.log(
    `hotshard testnet: ${file.validators.length} validators, ${shards} shard${shards > 1 ? 's' : ''}, chain id ${file.chainId} ` +
      `(${created ? 'created' : 'resumed'} ${rel(file.dir) || '.'})`,
  );
  console.log('');
  const w = Math.max(...file.validators.map((v) => v.rpc.length));
  console.log(`  ${'validator'.padEnd(12)} ${'shard'.padEnd(5)}  ${'rpc'.padEnd(w)}  pid`);
  for (const v of file.validators)
    console.log(`  ${v.name.padEnd(12)} ${String(v.shard).padEnd(5)}  ${v.rpc.padEnd(w)}  ${v.pid}`);
  if (file.accounts.length > 0) {
    console.log('');
    console.log(
      `  funded accounts (${formatAssetId(Buffer.from(file.nativeAsset.slice(2), 'hex'))} balance at genesis):`,
    );
    for (const a of file.accounts) console.log(`  ${a.address}  ${rel(a.keyFile)}  ${a.balance}`);
  }
  console.log('');
  const first = file.accounts[0];
  // A recipient on the sender's shard: a cross-shard transfer pays another fee and travels through the beacon.
  const second = file.accounts.find((a) => a !== first && a.shard === first?.shard);
  const dirFlag = rel(file.dir) === DEFAULT_TESTNET_DIR ? '' : ` --testnet ${rel(file.dir)}`;
  if (first !== undefined && second !== undefined) {
    console.log(
      `  try: hotshard tx transfer --from ${rel(first.keyFile)} --to ${second.address} --amount 1000${dirFlag}`,
    );
    console.log(`       hotshard status${dirFlag}`);
  }
  console.log(`  endpoints: ${rel(file.dir)}/testnet.json   logs: ${rel(file.dir)}/validator-<i>/node.log`);
  console.log('  Ctrl-C stops every validator; run the same command again to resume.');
}

async function firstCommit(rpc: string, stop: AbortSignal): Promise<number | null> {
  const client = new HotshardClient(rpc, { timeoutMs: 5000, maxSockets: 1 });
  try {
    const s = await client.waitForCommittedHeight(1, { timeoutMs: 60_000, pollMs: 250, signal: stop });
    return s.committedHeight;
  } catch {
    return null;
  } finally {
    client.close();
  }
}

async function runStart(flags: Flags): Promise<number> {
  const level = flags['log-level'];
  if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`testnet: --log-level must be one of ${LEVELS.join(', ')}`);
  }
  let balance: bigint | undefined;
  if (flags.balance !== undefined) {
    if (!/^\d+$/.test(flags.balance))
      throw new UsageError(`testnet: --balance takes a whole number, got "${flags.balance}"`);
    balance = BigInt(flags.balance);
  }
  const validatorsPerShard = count('validators', flags.validators);
  const shards = count('shards', flags.shards);
  const accounts = count('accounts', flags.accounts);
  const chainId = count('chain-id', flags['chain-id']);
  const testnet = await Testnet.open({
    dir: flags.dir ?? DEFAULT_TESTNET_DIR,
    ...(validatorsPerShard !== undefined ? { validatorsPerShard } : {}),
    ...(shards !== undefined ? { shards } : {}),
    ...(accounts !== undefined ? { accounts } : {}),
    ...(balance !== undefined ? { accountBalance: balance } : {}),
    ...(chainId !== undefined ? { chainId } : {}),
    ...(level !== undefined ? { logLevel: level as (typeof LEVELS)[number] } : {}),
  });

  // Signals: the first stops every validator cleanly; a second one kills them.
  const stopRequested = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      if (!flags.json)
        console.error(`\n${sig}: stopping ${testnet.validators.length} validators (again to kill them)...`);
      stopRequested.abort();
    } else {
      for (const v of testnet.validators) v.process?.kill('SIGKILL');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    testnet.refuseIfRunning();
    if (!flags.json) console.error(`starting ${testnet.validators.length} validators in ${testnet.dir} ...`);
    const file = await testnet.start();
    if (flags.json) console.log(toJson(file));
    else printTable(file, testnet.created);

    // Report a validator that dies on its own; the others keep running.
    for (const v of testnet.validators) {
      void v.process?.exited.then((e) => {
        if (!stopRequested.signal.aborted) {
          console.error(
            `${v.name} exited (${e.signal ?? `code ${e.code}`}); see ${testnet.files.layout.validator(v.index).logFile}`,
          );
        }
      });
    }
    if (!stopRequested.signal.aborted) {
      void firstCommit(file.validators[0]!.rpc, stopRequested.signal).then((h) => {
        if (h !== null && !flags.json) console.error(`committing blocks (height ${h})`);
      });
      await new Promise<void>((resolve) =>
        stopRequested.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  } finally {
    const results = await testnet.stop();
    const forced = results.filter((r) => r.forced).map((r) => r.name);
    const anyStarted = results.some((r) => r.code !== null || r.signal !== null);
    if (!flags.json && anyStarted) {
      console.error(
        forced.length === 0
          ? 'all validators stopped'
          : `stopped; ${forced.join(', ')} did not exit in time and were killed`,
      );
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}

const command: Command = {
  name: 'testnet',
  summary: 'Run a local testnet (create on the first run, resume after)',
  help: HELP,
  async run(argv) {
    const { sub, flags } = parse(argv);
    if (sub === 'stop') {
      const pids = await stopOrphanedValidators(flags.dir ?? DEFAULT_TESTNET_DIR);
      console.log(
        pids.length === 0 ? 'no validator of this testnet was running' : `stopped pids ${pids.join(', ')}`,
      );
      return 0;
    }
    return runStart(flags);
  },
};

export default command;
