/**
 * The network schedule of one scenario, drawn from its PRNG.
 *
 * Before GST the network is asynchronous: random delays (so messages are
 * reordered), random drops, occasional long delays, and partitions that come
 * and heal. GST is the moment the last partition heals: from then on nothing
 * is dropped and every message sent at time t arrives by t + deltaMs; a
 * message sent before GST arrives by GST + deltaMs at the latest (the
 * partial-synchrony model of Dwork, Lynch and Stockmeyer).
 *
 * With Twins, messages sent before GST are also partitioned by ROUND: for each
 * round up to GST the schedule holds one split of the instances, each twin of
 * a pair on a different side (Bano et al., "Twins: BFT Systems Made Robust").
 */
import type { Prng } from './prng.js';

/** A split of instances into groups; instances talk only within their group. */
export type Partition = readonly (readonly number[])[];

export interface TimedPartition {
  readonly from: number;
  readonly to: number;
  /** group[i] = the group of instance i. */
  readonly group: readonly number[];
}

export interface NetworkSchedule {
  /** Virtual ms at which the last partition heals. */
  readonly gstAt: number;
  /** Bound on delays after GST. */
  readonly deltaMs: number;
  readonly dropRate: number;
  readonly maxDelayMs: number;
  /** Probability of a long delay (up to `longDelayMs`) before GST. */
  readonly longDelayRate: number;
  readonly longDelayMs: number;
  readonly partitions: readonly TimedPartition[];
  /** Twins: the group of each instance per round (index = round), for messages sent before GST. */
  readonly roundGroups: ReadonlyMap<number, readonly number[]>;
}

export interface ScheduleParams {
  readonly instances: number;
  /** GST is drawn in [gstMs / 2, gstMs]. */
  readonly gstMs: number;
  readonly deltaMs: number;
  /** Twin pairs (instance indices); when non-empty, round partitions are drawn for rounds 1..twinRounds. */
  readonly twinPairs: readonly (readonly [number, number])[];
  readonly twinRounds: number;
  readonly maxDropRate: number;
  readonly partitions: boolean;
}

/** Draws a random split of `n` instances into 2 or 3 non-empty groups. */
function randomGroups(prng: Prng, n: number): number[] {
  const k = prng.chance(0.75) ? 2 : 3;
  for (;;) {
    const g = Array.from({ length: n }, () => prng.int(k));
    if (new Set(g).size === k) return g;
  }
}

/**
 * Every 2-way split of `n` instances that puts the twins of each pair on
 * different sides, listed once (mirror images removed). This is the Twins
 * enumeration of partitions for one round; the schedule draws one per round.
 */
export function twinsSplits(n: number, twinPairs: readonly (readonly [number, number])[]): number[][] {
  const out: number[][] = [];
  const first = twinPairs[0]?.[0] ?? 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    const g = Array.from({ length: n }, (_, i) => (mask >> i) & 1);
    if (g[first] !== 0) continue; // canonical: the first twin on side 0
    if (twinPairs.every(([a, b]) => g[a] !== g[b])) out.push(g);
  }
  return out;
}

export function drawSchedule(prng: Prng, p: ScheduleParams): NetworkSchedule {
  const gstAt = Math.round(p.gstMs / 2 + prng.float() * (p.gstMs / 2));
  const partitions: TimedPartition[] = [];
  // 0..3 partitions before GST; the last one (if any) heals exactly at GST.
  const count = p.partitions ? prng.int(4) : 0;
  const cuts = Array.from({ length: count * 2 - 1 }, () => Math.round(prng.float() * gstAt)).sort(
    (a, b) => a - b,
  );
  for (let i = 0; i < count; i++) {
    const from = cuts[2 * i]!;
    const to = i === count - 1 ? gstAt : cuts[2 * i + 1]!;
    if (to > from) partitions.push({ from, to, group: randomGroups(prng, p.instances) });
  }
  const roundGroups = new Map<number, number[]>();
  if (p.twinPairs.length > 0) {
    const splits = twinsSplits(p.instances, p.twinPairs);
    // A split holds for a run of 1..4 rounds, or (one run in four) for 32: a
    // fork needs both sides to keep a quorum for the consecutive rounds of
    // a 2-chain, and certificates from other rounds leak across splits.
    for (let r = 1; r <= p.twinRounds;) {
      const split = prng.pick(splits);
      for (let k = prng.chance(0.25) ? 32 : 1 + prng.int(4); k > 0 && r <= p.twinRounds; k--, r++)
        roundGroups.set(r, split);
    }
  }
  return {
    gstAt,
    deltaMs: p.deltaMs,
    dropRate: prng.float() * p.maxDropRate,
    maxDelayMs: prng.range(p.deltaMs, 10 * p.deltaMs),
    longDelayRate: prng.float() * 0.05,
    longDelayMs: 50 * p.deltaMs,
    partitions,
    roundGroups,
  };
}

/**
 * When (virtual ms) a message sent at `now` from instance `from` to `to`
 * arrives, or null when it is lost. `round` is the consensus round the
 * message belongs to (for Twins), or null.
 */
export function deliveryTime(
  s: NetworkSchedule,
  prng: Prng,
  now: number,
  from: number,
  to: number,
  round: number | null,
): number | null {
  if (now >= s.gstAt) return now + 1 + prng.int(s.deltaMs);
  if (prng.chance(s.dropRate)) return null;
  for (const part of s.partitions) {
    if (now >= part.from && now < part.to && part.group[from] !== part.group[to]) return null;
  }
  if (round !== null) {
    const g = s.roundGroups.get(round);
    if (g !== undefined && g[from] !== g[to]) return null;
  }
  const delay = prng.chance(s.longDelayRate) ? 1 + prng.int(s.longDelayMs) : 1 + prng.int(s.maxDelayMs);
  // Partial synchrony: whatever is sent before GST arrives by GST + delta.
  return Math.min(now + delay, s.gstAt + s.deltaMs);
}
