/**
 * Creating the files of a testnet directory (keys, genesis, plan) and
 * writing each validator's config.json. Creation happens in a sibling
 * temporary folder renamed into place at the end, so that an interrupted
 * creation never leaves a half-made testnet behind.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { toHex } from '../../core/bytes.js';
import { createGenesis, type Funding } from '../../genesis/create.js';
import { committeesOf, BEACON_COMMITTEE } from '../../genesis/committees.js';
import { readGenesisFile, writeGenesisFile } from '../../genesis/json.js';
import {
  generateValidatorKeys,
  readKeyFile,
  writeKeyFile,
  type ValidatorKeys,
} from '../../genesis/keyfile.js';
import type { Genesis } from '../../genesis/types.js';
import type { NodeTuning } from '../config.js';
import type { LogLevel } from '../logger.js';
import { peerIdForSeed } from '../network/peer-id.js';
import { TestnetError } from './errors.js';
import { TestnetLayout } from './layout.js';
import { TESTNET_DEFAULTS, type TestnetOptions, type TestnetPlan } from './options.js';
import { freePorts, isPortFree } from './ports.js';

/** What a testnet directory holds, loaded. */
export interface TestnetFiles {
  readonly layout: TestnetLayout;
  readonly plan: TestnetPlan;
  readonly genesis: Genesis;
  readonly validators: readonly LoadedValidator[];
  readonly accounts: readonly LoadedAccount[];
  /** True when this call created the directory, false when it resumed one. */
  readonly created: boolean;
}

export interface LoadedValidator {
  readonly index: number;
  readonly name: string;
  readonly shard: number;
  readonly keys: ValidatorKeys;
  readonly peerId: string;
}

export interface LoadedAccount {
  readonly index: number;
  readonly keyFile: string;
  readonly keys: ValidatorKeys;
  readonly shard: number;
  readonly balance: bigint;
}

function intOption(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new TestnetError('BAD_OPTIONS', `${name} must be an integer from ${min} to ${max}, got ${v}`, {
      name,
    });
  }
  return v;
}

function planOf(o: TestnetOptions): TestnetPlan {
  const balance = o.accountBalance ?? TESTNET_DEFAULTS.accountBalance;
  if (balance <= 0n) throw new TestnetError('BAD_OPTIONS', 'the account balance must be positive', {});
  return {
    version: 1,
    validatorsPerShard: intOption(
      'validators per shard',
      o.validatorsPerShard ?? TESTNET_DEFAULTS.validatorsPerShard,
      4,
      64,
    ),
    shards: intOption('shards', o.shards ?? TESTNET_DEFAULTS.shards, 1, 64),
    accounts: intOption('accounts', o.accounts ?? TESTNET_DEFAULTS.accounts, 0, 10_000),
    accountBalance: balance.toString(),
    chainId: intOption('chain id', o.chainId ?? TESTNET_DEFAULTS.chainId, 0, 0xffffffff),
    ethereumChainId: intOption(
      'Ethereum chain id',
      o.ethereumChainId ?? TESTNET_DEFAULTS.ethereumChainId,
      1,
      0xffffffff,
    ),
    createdAt: new Date().toISOString(),
  };
}

/** Options given explicitly that differ from the plan of an existing directory, by name. */
function conflicts(plan: TestnetPlan, o: TestnetOptions): string[] {
  const out: string[] = [];
  const check = (name: string, given: unknown, have: unknown): void => {
    if (given !== undefined && String(given) !== String(have))
      out.push(`${name} ${String(given)} (the directory has ${String(have)})`);
  };
  check('validators per shard', o.validatorsPerShard, plan.validatorsPerShard);
  check('shards', o.shards, plan.shards);
  check('accounts', o.accounts, plan.accounts);
  check('account balance', o.accountBalance, plan.accountBalance);
  check('chain id', o.chainId, plan.chainId);
  check('Ethereum chain id', o.ethereumChainId, plan.ethereumChainId);
  if (o.extraFunds !== undefined && o.extraFunds.length > 0)
    out.push('extra funded accounts (fixed at creation)');
  return out;
}

function readPlan(layout: TestnetLayout): TestnetPlan {
  try {
    const p = JSON.parse(readFileSync(layout.planFile, 'utf8')) as TestnetPlan;
    if (p.version !== 1 || !Number.isInteger(p.validatorsPerShard) || !Number.isInteger(p.shards))
      throw new Error('version');
    return p;
  } catch {
    throw new TestnetError(
      'BAD_DIR',
      `${layout.planFile} is unreadable; remove ${layout.dir} to start a new testnet`,
      {
        dir: layout.dir,
      },
    );
  }
}

function shardOf(genesis: Genesis, keys: ValidatorKeys, name: string): number {
  const shard = committeesOf(genesis, keys.ed25519.publicKey).find((c) => c.committeeId !== BEACON_COMMITTEE);
  if (shard === undefined) {
    throw new TestnetError(
      'BAD_DIR',
      `${name} sits in no shard committee of the genesis; the directory is inconsistent`,
      {},
    );
  }
  return shard.committeeId;
}

/** Loads the keys, genesis and plan of an existing testnet directory. */
async function load(layout: TestnetLayout, created: boolean): Promise<TestnetFiles> {
  const plan = readPlan(layout);
  let genesis: Genesis;
  try {
    genesis = readGenesisFile(layout.genesisFile);
  } catch (err) {
    throw new TestnetError(
      'BAD_DIR',
      `${layout.genesisFile}: ${(err as Error).message}; remove ${layout.dir} to start a new testnet`,
      {},
      { cause: err },
    );
  }
  const validators: LoadedValidator[] = [];
  const count = plan.validatorsPerShard * plan.shards;
  for (let i = 0; i < count; i++) {
    const paths = layout.validator(i);
    let keys: ValidatorKeys;
    try {
      keys = readKeyFile(paths.keyFile);
    } catch (err) {
      throw new TestnetError(
        'BAD_DIR',
        `${(err as Error).message}; remove ${layout.dir} to start a new testnet`,
        {},
        { cause: err },
      );
    }
    validators.push({
      index: i,
      name: paths.name,
      shard: shardOf(genesis, keys, paths.name),
      keys,
      peerId: await peerIdForSeed(keys.ed25519.seed),
    });
  }
  const balanceOf = (address: Uint8Array): bigint =>
    genesis.balances.filter((b) => toHex(b.address) === toHex(address)).reduce((s, b) => s + b.amount, 0n);
  const accounts: LoadedAccount[] = [];
  for (let j = 0; j < plan.accounts; j++) {
    const keyFile = layout.accountKeyFile(j);
    let keys: ValidatorKeys;
    try {
      keys = readKeyFile(keyFile);
    } catch (err) {
      throw new TestnetError(
        'BAD_DIR',
        `${(err as Error).message}; remove ${layout.dir} to start a new testnet`,
        {},
        { cause: err },
      );
    }
    const entry = genesis.balances.find((b) => toHex(b.address) === toHex(keys.address));
    accounts.push({ index: j, keyFile, keys, shard: entry?.shard ?? 0, balance: balanceOf(keys.address) });
  }
  return { layout, plan, genesis, validators, accounts, created };
}

function isEmptyDir(dir: string): boolean {
  return readdirSync(dir).length === 0;
}

/** Writes keys, genesis and plan into `target` (a fresh folder). */
function writeNewTestnet(target: string, plan: TestnetPlan, o: TestnetOptions): void {
  const layout = new TestnetLayout(target);
  mkdirSync(layout.accountsDir, { recursive: true });
  const count = plan.validatorsPerShard * plan.shards;
  const validatorKeys = Array.from({ length: count }, () => generateValidatorKeys());
  validatorKeys.forEach((keys, i) => {
    const paths = layout.validator(i);
    mkdirSync(paths.dir, { recursive: true });
    writeKeyFile(paths.keyFile, keys);
  });
  const accountKeys = Array.from({ length: plan.accounts }, () => generateValidatorKeys());
  accountKeys.forEach((keys, j) => writeKeyFile(layout.accountKeyFile(j), keys));
  const funds: Funding[] = [
    ...accountKeys.map((k) => ({ address: k.address, amount: BigInt(plan.accountBalance) })),
    ...(o.extraFunds ?? []),
  ];
  const genesis = createGenesis({
    chainId: plan.chainId,
    ethereumChainId: plan.ethereumChainId,
    shardCount: plan.shards,
    validators: validatorKeys.map((k) => ({
      publicKey: k.ed25519.publicKey,
      ethAddress: k.secp256k1.ethAddress,
    })),
    shardCommitteeSize: plan.validatorsPerShard,
    funds,
  });
  writeGenesisFile(layout.genesisFile, genesis);
  writeFileSync(layout.planFile, JSON.stringify(plan, null, 2) + '\n'); // last: its presence marks a complete testnet
}

/**
 * Opens the testnet of `options.dir`: creates it when the directory is
 * absent or empty, resumes it when it holds a testnet (refusing options that
 * contradict it), and refuses a directory with other files.
 */
export async function openTestnetFiles(options: TestnetOptions): Promise<TestnetFiles> {
  const layout = new TestnetLayout(options.dir);
  if (existsSync(layout.planFile)) {
    const plan = readPlan(layout);
    const diff = conflicts(plan, options);
    if (diff.length > 0) {
      throw new TestnetError(
        'DIR_CONFLICT',
        `${layout.dir} holds a testnet created with other options: ${diff.join('; ')}. ` +
          `Drop those options to resume it, or choose another --dir (or remove this one) for a new testnet`,
        { dir: layout.dir },
      );
    }
    return load(layout, false);
  }
  if (existsSync(layout.dir) && !isEmptyDir(layout.dir)) {
    throw new TestnetError(
      'DIR_CONFLICT',
      `${layout.dir} is not empty and holds no testnet (no plan.json); choose another --dir, or empty it`,
      { dir: layout.dir },
    );
  }
  const plan = planOf(options);
  const parent = dirname(layout.dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(layout.dir)}.creating-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    writeNewTestnet(tmp, plan, options);
    if (existsSync(layout.dir)) rmdirSync(layout.dir); // empty, checked above
    renameSync(tmp, layout.dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return load(layout, true);
}

export interface ValidatorPorts {
  readonly p2p: number;
  readonly rpc: number;
}

/** The ports in a validator's config.json, or null when it has none yet. */
export function readConfiguredPorts(layout: TestnetLayout, index: number): ValidatorPorts | null {
  try {
    const c = JSON.parse(readFileSync(layout.validator(index).configFile, 'utf8')) as {
      p2p?: { port?: unknown };
      rpc?: { port?: unknown };
    };
    const p2p = c.p2p?.port;
    const rpc = c.rpc?.port;
    if (typeof p2p === 'number' && typeof rpc === 'number' && p2p > 0 && rpc > 0) return { p2p, rpc };
  } catch {
    // no config yet
  }
  return null;
}

/**
 * Ports for every validator: the ones of its config.json when they are still
 * free (a resumed testnet keeps its endpoints), fresh free ones otherwise.
 */
export async function choosePorts(
  layout: TestnetLayout,
  count: number,
  host: string,
): Promise<ValidatorPorts[]> {
  const out: (ValidatorPorts | null)[] = [];
  for (let i = 0; i < count; i++) {
    const had = readConfiguredPorts(layout, i);
    out.push(
      had !== null && (await isPortFree(had.p2p, host)) && (await isPortFree(had.rpc, host)) ? had : null,
    );
  }
  const taken = new Set(out.flatMap((p) => (p === null ? [] : [p.p2p, p.rpc])));
  const missing = out.filter((p) => p === null).length;
  const fresh = (await freePorts(missing * 2 + taken.size, host)).filter((p) => !taken.has(p));
  return out.map((p) => p ?? { p2p: fresh.shift()!, rpc: fresh.shift()! });
}

export interface ConfigInputs {
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly tuning?: Partial<NodeTuning>;
}

/** The multiaddr of a validator's p2p listener, with its peer id. */
export function peerAddress(host: string, port: number, peerId: string): string {
  return `/ip4/${host}/tcp/${port}/p2p/${peerId}`;
}

/**
 * The config.json of validator `index` (node/config.ts format). Paths are
 * relative to the validator's folder, so that the testnet can be moved.
 * Peers: every other validator of the testnet (shards and beacon share them).
 */
export function validatorConfig(
  files: Pick<TestnetFiles, 'validators'>,
  index: number,
  ports: readonly ValidatorPorts[],
  inputs: ConfigInputs,
): Record<string, unknown> {
  const v = files.validators[index]!;
  const peers = files.validators
    .filter((p) => p.index !== index)
    .map((p) => peerAddress(inputs.host, ports[p.index]!.p2p, p.peerId));
  return {
    dataDir: 'data',
    keyFile: 'key.json',
    genesisFile: '../genesis.json',
    shard: v.shard,
    p2p: { host: inputs.host, port: ports[index]!.p2p },
    rpc: { host: inputs.host, port: ports[index]!.rpc },
    peers,
    logLevel: inputs.logLevel,
    ...(inputs.tuning !== undefined && Object.keys(inputs.tuning).length > 0
      ? { tuning: inputs.tuning }
      : {}),
  };
}

/** Writes every validator's config.json. */
export function writeValidatorConfigs(
  files: TestnetFiles,
  ports: readonly ValidatorPorts[],
  inputs: ConfigInputs,
): void {
  for (const v of files.validators) {
    const file = files.layout.validator(v.index).configFile;
    writeFileSync(
      file + '.tmp',
      JSON.stringify(validatorConfig(files, v.index, ports, inputs), null, 2) + '\n',
    );
    renameSync(file + '.tmp', file);
  }
}
