/**
 * Stakes and the choice of faulty validators for one scenario.
 *
 * `equal`: every validator has stake 1. `skewed`: drawn per scenario, either
 * powers of two (1, 2, 4, ... in a random order) or random weights 1..100.
 * The faulty set is drawn at random; unless the run allows unsafe faults,
 * the faulty stake stays below a third of the total (3 * faulty < total): if
 * a draw gives more, the honest stakes are scaled up until it holds, which
 * keeps the skew among the honest. Given stakes are never changed: the
 * faulty set is drawn again instead.
 */
import type { Prng } from './prng.js';

export type StakeMode = 'equal' | 'skewed';
export const STAKE_MODES: readonly StakeMode[] = ['equal', 'skewed'];

export interface StakeDraw {
  readonly stakes: bigint[];
  readonly faulty: number[];
}

export function drawStakes(
  prng: Prng,
  validators: number,
  faultyCount: number,
  mode: StakeMode | readonly bigint[],
  allowUnsafe: boolean,
  fixedFaulty?: readonly number[],
): StakeDraw {
  let stakes: bigint[];
  if (Array.isArray(mode)) stakes = [...(mode as readonly bigint[])];
  else if (mode === 'equal') stakes = Array.from({ length: validators }, () => 1n);
  else if (prng.chance(0.5))
    stakes = prng.shuffle(Array.from({ length: validators }, (_, i) => 1n << BigInt(i)));
  else stakes = Array.from({ length: validators }, () => BigInt(1 + prng.int(100)));

  const draw = (): number[] => prng.shuffle([...Array(validators).keys()]).slice(0, faultyCount);
  let faulty = fixedFaulty !== undefined ? [...fixedFaulty] : draw();
  if (Array.isArray(mode) && fixedFaulty === undefined && !allowUnsafe) {
    // Given stakes stay as they are: draw again until the faulty stake is
    // below a third, else take the lightest validators (options checked it is then).
    for (let tries = 0; tries < 64 && !belowThird(stakes, faulty); tries++) faulty = draw();
    if (!belowThird(stakes, faulty)) faulty = lightest(stakes, faultyCount);
  }
  faulty.sort((a, b) => a - b);
  if (!allowUnsafe && !Array.isArray(mode)) {
    const isFaulty = new Set(faulty);
    for (let guard = 0; guard < 64; guard++) {
      const total = stakes.reduce((a, b) => a + b, 0n);
      const bad = faulty.reduce((a, i) => a + stakes[i]!, 0n);
      if (3n * bad < total) break;
      stakes = stakes.map((s, i) => (isFaulty.has(i) ? s : s * 2n));
    }
  }
  return { stakes, faulty };
}

/** True when `faulty` hold less than a third of the stake. */
export function belowThird(stakes: readonly bigint[], faulty: readonly number[]): boolean {
  const share = faultyStakeShare(stakes, faulty);
  return 3n * share.faulty < share.total;
}

/** The indices of the `count` lightest validators. */
export function lightest(stakes: readonly bigint[], count: number): number[] {
  return [...stakes.keys()]
    .sort((a, b) => (stakes[a]! < stakes[b]! ? -1 : stakes[a]! > stakes[b]! ? 1 : a - b))
    .slice(0, count);
}

export function faultyStakeShare(
  stakes: readonly bigint[],
  faulty: readonly number[],
): { faulty: bigint; total: bigint } {
  return { faulty: faulty.reduce((a, i) => a + stakes[i]!, 0n), total: stakes.reduce((a, b) => a + b, 0n) };
}
