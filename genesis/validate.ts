/**
 * Semantic validation of a genesis (docs/genesis.md, Validation). The JSON
 * reader (genesis/json.ts) checks types and formats field by field; this
 * module checks what only the whole can tell: committee sizes and keys,
 * stakes, balances against the shard map, totals that must fit a u128.
 */
import * as ed from '@noble/ed25519';
import { U128_MAX } from '../core/codec.js';
import { toHex } from '../core/bytes.js';
import { ASSET_ID_LENGTH } from './asset-id.js';
import { BUCKET_RULES, isValidBucketCount, shardOfAddress } from './buckets.js';
import { ETH_ADDRESS_LENGTH } from './eth-address.js';
import { GenesisError } from './errors.js';
import {
  GENESIS_VERSION,
  MAX_COMMITTEE_SIZE,
  MAX_GENESIS_BALANCES,
  MAX_SHARD_COUNT,
  MAX_WITHDRAWAL_LIMITS,
  MIN_COMMITTEE_SIZE,
  type Genesis,
  type GenesisValidator,
} from './types.js';

const U32_MAX = 0xffffffff;

/** True when `publicKey` is a canonical ed25519 point that is not of small order. */
export function isValidEd25519PublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  try {
    return !ed.Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return false;
  }
}

function isU32(n: unknown, min = 0): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= U32_MAX;
}

function checkCommittee(members: readonly GenesisValidator[], path: string, out: GenesisError[]): void {
  if (!Array.isArray(members) || members.length === 0) {
    out.push(
      new GenesisError(
        'EMPTY_COMMITTEE',
        `${path}: a committee needs at least ${MIN_COMMITTEE_SIZE} members, it has none`,
        { path },
      ),
    );
    return;
  }
  if (members.length < MIN_COMMITTEE_SIZE) {
    out.push(
      new GenesisError(
        'COMMITTEE_TOO_SMALL',
        `${path}: ${members.length} members; BFT needs at least ${MIN_COMMITTEE_SIZE} (3f + 1 with f = 1)`,
        { path, size: members.length },
      ),
    );
  }
  if (members.length > MAX_COMMITTEE_SIZE) {
    out.push(
      new GenesisError(
        'COMMITTEE_TOO_LARGE',
        `${path}: ${members.length} members, at most ${MAX_COMMITTEE_SIZE}`,
        { path },
      ),
    );
  }
  const keys = new Map<string, number>();
  const eths = new Map<string, number>();
  let total = 0n;
  members.forEach((m, i) => {
    const p = `${path}[${i}]`;
    if (!isValidEd25519PublicKey(m.publicKey)) {
      out.push(
        new GenesisError('BAD_PUBLIC_KEY', `${p}.publicKey: not a valid ed25519 public key`, {
          path: `${p}.publicKey`,
        }),
      );
    } else {
      const k = toHex(m.publicKey);
      const j = keys.get(k);
      if (j !== undefined) {
        out.push(
          new GenesisError(
            'DUPLICATE_KEY',
            `${p}.publicKey: the same ed25519 key as ${path}[${j}]; each member needs its own key`,
            { path: `${p}.publicKey` },
          ),
        );
      } else keys.set(k, i);
    }
    if (!(m.ethAddress instanceof Uint8Array) || m.ethAddress.length !== ETH_ADDRESS_LENGTH) {
      out.push(
        new GenesisError('BAD_FIELD', `${p}.ethAddress: expected ${ETH_ADDRESS_LENGTH} bytes`, {
          path: `${p}.ethAddress`,
        }),
      );
    } else {
      const e = toHex(m.ethAddress);
      const j = eths.get(e);
      if (j !== undefined) {
        out.push(
          new GenesisError(
            'DUPLICATE_KEY',
            `${p}.ethAddress: the same Ethereum address as ${path}[${j}]; each member needs its own bridge key`,
            { path: `${p}.ethAddress` },
          ),
        );
      } else eths.set(e, i);
    }
    if (typeof m.stake !== 'bigint' || m.stake <= 0n) {
      out.push(
        new GenesisError('ZERO_STAKE', `${p}.stake: stake must be a positive integer`, {
          path: `${p}.stake`,
        }),
      );
    } else {
      total += m.stake;
    }
  });
  if (total > U128_MAX) {
    out.push(
      new GenesisError('STAKE_OVERFLOW', `${path}: total stake ${total} exceeds 2^128 - 1`, {
        path,
        total: total.toString(),
      }),
    );
  }
}

/** Every problem of `g`, in field order; empty when `g` is a valid genesis. */
export function listGenesisProblems(g: Genesis): GenesisError[] {
  const out: GenesisError[] = [];
  const bad = (code: ConstructorParameters<typeof GenesisError>[0], path: string, msg: string): void => {
    out.push(new GenesisError(code, `${path}: ${msg}`, { path }));
  };
  if (g.version !== GENESIS_VERSION) {
    bad(
      'VERSION',
      'version',
      `genesis version ${String(g.version)} is not supported; this build reads version ${GENESIS_VERSION}`,
    );
    return out;
  }
  if (!isU32(g.chainId, 1)) bad('BAD_PARAM', 'chainId', 'expected an integer in [1, 2^32 - 1]');
  if (!(Number.isSafeInteger(g.ethereumChainId) && g.ethereumChainId > 0))
    bad('BAD_PARAM', 'ethereumChainId', 'expected a positive integer');
  if (!(Number.isSafeInteger(g.genesisTime) && g.genesisTime >= 0))
    bad('BAD_PARAM', 'genesisTime', 'expected milliseconds since the Unix epoch');
  const shardCountOk = Number.isInteger(g.shardCount) && g.shardCount >= 1 && g.shardCount <= MAX_SHARD_COUNT;
  if (!shardCountOk) bad('SHARD_COUNT', 'shardCount', `expected an integer in [1, ${MAX_SHARD_COUNT}]`);
  const bucketsOk = shardCountOk && isValidBucketCount(g.bucketCount, g.shardCount);
  if (!bucketsOk)
    bad(
      'BAD_BUCKETS',
      'bucketCount',
      `expected a power of two, at least shardCount and at most 65536 (for example 4096)`,
    );
  if (!(g.bucketRule in BUCKET_RULES))
    bad(
      'BAD_BUCKETS',
      'bucketRule',
      `unknown rule ${String(g.bucketRule)}; known: ${Object.keys(BUCKET_RULES).join(', ')}`,
    );

  const c = g.consensus;
  if (!isU32(c.baseRoundTimeoutMs, 1))
    bad('BAD_PARAM', 'consensus.baseRoundTimeoutMs', 'expected a positive integer');
  if (!isU32(c.maxRoundTimeoutMs, 1) || c.maxRoundTimeoutMs < c.baseRoundTimeoutMs) {
    bad('BAD_PARAM', 'consensus.maxRoundTimeoutMs', 'expected an integer at least baseRoundTimeoutMs');
  }
  if (!isU32(c.roundTimeoutBackoffPercent, 100))
    bad('BAD_PARAM', 'consensus.roundTimeoutBackoffPercent', 'expected an integer >= 100 (150 means x1.5)');
  if (!isU32(c.minProposalIntervalMs))
    bad('BAD_PARAM', 'consensus.minProposalIntervalMs', 'expected a non-negative integer');
  if (!isU32(c.maxClockDriftMs))
    bad('BAD_PARAM', 'consensus.maxClockDriftMs', 'expected a non-negative integer');

  for (const [name, v] of Object.entries(g.fees)) {
    if (typeof v !== 'bigint' || v < 0n || v > U128_MAX)
      bad('AMOUNT_TOO_LARGE', `fees.${name}`, 'expected an amount in [0, 2^128 - 1]');
  }

  const b = g.bridge;
  if (!isU32(b.withdrawalDelaySeconds))
    bad('BAD_PARAM', 'bridge.withdrawalDelaySeconds', 'expected a non-negative integer');
  if (!isU32(b.limitPeriodSeconds, 1))
    bad('BAD_PARAM', 'bridge.limitPeriodSeconds', 'expected a positive integer');
  if (!isU32(b.guardianUnpauseDelaySeconds))
    bad('BAD_PARAM', 'bridge.guardianUnpauseDelaySeconds', 'expected a non-negative integer');
  if (!isU32(b.checkpointInterval, 1))
    bad('BAD_PARAM', 'bridge.checkpointInterval', 'expected a positive integer');
  if (
    b.guardian !== null &&
    !(b.guardian instanceof Uint8Array && b.guardian.length === ETH_ADDRESS_LENGTH)
  ) {
    bad('BAD_FIELD', 'bridge.guardian', 'expected an Ethereum address or null');
  }
  if (b.withdrawalLimits.length > MAX_WITHDRAWAL_LIMITS)
    bad('BAD_PARAM', 'bridge.withdrawalLimits', `at most ${MAX_WITHDRAWAL_LIMITS} entries`);
  const limitAssets = new Set<string>();
  b.withdrawalLimits.forEach((l, i) => {
    const p = `bridge.withdrawalLimits[${i}]`;
    if (!(l.asset instanceof Uint8Array) || l.asset.length !== ASSET_ID_LENGTH)
      bad('BAD_FIELD', `${p}.asset`, 'expected a 20-byte asset id');
    else if (limitAssets.has(toHex(l.asset)))
      bad('DUPLICATE_LIMIT', `${p}.asset`, 'a second limit for the same asset');
    else limitAssets.add(toHex(l.asset));
    if (typeof l.amountPerPeriod !== 'bigint' || l.amountPerPeriod <= 0n || l.amountPerPeriod > U128_MAX) {
      bad('AMOUNT_TOO_LARGE', `${p}.amountPerPeriod`, 'expected an amount in [1, 2^128 - 1]');
    }
  });

  checkCommittee(g.beaconCommittee, 'beaconCommittee', out);
  if (shardCountOk && g.shardCommittees.length !== g.shardCount) {
    bad(
      'SHARD_COUNT',
      'shardCommittees',
      `${g.shardCommittees.length} committees for ${g.shardCount} shards; give exactly one per shard`,
    );
  }
  g.shardCommittees.forEach((m, s) => checkCommittee(m, `shardCommittees[${s}]`, out));

  if (g.balances.length > MAX_GENESIS_BALANCES)
    bad('TOO_MANY_BALANCES', 'balances', `at most ${MAX_GENESIS_BALANCES} entries`);
  const seen = new Map<string, number>();
  const supply = new Map<string, bigint>();
  g.balances.forEach((e, i) => {
    const p = `balances[${i}]`;
    if (!(e.address instanceof Uint8Array) || e.address.length !== 20)
      return bad('BAD_FIELD', `${p}.address`, 'expected a 20-byte address');
    if (!(e.asset instanceof Uint8Array) || e.asset.length !== ASSET_ID_LENGTH)
      return bad('BAD_FIELD', `${p}.asset`, 'expected a 20-byte asset id');
    if (!Number.isInteger(e.shard) || e.shard < 0 || (shardCountOk && e.shard >= g.shardCount)) {
      bad(
        'UNKNOWN_SHARD',
        `${p}.shard`,
        `shard ${String(e.shard)} does not exist (shardCount is ${g.shardCount})`,
      );
    } else if (bucketsOk) {
      const want = shardOfAddress(e.address, g.bucketCount, g.shardCount);
      if (want !== e.shard)
        bad(
          'WRONG_SHARD',
          `${p}.shard`,
          `address 0x${toHex(e.address)} lives on shard ${want}, not ${e.shard}`,
        );
    }
    if (typeof e.amount !== 'bigint' || e.amount <= 0n)
      bad('ZERO_AMOUNT', `${p}.amount`, 'an initial balance must be positive (leave zero balances out)');
    else if (e.amount > U128_MAX) bad('AMOUNT_TOO_LARGE', `${p}.amount`, 'exceeds 2^128 - 1');
    const k = toHex(e.address) + toHex(e.asset);
    const j = seen.get(k);
    if (j !== undefined)
      bad(
        'DUPLICATE_BALANCE',
        p,
        `a second balance of the same asset for 0x${toHex(e.address)} (first at balances[${j}]); merge them`,
      );
    else seen.set(k, i);
    if (typeof e.amount === 'bigint' && e.amount > 0n)
      supply.set(toHex(e.asset), (supply.get(toHex(e.asset)) ?? 0n) + e.amount);
  });
  for (const [asset, total] of supply) {
    if (total > U128_MAX)
      bad(
        'SUPPLY_OVERFLOW',
        'balances',
        `the total of asset 0x${asset} is ${total}, above 2^128 - 1: amounts could overflow`,
      );
  }
  return out;
}

/** Throws the first problem of `g` as a GenesisError (with the number of others in its context). */
export function validateGenesis(g: Genesis): void {
  const problems = listGenesisProblems(g);
  if (problems.length > 0) {
    const first = problems[0]!;
    if (problems.length > 1) first.context['others'] = problems.length - 1;
    throw first;
  }
}
