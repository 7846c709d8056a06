/**
 * The genesis of a hotshard network (docs/genesis.md): everything every node
 * must agree on before the first block. The canonical encoding of this value
 * (genesis/codec.ts) is hashed into THE genesis hash, which the bridge
 * contract stores.
 */
import type { BucketRule } from './buckets.js';

export const GENESIS_VERSION = 1;
/** BFT needs n >= 3f + 1 to tolerate one fault: below 4 members a committee tolerates none. */
export const MIN_COMMITTEE_SIZE = 4;
export const MAX_COMMITTEE_SIZE = 1024;
/** Committee ids are u16 and 0xffff is the beacon (consensus/types.ts BEACON_COMMITTEE_ID). */
export const MAX_SHARD_COUNT = 1024;
export const MAX_GENESIS_BALANCES = 1_000_000;
export const MAX_WITHDRAWAL_LIMITS = 256;

/** A member of a committee. */
export interface GenesisValidator {
  /** ed25519 consensus key (32 bytes). */
  readonly publicKey: Uint8Array;
  /** Address of the secp256k1 bridge key (20 bytes), what the bridge contract checks signatures against. */
  readonly ethAddress: Uint8Array;
  /** Positive; a committee's total stake fits in a u128. */
  readonly stake: bigint;
}

/** An initial balance. `shard` must be the shard the address maps to (stated so a human reading the file sees it). */
export interface GenesisBalance {
  readonly shard: number;
  readonly address: Uint8Array;
  readonly asset: Uint8Array;
  readonly amount: bigint;
}

/** Timing of the consensus engine (DESIGN.md, Defaults). Integers only: the genesis hash must not depend on float formatting. */
export interface ConsensusParams {
  readonly baseRoundTimeoutMs: number;
  /** Round timeout growth per round without a commit, in percent (150 = x1.5). */
  readonly roundTimeoutBackoffPercent: number;
  readonly maxRoundTimeoutMs: number;
  readonly minProposalIntervalMs: number;
  /** How far a block timestamp may be ahead of a validator's clock. */
  readonly maxClockDriftMs: number;
}

/** The fee floor per transaction kind, in native units (docs/transactions.md, Fees). */
export interface FeeParams {
  readonly minTransferFee: bigint;
  /** Transfers to another shard also pay for the message's delivery. */
  readonly minCrossShardFee: bigint;
  /** Withdrawals also pay for the checkpoint that carries them to Ethereum. */
  readonly minWithdrawFee: bigint;
}

export interface WithdrawalLimit {
  readonly asset: Uint8Array;
  readonly amountPerPeriod: bigint;
}

/** Parameters the bridge reads (DESIGN.md, Bridge to Ethereum). */
export interface BridgeParams {
  readonly withdrawalDelaySeconds: number;
  readonly limitPeriodSeconds: number;
  /** Sorted by asset, one per asset. */
  readonly withdrawalLimits: readonly WithdrawalLimit[];
  /** Ethereum address of the guardian that may pause, or null for none. */
  readonly guardian: Uint8Array | null;
  readonly guardianUnpauseDelaySeconds: number;
  /** A checkpoint every this many beacon blocks that hold a withdrawal or a committee change. */
  readonly checkpointInterval: number;
}

export interface Genesis {
  readonly version: typeof GENESIS_VERSION;
  /** The sidechain's id; every signature carries it. */
  readonly chainId: number;
  readonly ethereumChainId: number;
  /** Milliseconds since the Unix epoch; the first blocks' timestamps are later. */
  readonly genesisTime: number;
  readonly shardCount: number;
  readonly bucketCount: number;
  readonly bucketRule: BucketRule;
  readonly consensus: ConsensusParams;
  readonly fees: FeeParams;
  readonly bridge: BridgeParams;
  readonly beaconCommittee: readonly GenesisValidator[];
  /** One committee per shard, index = shard id. A validator may sit in several (for example the beacon and one shard). */
  readonly shardCommittees: readonly (readonly GenesisValidator[])[];
  /** Sorted by (shard, address, asset); one entry per (address, asset). */
  readonly balances: readonly GenesisBalance[];
}

export const DEFAULT_CONSENSUS_PARAMS: ConsensusParams = {
  baseRoundTimeoutMs: 1000,
  roundTimeoutBackoffPercent: 150,
  maxRoundTimeoutMs: 8000,
  minProposalIntervalMs: 50,
  maxClockDriftMs: 500,
};

export const DEFAULT_FEE_PARAMS: FeeParams = {
  minTransferFee: 1_000n,
  minCrossShardFee: 2_000n,
  minWithdrawFee: 10_000n,
};

/** Testnet values (DESIGN.md: withdrawal delay 1 minute, guardian timelock 10 minutes in the testnet). */
export const DEFAULT_BRIDGE_PARAMS: BridgeParams = {
  withdrawalDelaySeconds: 60,
  limitPeriodSeconds: 86_400,
  withdrawalLimits: [],
  guardian: null,
  guardianUnpauseDelaySeconds: 600,
  checkpointInterval: 32,
};
