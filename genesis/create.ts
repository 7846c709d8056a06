/**
 * Creating a genesis from validator keys and funded accounts (docs/genesis.md,
 * Creating a genesis; `hotshard genesis create`).
 *
 * Committees: the beacon committee is the first `beaconCommitteeSize`
 * validators (all by default). Each shard gets `shardCommitteeSize`
 * validators (default: an equal share, at least 4), taken in turn from the
 * list: shard s starts at validator s * size (mod n). With n >= 4 * shards
 * the shard committees are disjoint and every validator serves in the beacon
 * and one shard (DESIGN.md); with fewer validators they overlap, and a
 * validator serves in several shards.
 *
 * Funds of the same (address, asset) are added up.
 */
import { toHex } from '../core/bytes.js';
import { NATIVE_ASSET_ID } from './asset-id.js';
import { DEFAULT_BUCKET_COUNT, shardOfAddress } from './buckets.js';
import { normalizeGenesis } from './codec.js';
import { GenesisError } from './errors.js';
import { listKeyFiles, readPublicKeys } from './keyfile.js';
import { validateGenesis } from './validate.js';
import {
  DEFAULT_BRIDGE_PARAMS,
  DEFAULT_CONSENSUS_PARAMS,
  DEFAULT_FEE_PARAMS,
  GENESIS_VERSION,
  MIN_COMMITTEE_SIZE,
  type BridgeParams,
  type ConsensusParams,
  type FeeParams,
  type Genesis,
  type GenesisValidator,
} from './types.js';

export const DEFAULT_STAKE = 1_000_000n;

export interface ValidatorPublicKeys {
  readonly publicKey: Uint8Array;
  readonly ethAddress: Uint8Array;
  /** Defaults to `CreateGenesisOptions.stake`. */
  readonly stake?: bigint;
}

export interface Funding {
  readonly address: Uint8Array;
  /** Defaults to the native token. */
  readonly asset?: Uint8Array;
  readonly amount: bigint;
}

export interface CreateGenesisOptions {
  readonly chainId: number;
  readonly ethereumChainId: number;
  readonly shardCount: number;
  readonly validators: readonly ValidatorPublicKeys[];
  readonly funds?: readonly Funding[];
  /** Stake of validators that do not name their own (default 1,000,000). */
  readonly stake?: bigint;
  readonly beaconCommitteeSize?: number;
  readonly shardCommitteeSize?: number;
  /** Default: now. */
  readonly genesisTime?: number;
  readonly bucketCount?: number;
  readonly consensus?: Partial<ConsensusParams>;
  readonly fees?: Partial<FeeParams>;
  readonly bridge?: Partial<BridgeParams>;
}

/** The validator indices of each shard committee (see the module comment). */
export function assignShardCommittees(validatorCount: number, shardCount: number, size: number): number[][] {
  return Array.from({ length: shardCount }, (_, s) =>
    Array.from({ length: size }, (_, i) => (s * size + i) % validatorCount),
  );
}

export function defaultShardCommitteeSize(validatorCount: number, shardCount: number): number {
  return Math.min(validatorCount, Math.max(MIN_COMMITTEE_SIZE, Math.floor(validatorCount / shardCount)));
}

/** Sums fundings of the same (address, asset): `--fund` and `--fund-validators` may name one account twice. */
function mergeFunds(funds: readonly Funding[]): { address: Uint8Array; asset: Uint8Array; amount: bigint }[] {
  const out = new Map<string, { address: Uint8Array; asset: Uint8Array; amount: bigint }>();
  for (const f of funds) {
    const asset = f.asset ?? NATIVE_ASSET_ID;
    const k = toHex(f.address) + toHex(asset);
    const prev = out.get(k);
    if (prev === undefined) out.set(k, { address: f.address, asset, amount: f.amount });
    else prev.amount += f.amount;
  }
  return [...out.values()];
}

/** Builds and validates a genesis. Throws GenesisError with what to fix. */
export function createGenesis(o: CreateGenesisOptions): Genesis {
  const n = o.validators.length;
  if (n < MIN_COMMITTEE_SIZE) {
    throw new GenesisError(
      'NOT_ENOUGH_VALIDATORS',
      `${n} validator keys given; a committee needs at least ${MIN_COMMITTEE_SIZE}`,
      { count: n },
    );
  }
  if (!Number.isInteger(o.shardCount) || o.shardCount < 1) {
    throw new GenesisError('SHARD_COUNT', `shardCount: expected a positive integer, got ${o.shardCount}`, {
      path: 'shardCount',
    });
  }
  const beaconSize = o.beaconCommitteeSize ?? n;
  const shardSize = o.shardCommitteeSize ?? defaultShardCommitteeSize(n, o.shardCount);
  for (const [name, size] of [
    ['beaconCommitteeSize', beaconSize],
    ['shardCommitteeSize', shardSize],
  ] as const) {
    if (!Number.isInteger(size) || size < MIN_COMMITTEE_SIZE || size > n) {
      throw new GenesisError(
        'NOT_ENOUGH_VALIDATORS',
        `${name} ${size}: expected an integer in [${MIN_COMMITTEE_SIZE}, ${n}] (the number of validator keys)`,
        {
          path: name,
        },
      );
    }
  }
  const stake = o.stake ?? DEFAULT_STAKE;
  const members: GenesisValidator[] = o.validators.map((v) => ({
    publicKey: v.publicKey,
    ethAddress: v.ethAddress,
    stake: v.stake ?? stake,
  }));
  const bucketCount = o.bucketCount ?? DEFAULT_BUCKET_COUNT;
  const g: Genesis = normalizeGenesis({
    version: GENESIS_VERSION,
    chainId: o.chainId,
    ethereumChainId: o.ethereumChainId,
    genesisTime: o.genesisTime ?? Date.now(),
    shardCount: o.shardCount,
    bucketCount,
    bucketRule: 'contiguous',
    consensus: { ...DEFAULT_CONSENSUS_PARAMS, ...o.consensus },
    fees: { ...DEFAULT_FEE_PARAMS, ...o.fees },
    bridge: { ...DEFAULT_BRIDGE_PARAMS, ...o.bridge },
    beaconCommittee: members.slice(0, beaconSize),
    shardCommittees: assignShardCommittees(n, o.shardCount, shardSize).map((idx) =>
      idx.map((i) => members[i]!),
    ),
    balances: mergeFunds(o.funds ?? []).map((f) => ({
      shard: shardOfAddress(f.address, bucketCount, o.shardCount),
      address: f.address,
      asset: f.asset,
      amount: f.amount,
    })),
  });
  validateGenesis(g);
  return g;
}

/**
 * Creates a genesis from validator key files (or public key files, or
 * directories of them: see listKeyFiles), in the order given.
 */
export function createGenesisFromKeyFiles(
  paths: readonly string[],
  options: Omit<CreateGenesisOptions, 'validators'>,
): Genesis {
  return createGenesis({ ...options, validators: listKeyFiles(paths).map((f) => readPublicKeys(f)) });
}
