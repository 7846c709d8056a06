/**
 * Leader election (DESIGN.md, Consensus: a deterministic schedule over the
 * committee, weighted by stake; round robin first). Liveness only: any
 * deterministic function every honest node agrees on is safe.
 *
 * StakeWeightedRoundRobin precomputes one period of smooth weighted round
 * robin (the nginx algorithm) over the members' weights, so that each member
 * leads a share of rounds proportional to its stake and its turns are spread
 * evenly, not bunched. Weights are the stakes divided by their gcd; when
 * their sum is larger than `maxPeriod` they are scaled down to it by largest
 * remainders (a member with a tiny stake may then get no turn).
 */
import type { CommitteeMember, LeaderElection, Round, ValidatorIndex } from './types.js';
import { ConsensusError } from './errors.js';

export type { LeaderElection } from './types.js';

export const DEFAULT_MAX_PERIOD = 4096;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Integer weights proportional to the stakes, summing to at most `maxPeriod`. */
export function scheduleWeights(stakes: readonly bigint[], maxPeriod = DEFAULT_MAX_PERIOD): number[] {
  if (stakes.length === 0) throw new ConsensusError('BAD_COMMITTEE', 'no members to elect from');
  if (stakes.some((s) => s <= 0n)) throw new ConsensusError('BAD_COMMITTEE', 'stakes must be positive');
  const g = stakes.reduce((acc, s) => gcd(acc, s));
  const reduced = stakes.map((s) => s / g);
  const total = reduced.reduce((a, b) => a + b, 0n);
  const cap = BigInt(Math.max(maxPeriod, stakes.length));
  if (total <= cap) return reduced.map(Number);
  // Largest remainder apportionment of `cap` seats; ties go to the lower index.
  const seats = reduced.map((s) => (s * cap) / total);
  const remainders = reduced.map((s, i) => ({ i, r: (s * cap) % total }));
  let left = cap - seats.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    seats[i]! += 1n;
    left -= 1n;
  }
  return seats.map(Number);
}

/** Smooth weighted round robin: one period, each index appearing weights[i] times, evenly spread. */
export function smoothWeightedSchedule(weights: readonly number[]): ValidatorIndex[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const out: ValidatorIndex[] = [];
  for (let step = 0; step < total; step++) {
    let best = -1;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (weights[i]! > 0 && (best < 0 || current[i]! > current[best]!)) best = i;
    }
    current[best]! -= total;
    out.push(best);
  }
  return out;
}

export class StakeWeightedRoundRobin implements LeaderElection {
  /** One period of the schedule: the leader of round r is schedule[r mod period]. */
  readonly schedule: readonly ValidatorIndex[];

  constructor(committee: readonly CommitteeMember[], opts: { maxPeriod?: number } = {}) {
    this.schedule = smoothWeightedSchedule(
      scheduleWeights(
        committee.map((m) => m.stake),
        opts.maxPeriod,
      ),
    );
  }

  leader(round: Round): ValidatorIndex {
    return this.schedule[round % this.schedule.length]!;
  }
}
