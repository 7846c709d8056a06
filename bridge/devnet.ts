/**
 * Committees with known keys, for local testnets, tests and benchmarks: deterministic secp256k1 keys from a
 * seed, and signing a checkpoint by any chosen members (no safety store: these keys guard nothing).
 */
import { keccak256, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { CHECKPOINT_TYPES, eip712Domain, type BridgeDomain, type Checkpoint } from './checkpoint.js';
import { makeCommittee, type BridgeCommittee } from './committee.js';
import type { CheckpointSignature } from './signatures.js';

export interface DevCommittee {
  readonly committee: BridgeCommittee;
  /** Private keys in committee order (ascending address). */
  readonly keys: readonly Hex[];
}

/** The i-th key of a seed: keccak256(seed || i), a valid secp256k1 scalar with overwhelming probability. */
export function devKey(seed: string, i: number): Hex {
  return keccak256(toHex(`${seed}/${i}`));
}

/** A committee whose member j (before sorting) has stake `stakes[j]` and key devKey(seed, j). */
export function devCommittee(stakes: readonly bigint[], seed = 'hotshard-dev'): DevCommittee {
  const keys = stakes.map((_, j) => devKey(seed, j));
  const byAddress = new Map(
    keys.map((k, j) => [privateKeyToAccount(k).address, { key: k, stake: stakes[j]! }]),
  );
  const committee = makeCommittee([...byAddress].map(([address, v]) => ({ address, stake: v.stake })));
  return { committee, keys: committee.members.map((m) => byAddress.get(m.address)!.key) };
}

/** Signatures of `cp` by the members at `indices` (committee order). */
export async function signByMembers(
  dev: DevCommittee,
  cp: Checkpoint,
  domain: BridgeDomain,
  indices: readonly number[],
): Promise<CheckpointSignature[]> {
  return Promise.all(
    indices.map(async (i) => {
      const account = privateKeyToAccount(dev.keys[i]!);
      const signature = await account.signTypedData({
        domain: eip712Domain(domain),
        types: CHECKPOINT_TYPES,
        primaryType: 'Checkpoint',
        message: cp,
      });
      return { signer: account.address, signature };
    }),
  );
}
