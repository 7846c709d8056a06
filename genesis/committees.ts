/** Looking up committees of a genesis by committee id (the ids consensus uses). */
import { equalBytes } from '../core/bytes.js';
import type { Genesis, GenesisValidator } from './types.js';

/** The beacon's committee id: the same value as consensus/types.ts BEACON_COMMITTEE_ID (genesis/ does not import consensus/). */
export const BEACON_COMMITTEE = 0xffff;

/** The members of committee `committeeId` (a shard id or BEACON_COMMITTEE), in index order; undefined for an unknown id. */
export function committeeMembers(g: Genesis, committeeId: number): readonly GenesisValidator[] | undefined {
  if (committeeId === BEACON_COMMITTEE) return g.beaconCommittee;
  return g.shardCommittees[committeeId];
}

/** Every committee a validator key sits in, with its index there. */
export function committeesOf(g: Genesis, publicKey: Uint8Array): { committeeId: number; index: number }[] {
  const out: { committeeId: number; index: number }[] = [];
  const find = (members: readonly GenesisValidator[], committeeId: number): void => {
    const index = members.findIndex((m) => equalBytes(m.publicKey, publicKey));
    if (index >= 0) out.push({ committeeId, index });
  };
  find(g.beaconCommittee, BEACON_COMMITTEE);
  g.shardCommittees.forEach((m, s) => find(m, s));
  return out;
}

export function totalStake(members: readonly GenesisValidator[]): bigint {
  return members.reduce((s, m) => s + m.stake, 0n);
}
