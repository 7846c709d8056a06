/**
 * Checkpoints of the beacon chain (DESIGN.md, Bridge to Ethereum) and their EIP-712 form. The contract
 * verifies `hashTypedData(domain, Checkpoint)`; the checkpoint's own hash (what the contract keeps and the
 * next checkpoint names as `previousCheckpoint`) is the domain-independent EIP-712 struct hash.
 */
import {
  hashStruct,
  hashTypedData,
  isHex,
  zeroHash,
  type Address,
  type Hex,
  type TypedDataDomain,
} from 'viem';
import { BridgeError } from './errors.js';

export const EIP712_NAME = 'hotshard bridge';
export const EIP712_VERSION = '1';

/** The sha256 of nothing: the root of an empty withdrawals tree (RFC 6962), never a root that pays. */
export const EMPTY_WITHDRAWALS_ROOT: Hex =
  '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface Checkpoint {
  /** The sidechain's chain id. */
  readonly chainId: bigint;
  readonly sequence: bigint;
  readonly epoch: bigint;
  readonly beaconHeightFrom: bigint;
  readonly beaconHeightTo: bigint;
  readonly previousCheckpoint: Hex;
  readonly beaconBlockHash: Hex;
  readonly withdrawalsRoot: Hex;
  readonly withdrawalsCount: bigint;
  readonly depositNonce: bigint;
  readonly depositHash: Hex;
  /** Zero when the committee does not change. */
  readonly nextCommitteeHash: Hex;
  readonly unpause: boolean;
}

/** The EIP-712 type, field for field the Solidity struct (bridge/contracts/BridgeTypes.sol). */
export const CHECKPOINT_TYPES = {
  Checkpoint: [
    { name: 'chainId', type: 'uint64' },
    { name: 'sequence', type: 'uint64' },
    { name: 'epoch', type: 'uint64' },
    { name: 'beaconHeightFrom', type: 'uint64' },
    { name: 'beaconHeightTo', type: 'uint64' },
    { name: 'previousCheckpoint', type: 'bytes32' },
    { name: 'beaconBlockHash', type: 'bytes32' },
    { name: 'withdrawalsRoot', type: 'bytes32' },
    { name: 'withdrawalsCount', type: 'uint64' },
    { name: 'depositNonce', type: 'uint64' },
    { name: 'depositHash', type: 'bytes32' },
    { name: 'nextCommitteeHash', type: 'bytes32' },
    { name: 'unpause', type: 'bool' },
  ],
} as const;

const UINT64_FIELDS = [
  'chainId',
  'sequence',
  'epoch',
  'beaconHeightFrom',
  'beaconHeightTo',
  'withdrawalsCount',
  'depositNonce',
] as const;
const BYTES32_FIELDS = [
  'previousCheckpoint',
  'beaconBlockHash',
  'withdrawalsRoot',
  'depositHash',
  'nextCommitteeHash',
] as const;

/** Where a checkpoint's signatures are valid: one contract on one Ethereum chain. */
export interface BridgeDomain {
  /** Ethereum's chain id (not the sidechain's). */
  readonly l1ChainId: number;
  readonly contract: Address;
}

export function eip712Domain(d: BridgeDomain): TypedDataDomain {
  return { name: EIP712_NAME, version: EIP712_VERSION, chainId: d.l1ChainId, verifyingContract: d.contract };
}

/** Throws BAD_CHECKPOINT unless every field has its Solidity type's range and shape. */
export function validateCheckpoint(cp: Checkpoint): Checkpoint {
  for (const f of UINT64_FIELDS) {
    const v = cp[f];
    if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) {
      throw new BridgeError('BAD_CHECKPOINT', `${f} must be a uint64 bigint, got ${String(v)}`);
    }
  }
  for (const f of BYTES32_FIELDS) {
    const v = cp[f];
    if (typeof v !== 'string' || !isHex(v, { strict: true }) || v.length !== 66) {
      throw new BridgeError('BAD_CHECKPOINT', `${f} must be 32 bytes of 0x-hex, got ${String(v)}`);
    }
  }
  if (typeof cp.unpause !== 'boolean') throw new BridgeError('BAD_CHECKPOINT', 'unpause must be a boolean');
  return cp;
}

/** The checkpoint's hash: its EIP-712 struct hash (the same on every chain and contract). */
export function checkpointHash(cp: Checkpoint): Hex {
  return hashStruct({ types: CHECKPOINT_TYPES, primaryType: 'Checkpoint', data: validateCheckpoint(cp) });
}

/** The EIP-712 digest the committee signs. */
export function checkpointDigest(cp: Checkpoint, domain: BridgeDomain): Hex {
  return hashTypedData({
    domain: eip712Domain(domain),
    types: CHECKPOINT_TYPES,
    primaryType: 'Checkpoint',
    message: validateCheckpoint(cp),
  });
}

/** JSON form: integers as decimal strings, so that files and RPC keep them exact. */
export type CheckpointJson = {
  [K in keyof Checkpoint]: Checkpoint[K] extends bigint ? string : Checkpoint[K];
};

export function checkpointToJson(cp: Checkpoint): CheckpointJson {
  const out: Record<string, unknown> = { ...cp };
  for (const f of UINT64_FIELDS) out[f] = cp[f].toString();
  return out as CheckpointJson;
}

export function checkpointFromJson(json: unknown): Checkpoint {
  if (typeof json !== 'object' || json === null)
    throw new BridgeError('BAD_CHECKPOINT', 'a checkpoint is an object');
  const j = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of UINT64_FIELDS) {
    const v = j[f];
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new BridgeError('BAD_CHECKPOINT', `${f} is missing`);
    if (typeof v === 'string' && !/^(0|[1-9][0-9]*)$/.test(v)) {
      throw new BridgeError('BAD_CHECKPOINT', `${f} must be a decimal integer, got "${v}"`);
    }
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      throw new BridgeError('BAD_CHECKPOINT', `${f} must be an integer, got ${v}`);
    }
    out[f] = BigInt(v);
  }
  for (const f of BYTES32_FIELDS) {
    // Only the committee change is optional: every other hash must be stated.
    if (j[f] === undefined && f !== 'nextCommitteeHash')
      throw new BridgeError('BAD_CHECKPOINT', `${f} is missing`);
    out[f] = j[f] ?? zeroHash;
  }
  out.unpause = j.unpause ?? false;
  return validateCheckpoint(out as unknown as Checkpoint);
}

/** What the beacon chain knows when it closes a checkpoint. */
export interface CheckpointInput {
  readonly chainId: bigint;
  readonly sequence: bigint;
  readonly epoch: bigint;
  readonly beaconHeightFrom: bigint;
  readonly beaconHeightTo: bigint;
  /** The previous checkpoint's hash (zero for the first). */
  readonly previousCheckpoint: Hex;
  readonly beaconBlockHash: Hex;
  /** The cumulative withdrawals tree as of this checkpoint: its root and leaf count. */
  readonly withdrawals: { readonly root: Hex; readonly count: number | bigint };
  /** The last deposit nonce applied and h[nonce]. */
  readonly deposits: { readonly nonce: bigint; readonly hash: Hex };
  /** The next committee's hash (bridge/committee.ts) when the committee changes. */
  readonly nextCommitteeHash?: Hex;
  readonly unpause?: boolean;
}

/** Builds and checks a checkpoint; the empty tree must come with the empty root (the contract insists). */
export function buildCheckpoint(i: CheckpointInput): Checkpoint {
  const count = BigInt(i.withdrawals.count);
  if ((count === 0n) !== (i.withdrawals.root.toLowerCase() === EMPTY_WITHDRAWALS_ROOT)) {
    throw new BridgeError('BAD_CHECKPOINT', 'an empty withdrawals tree has the empty root, and only it');
  }
  if (i.beaconHeightFrom > i.beaconHeightTo) {
    throw new BridgeError(
      'BAD_CHECKPOINT',
      `beacon height range ${i.beaconHeightFrom}..${i.beaconHeightTo} is reversed`,
    );
  }
  return validateCheckpoint({
    chainId: i.chainId,
    sequence: i.sequence,
    epoch: i.epoch,
    beaconHeightFrom: i.beaconHeightFrom,
    beaconHeightTo: i.beaconHeightTo,
    previousCheckpoint: i.previousCheckpoint,
    beaconBlockHash: i.beaconBlockHash,
    withdrawalsRoot: i.withdrawals.root,
    withdrawalsCount: count,
    depositNonce: i.deposits.nonce,
    depositHash: i.deposits.hash,
    nextCommitteeHash: i.nextCommitteeHash ?? zeroHash,
    unpause: i.unpause ?? false,
  });
}
