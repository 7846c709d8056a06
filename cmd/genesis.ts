/**
 * `hotshard genesis`: create and validate the genesis of a network
 * (docs/genesis.md).
 *
 *   hotshard genesis create --validators DIR|FILE... --shards N --out FILE [options]
 *   hotshard genesis validate FILE [--json]
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type Command } from './command.js';
import { addressFromHex } from '../core/address.js';
import { toHex } from '../core/bytes.js';
import { NATIVE_ASSET_ID, parseAssetId } from '../genesis/asset-id.js';
import { genesisHash } from '../genesis/codec.js';
import { createGenesis, DEFAULT_STAKE, type Funding } from '../genesis/create.js';
import { GenesisError } from '../genesis/errors.js';
import {
  genesisFromJsonUnvalidated,
  parseJsonText,
  readGenesisText,
  writeGenesisFile,
} from '../genesis/json.js';
import { listKeyFiles, readPublicKeys } from '../genesis/keyfile.js';
import { listGenesisProblems } from '../genesis/validate.js';
import type { Genesis } from '../genesis/types.js';

const help = `Usage:
  hotshard genesis create --validators DIR|FILE[,FILE...] --shards N --out FILE [options]
  hotshard genesis validate FILE [--json]

create    Builds a genesis from validator key files (or public key files from
          \`hotshard keys show --json\`) and funded accounts, validates it and
          writes it as JSON. Every validator joins the beacon committee (see
          --beacon-size); each shard gets a committee of --shard-committee-size
          validators taken in turn, so with at least 4 validators per shard the
          shard committees are disjoint.
validate  Reads a genesis file, lists every problem, and prints its hash.

Options of create:
  --validators DIR|FILE[,FILE]  key files; a directory means every *.json in it,
                                sorted by name (repeatable)
  --shards N                    number of shards (1 or more)
  --out FILE                    where to write the genesis JSON
  --force                       replace FILE if it exists
  --chain-id N                  sidechain id (default 1000)
  --ethereum-chain-id N         Ethereum chain id (default 31337, anvil)
  --fund ADDR=AMOUNT[:ASSET]    initial balance of account ADDR (0x + 40 hex);
                                ASSET is native (default), eth or a token
                                address (repeatable)
  --fund-validators AMOUNT      also fund each validator's account address
                                with AMOUNT of the native token
  --stake N                     stake of each validator (default ${DEFAULT_STAKE})
  --beacon-size N               beacon committee size (default: all validators)
  --shard-committee-size N      members per shard committee (default: an
                                equal share of the validators, at least 4)
  --genesis-time T              ISO date or milliseconds (default: now)
  --bucket-count N              buckets of the shard map (default 4096)
  --json                        print a JSON summary

Amounts and stakes are integers in base units.`;

function parse<O extends ParseArgsConfig['options']>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see hotshard genesis --help)`);
  }
}

function intOption(
  v: string | undefined,
  name: string,
  fallback: number | undefined,
  min = 0,
): number | undefined {
  if (v === undefined) return fallback;
  if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < min) {
    throw new UsageError(`--${name} ${v}: expected an integer >= ${min}`);
  }
  return Number(v);
}

function amountOption(v: string, what: string): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(v))
    throw new UsageError(`${what}: "${v}" is not an amount; write an integer in base units, e.g. 1000000`);
  return BigInt(v);
}

function parseFund(spec: string): Funding {
  const m = /^([^=]+)=([^:]+)(?::(.+))?$/.exec(spec);
  if (m === null) throw new UsageError(`--fund ${spec}: expected ADDR=AMOUNT or ADDR=AMOUNT:ASSET`);
  let address: Uint8Array;
  try {
    address = addressFromHex(m[1]!);
  } catch {
    throw new UsageError(`--fund ${spec}: "${m[1]}" is not an account address (0x + 40 hex digits)`);
  }
  const asset = m[3] === undefined ? NATIVE_ASSET_ID : parseAssetId(m[3]);
  if (asset === null)
    throw new UsageError(
      `--fund ${spec}: asset "${m[3]}" must be native, eth or a token address (0x + 40 hex digits)`,
    );
  return { address, asset, amount: amountOption(m[2]!, `--fund ${spec}`) };
}

function parseTime(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (/^[0-9]+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new UsageError(`--genesis-time ${v}: expected an ISO date (2026-01-01T00:00:00Z) or milliseconds`);
  return t;
}

function summary(g: Genesis, file: string): Record<string, unknown> {
  return {
    file,
    hash: '0x' + toHex(genesisHash(g)),
    chainId: g.chainId,
    ethereumChainId: g.ethereumChainId,
    shardCount: g.shardCount,
    beaconCommittee: g.beaconCommittee.length,
    shardCommittees: g.shardCommittees.map((c) => c.length),
    balances: g.balances.length,
    genesisTime: new Date(g.genesisTime).toISOString(),
  };
}

function printSummary(s: Record<string, unknown>, json: boolean): void {
  if (json) console.log(JSON.stringify(s, null, 2));
  else
    for (const [k, v] of Object.entries(s))
      console.log(`${k.padEnd(16)} ${Array.isArray(v) ? v.join(', ') : String(v)}`);
}

async function create(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    validators: { type: 'string', multiple: true },
    shards: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
    'chain-id': { type: 'string' },
    'ethereum-chain-id': { type: 'string' },
    fund: { type: 'string', multiple: true },
    'fund-validators': { type: 'string' },
    stake: { type: 'string' },
    'beacon-size': { type: 'string' },
    'shard-committee-size': { type: 'string' },
    'genesis-time': { type: 'string' },
    'bucket-count': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0)
    throw new UsageError(`genesis create takes no positional arguments (got ${positionals.join(' ')})`);
  if (values.validators === undefined)
    throw new UsageError('genesis create needs --validators DIR or --validators FILE,FILE,...');
  if (values.shards === undefined) throw new UsageError('genesis create needs --shards N');
  if (values.out === undefined) throw new UsageError('genesis create needs --out FILE');
  if (existsSync(values.out) && !values.force)
    throw new UsageError(`${values.out} exists; choose another --out or pass --force`);

  const validators = listKeyFiles(values.validators.flatMap((x) => x.split(',')).filter((x) => x !== '')).map(
    (f) => readPublicKeys(f),
  );
  const funds = (values.fund ?? []).map(parseFund);
  if (values['fund-validators'] !== undefined) {
    const amount = amountOption(values['fund-validators'], '--fund-validators');
    for (const v of validators) funds.push({ address: v.address, asset: NATIVE_ASSET_ID, amount });
  }
  const g = createGenesis({
    chainId: intOption(values['chain-id'], 'chain-id', 1000, 1)!,
    ethereumChainId: intOption(values['ethereum-chain-id'], 'ethereum-chain-id', 31337, 1)!,
    shardCount: intOption(values.shards, 'shards', undefined, 1)!,
    validators,
    funds,
    ...(values.stake === undefined ? {} : { stake: amountOption(values.stake, '--stake') }),
    ...(values['beacon-size'] === undefined
      ? {}
      : { beaconCommitteeSize: intOption(values['beacon-size'], 'beacon-size', undefined, 1)! }),
    ...(values['shard-committee-size'] === undefined
      ? {}
      : {
          shardCommitteeSize: intOption(
            values['shard-committee-size'],
            'shard-committee-size',
            undefined,
            1,
          )!,
        }),
    ...(values['genesis-time'] === undefined ? {} : { genesisTime: parseTime(values['genesis-time'])! }),
    ...(values['bucket-count'] === undefined
      ? {}
      : { bucketCount: intOption(values['bucket-count'], 'bucket-count', undefined, 1)! }),
  });
  writeGenesisFile(values.out, g);
  printSummary(summary(g, values.out), values.json);
  return 0;
}

async function validate(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean', default: false } });
  if (positionals.length !== 1)
    throw new UsageError('genesis validate needs exactly one file: hotshard genesis validate FILE');
  const file = positionals[0]!;
  let problems: GenesisError[];
  let g: Genesis | undefined;
  try {
    g = genesisFromJsonUnvalidated(parseJsonText(readGenesisText(file)));
    problems = listGenesisProblems(g);
  } catch (err) {
    if (!(err instanceof GenesisError)) throw err;
    problems = [err];
  }
  if (problems.length > 0) {
    if (values.json)
      console.log(
        JSON.stringify(
          {
            file,
            valid: false,
            problems: problems.map((p) => ({ code: p.code, message: p.message, path: p.context.path })),
          },
          null,
          2,
        ),
      );
    else {
      console.error(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
      for (const p of problems) console.error(`  ${p.message}`);
    }
    return 1;
  }
  printSummary({ valid: true, ...summary(g!, file) }, values.json);
  return 0;
}

const command: Command = {
  name: 'genesis',
  summary: 'Create and validate the genesis of a network',
  help,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === 'create') return create(rest);
    if (sub === 'validate') return validate(rest);
    throw new UsageError(
      sub === undefined
        ? 'genesis needs a subcommand: create or validate (see hotshard genesis --help)'
        : `unknown genesis subcommand "${sub}": use create or validate`,
    );
  },
};

export default command;
