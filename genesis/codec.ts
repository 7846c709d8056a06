/**
 * The canonical encoding of a genesis and THE genesis hash (docs/genesis.md,
 * Hash). The encoding is core's canonical codec (a fixed-order msgpack array,
 * version first, amounts as 16-byte u128); balances and withdrawal limits are
 * encoded in their sorted order, so the hash never depends on the order a
 * human wrote them in. genesisHash = taggedHash('hotshard/genesis/v1', encoding).
 */
import {
  bytes20,
  bytes32,
  decode,
  encode,
  list,
  optional,
  struct,
  u8,
  u16,
  u32,
  u128,
  uint,
} from '../core/codec.js';
import { CodecError } from '../core/errors.js';
import { compareBytes } from '../core/bytes.js';
import { Tags, taggedHash, type Hash32 } from '../core/hash.js';
import { BUCKET_RULES, type BucketRule } from './buckets.js';
import { GenesisError } from './errors.js';
import { validateGenesis } from './validate.js';
import {
  GENESIS_VERSION,
  MAX_COMMITTEE_SIZE,
  MAX_GENESIS_BALANCES,
  MAX_SHARD_COUNT,
  MAX_WITHDRAWAL_LIMITS,
  type Genesis,
  type GenesisBalance,
  type WithdrawalLimit,
} from './types.js';

/** Large enough for the most balances genesis allows. */
export const MAX_GENESIS_BYTES = 128 * 1024 * 1024;

const memberCodec = struct('GenesisValidator', [
  ['publicKey', bytes32],
  ['ethAddress', bytes20],
  ['stake', u128],
]);

const balanceCodec = struct('GenesisBalance', [
  ['shard', u16],
  ['address', bytes20],
  ['asset', bytes20],
  ['amount', u128],
]);

const consensusCodec = struct('ConsensusParams', [
  ['baseRoundTimeoutMs', u32],
  ['roundTimeoutBackoffPercent', u32],
  ['maxRoundTimeoutMs', u32],
  ['minProposalIntervalMs', u32],
  ['maxClockDriftMs', u32],
]);

const feesCodec = struct('FeeParams', [
  ['minTransferFee', u128],
  ['minCrossShardFee', u128],
  ['minWithdrawFee', u128],
]);

const bridgeCodec = struct('BridgeParams', [
  ['withdrawalDelaySeconds', u32],
  ['limitPeriodSeconds', u32],
  [
    'withdrawalLimits',
    list(
      struct('WithdrawalLimit', [
        ['asset', bytes20],
        ['amountPerPeriod', u128],
      ]),
      MAX_WITHDRAWAL_LIMITS,
    ),
  ],
  ['guardian', optional(bytes20)],
  ['guardianUnpauseDelaySeconds', u32],
  ['checkpointInterval', u32],
]);

const genesisWireCodec = struct(
  'Genesis',
  [
    ['chainId', u32],
    ['ethereumChainId', uint],
    ['genesisTime', uint],
    ['shardCount', u16],
    ['bucketCount', u32],
    ['bucketRule', u8],
    ['consensus', consensusCodec],
    ['fees', feesCodec],
    ['bridge', bridgeCodec],
    ['beaconCommittee', list(memberCodec, MAX_COMMITTEE_SIZE)],
    ['shardCommittees', list(list(memberCodec, MAX_COMMITTEE_SIZE), MAX_SHARD_COUNT)],
    ['balances', list(balanceCodec, MAX_GENESIS_BALANCES)],
  ],
  GENESIS_VERSION,
);

export function compareBalances(a: GenesisBalance, b: GenesisBalance): number {
  return a.shard - b.shard || compareBytes(a.address, b.address) || compareBytes(a.asset, b.asset);
}

function compareLimits(a: WithdrawalLimit, b: WithdrawalLimit): number {
  return compareBytes(a.asset, b.asset);
}

/** The same genesis with balances and withdrawal limits in canonical order. */
export function normalizeGenesis(g: Genesis): Genesis {
  return {
    ...g,
    balances: [...g.balances].sort(compareBalances),
    bridge: { ...g.bridge, withdrawalLimits: [...g.bridge.withdrawalLimits].sort(compareLimits) },
  };
}

const RULE_BY_NUMBER = new Map<number, BucketRule>(
  Object.entries(BUCKET_RULES).map(([k, v]) => [v, k as BucketRule]),
);

/** The canonical bytes of `g` (balances and limits sorted). Throws CodecError when a field does not fit its type. */
export function encodeGenesis(g: Genesis): Uint8Array {
  const n = normalizeGenesis(g);
  const rule = BUCKET_RULES[n.bucketRule];
  if (rule === undefined)
    throw new GenesisError('BAD_BUCKETS', `bucketRule: unknown rule ${String(n.bucketRule)}`, {
      path: 'bucketRule',
    });
  return encode(genesisWireCodec, {
    ...n,
    bucketRule: rule,
    bridge: { ...n.bridge, withdrawalLimits: [...n.bridge.withdrawalLimits] },
    beaconCommittee: [...n.beaconCommittee],
    shardCommittees: n.shardCommittees.map((c) => [...c]),
    balances: [...n.balances],
  });
}

/** Decodes canonical genesis bytes and validates the result. Throws GenesisError. */
export function decodeGenesis(bytes: Uint8Array): Genesis {
  let w;
  try {
    w = decode(genesisWireCodec, bytes, MAX_GENESIS_BYTES);
  } catch (err) {
    if (err instanceof CodecError) {
      const code = err.code === 'VERSION' ? 'VERSION' : 'MALFORMED';
      throw new GenesisError(
        code,
        `genesis encoding: ${err.message}`,
        { path: err.context.path },
        { cause: err },
      );
    }
    throw err;
  }
  const rule = RULE_BY_NUMBER.get(w.bucketRule);
  if (rule === undefined)
    throw new GenesisError('BAD_BUCKETS', `bucketRule: unknown rule number ${w.bucketRule}`, {
      path: 'bucketRule',
    });
  const g: Genesis = { version: GENESIS_VERSION, ...w, bucketRule: rule };
  validateGenesis(g);
  return g;
}

/** THE genesis hash: the domain-tagged SHA-256 of the canonical encoding. */
export function genesisHash(g: Genesis): Hash32 {
  return taggedHash(Tags.genesis, encodeGenesis(g));
}
