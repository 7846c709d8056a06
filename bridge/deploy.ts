/**
 * Deployment of the bridge contract (DESIGN.md, Shards, accounts and transactions: `hotshard bridge deploy`
 * stores the genesis hash in the contract and writes the address to the network configuration) and that
 * configuration file, `bridge.json`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { getAddress, isAddress, isHex, type Address, type Hex } from 'viem';
import { artifact } from './compile.js';
import { BridgeContract } from './contract.js';
import type { BridgeCommittee } from './committee.js';
import { BridgeError } from './errors.js';
import { deployContract, type L1 } from './l1.js';

export interface BridgeDeployParams {
  readonly sidechainChainId: bigint;
  readonly genesisHash: Hex;
  /** address(0) for no guardian. */
  readonly guardian: Address;
  /** Seconds from a checkpoint's acceptance to the withdrawals it makes payable. */
  readonly withdrawalDelay: bigint;
  /** Seconds before the guardian alone may lift a pause. */
  readonly pauseTimelock: bigint;
  /** Seconds per withdrawal-limit period. */
  readonly limitPeriod: bigint;
  /** Limit per period of any asset not listed; 0 accepts only listed assets. */
  readonly defaultLimit: bigint;
  readonly limits: readonly { readonly token: Address; readonly limit: bigint }[];
}

/** DESIGN.md Defaults: a withdrawal delay of 1 minute and a guardian timelock of 10 minutes in the testnet. */
export const TESTNET_TIMING = { withdrawalDelay: 60n, pauseTimelock: 600n, limitPeriod: 3_600n } as const;
/** Hours of withdrawal delay, 7 days of guardian timelock, daily limits. */
export const PRODUCTION_TIMING = {
  withdrawalDelay: 6n * 3_600n,
  pauseTimelock: 7n * 86_400n,
  limitPeriod: 86_400n,
} as const;

export interface Deployment {
  readonly contract: BridgeContract;
  readonly deployBlock: bigint;
  readonly transactionHash: Hex;
  readonly gasUsed: bigint;
}

export function validateDeployParams(p: BridgeDeployParams): void {
  const u64 = (name: string, v: bigint): void => {
    if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n)
      throw new BridgeError('BAD_CONFIG', `${name} ${String(v)} is not a uint64`);
  };
  u64('sidechainChainId', p.sidechainChainId);
  u64('withdrawalDelay', p.withdrawalDelay);
  u64('pauseTimelock', p.pauseTimelock);
  u64('limitPeriod', p.limitPeriod);
  if (p.limitPeriod === 0n) throw new BridgeError('BAD_CONFIG', 'the limit period must be at least 1 second');
  if (!isHex(p.genesisHash, { strict: true }) || p.genesisHash.length !== 66) {
    throw new BridgeError('BAD_CONFIG', `the genesis hash must be 32 bytes of 0x-hex, got ${p.genesisHash}`);
  }
  if (!isAddress(p.guardian, { strict: false }))
    throw new BridgeError('BAD_CONFIG', `guardian ${p.guardian} is not an address`);
  if (p.defaultLimit < 0n) throw new BridgeError('BAD_CONFIG', 'the default limit is negative');
  const seen = new Set<string>();
  for (const l of p.limits) {
    if (!isAddress(l.token, { strict: false }))
      throw new BridgeError('BAD_CONFIG', `limit token ${l.token} is not an address`);
    if (l.limit <= 0n) throw new BridgeError('BAD_CONFIG', `the limit of ${l.token} must be positive`);
    if (seen.has(l.token.toLowerCase())) throw new BridgeError('BAD_CONFIG', `two limits for ${l.token}`);
    seen.add(l.token.toLowerCase());
  }
}

/** Deploys HotshardBridge with the genesis committee and parameters. */
export async function deployBridge(
  l1: L1,
  committee: BridgeCommittee,
  params: BridgeDeployParams,
): Promise<Deployment> {
  validateDeployParams(params);
  const a = await artifact('HotshardBridge');
  const config = {
    sidechainChainId: params.sidechainChainId,
    genesisHash: params.genesisHash,
    guardian: getAddress(params.guardian),
    withdrawalDelay: params.withdrawalDelay,
    pauseTimelock: params.pauseTimelock,
    limitPeriod: params.limitPeriod,
    defaultLimit: params.defaultLimit,
  };
  const { address, receipt } = await deployContract(
    l1,
    a,
    [
      config,
      committee.words,
      params.limits.map((l) => getAddress(l.token)),
      params.limits.map((l) => l.limit),
    ],
    'HotshardBridge',
  );
  return {
    contract: await BridgeContract.at(l1, address),
    deployBlock: receipt.blockNumber,
    transactionHash: receipt.transactionHash,
    gasUsed: receipt.gasUsed,
  };
}

/** The network configuration nodes and tools read: where the bridge is and what it was deployed for. */
export interface BridgeNetworkConfig {
  readonly address: Address;
  readonly l1Rpc: string;
  /** Ethereum's chain id. */
  readonly chainId: number;
  /** The block of the deployment: watchers read events from there. */
  readonly deployBlock: bigint;
  readonly genesisHash: Hex;
  readonly sidechainChainId: bigint;
  readonly committeeHash: Hex;
}

export function writeNetworkConfig(path: string, c: BridgeNetworkConfig): void {
  const json = {
    address: c.address,
    l1Rpc: c.l1Rpc,
    chainId: c.chainId,
    deployBlock: c.deployBlock.toString(),
    genesisHash: c.genesisHash,
    sidechainChainId: c.sidechainChainId.toString(),
    committeeHash: c.committeeHash,
  };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(json, null, 2) + '\n');
  renameSync(tmp, path);
}

export function readNetworkConfig(path: string): BridgeNetworkConfig {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new BridgeError(
      'BAD_CONFIG',
      `cannot read the bridge configuration ${path}: run \`hotshard bridge deploy\` first`,
      {},
      { cause: err },
    );
  }
  const need = (k: string): unknown => {
    if (j[k] === undefined) throw new BridgeError('BAD_CONFIG', `${path}: "${k}" is missing`);
    return j[k];
  };
  const address = need('address');
  if (typeof address !== 'string' || !isAddress(address, { strict: false })) {
    throw new BridgeError('BAD_CONFIG', `${path}: "address" is not an Ethereum address`);
  }
  const int = (k: string): bigint => {
    const v = need(k);
    if (
      (typeof v !== 'string' || !/^[0-9]+$/.test(v)) &&
      !(typeof v === 'number' && Number.isSafeInteger(v))
    ) {
      throw new BridgeError('BAD_CONFIG', `${path}: "${k}" must be a non-negative integer`);
    }
    return BigInt(v as string | number);
  };
  return {
    address: getAddress(address),
    l1Rpc: String(need('l1Rpc')),
    chainId: Number(int('chainId')),
    deployBlock: int('deployBlock'),
    genesisHash: String(need('genesisHash')) as Hex,
    sidechainChainId: j.sidechainChainId === undefined ? 0n : int('sidechainChainId'),
    committeeHash: String(j.committeeHash ?? '0x') as Hex,
  };
}
