/**
 * The beacon committee as the bridge contract sees it (DESIGN.md, Bridge to Ethereum; Quorums): each member's
 * secp256k1 (Ethereum) address and stake, ordered by ascending address. On chain the committee is one 32-byte
 * word per member, `bytes20(address) || uint96(stake)`, and its hash is keccak256 of the words concatenated
 * (bridge/contracts/CommitteeQuorum.sol). Ascending addresses make "signers strictly ascending" and "committee
 * indices strictly ascending" the same rule.
 */
import { concat, getAddress, isAddress, keccak256, type Address, type Hex } from 'viem';
import { isQuorum } from '../core/quorum.js';
import { BridgeError } from './errors.js';

export const MAX_STAKE = (1n << 96n) - 1n;

export interface BridgeMember {
  /** Checksummed Ethereum address of the member's secp256k1 bridge key. */
  readonly address: Address;
  readonly stake: bigint;
}

export interface BridgeCommittee {
  /** Strictly ascending by address. */
  readonly members: readonly BridgeMember[];
  readonly totalStake: bigint;
  /** keccak256 of the member words: what the contract stores. */
  readonly hash: Hex;
  /** The member words, as submitted in calldata. */
  readonly words: readonly Hex[];
}

/** The on-chain word of one member: `bytes20(address) || uint96(stake)`. */
export function memberWord(m: BridgeMember): Hex {
  return `0x${m.address.slice(2).toLowerCase()}${m.stake.toString(16).padStart(24, '0')}`;
}

/**
 * Builds the committee from members in any order: checks every address and stake, sorts by address,
 * refuses duplicates, zero stakes overall, and stakes beyond 96 bits.
 */
export function makeCommittee(members: readonly { address: string; stake: bigint }[]): BridgeCommittee {
  if (members.length === 0) throw new BridgeError('BAD_COMMITTEE', 'the committee has no members');
  if (members.length > 0xffff) throw new BridgeError('BAD_COMMITTEE', 'more than 65,535 members');
  const checked = members.map((m, i): BridgeMember => {
    if (typeof m.address !== 'string' || !isAddress(m.address, { strict: false })) {
      throw new BridgeError(
        'BAD_COMMITTEE',
        `member ${i}: "${String(m.address)}" is not an Ethereum address`,
      );
    }
    if (typeof m.stake !== 'bigint' || m.stake < 0n || m.stake > MAX_STAKE) {
      throw new BridgeError('BAD_COMMITTEE', `member ${i}: stake ${String(m.stake)} is not in 0 .. 2^96-1`);
    }
    const address = getAddress(m.address);
    if (BigInt(address) === 0n) throw new BridgeError('BAD_COMMITTEE', `member ${i}: the zero address`);
    return { address, stake: m.stake };
  });
  checked.sort((a, b) =>
    BigInt(a.address) < BigInt(b.address) ? -1 : BigInt(a.address) > BigInt(b.address) ? 1 : 0,
  );
  for (let i = 1; i < checked.length; i++) {
    if (checked[i]!.address === checked[i - 1]!.address) {
      throw new BridgeError('BAD_COMMITTEE', `address ${checked[i]!.address} appears twice`);
    }
  }
  const totalStake = checked.reduce((s, m) => s + m.stake, 0n);
  if (totalStake === 0n) throw new BridgeError('BAD_COMMITTEE', 'the committee has no stake');
  const words = checked.map(memberWord);
  return { members: checked, totalStake, words, hash: keccak256(concat(words)) };
}

/** Index of `address` in the committee, or -1. */
export function memberIndex(committee: BridgeCommittee, address: string): number {
  const a = address.toLowerCase();
  return committee.members.findIndex((m) => m.address.toLowerCase() === a);
}

/** More than two thirds of the committee's stake (the same rule as core/quorum.ts and the contract). */
export function hasQuorum(committee: BridgeCommittee, signedStake: bigint): boolean {
  return isQuorum(signedStake, committee.totalStake);
}
