/** The stake-weighted round robin schedule, alone. */
import t from 'tap';
import fc from 'fast-check';
import {
  StakeWeightedRoundRobin,
  scheduleWeights,
  smoothWeightedSchedule,
} from '../../../consensus/leader-election.js';
import type { CommitteeMember } from '../../../consensus/types.js';

const committee = (stakes: readonly bigint[]): CommitteeMember[] =>
  stakes.map((stake, i) => ({ publicKey: new Uint8Array(32).fill(i + 1), stake }));

t.test('equal stakes: plain round robin', async (t) => {
  const le = new StakeWeightedRoundRobin(committee([5n, 5n, 5n, 5n]));
  t.same(le.schedule, [0, 1, 2, 3]);
  t.same(
    [1, 2, 3, 4, 5].map((r) => le.leader(r)),
    [1, 2, 3, 0, 1],
  );
});

t.test('each member leads in proportion to its stake, evenly spread', async (t) => {
  const le = new StakeWeightedRoundRobin(committee([3n, 1n, 2n]));
  t.same(le.schedule, [0, 2, 0, 1, 2, 0], 'smooth weighted round robin (nginx order)');
  const counts = [0, 0, 0];
  for (let r = 0; r < 600; r++) counts[le.leader(r)]!++;
  t.same(counts, [300, 100, 200]);
});

t.test('deterministic and proportional for random stakes', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.bigInt({ min: 1n, max: 50n }), { minLength: 1, maxLength: 10 }), (stakes) => {
      const a = new StakeWeightedRoundRobin(committee(stakes));
      const b = new StakeWeightedRoundRobin(committee(stakes));
      if (JSON.stringify(a.schedule) !== JSON.stringify(b.schedule)) return false;
      const weights = scheduleWeights(stakes);
      const counts = stakes.map(() => 0);
      for (const i of a.schedule) counts[i]!++;
      // Smoothness: in every prefix of the schedule each member has led within 2 of its exact share.
      const total = weights.reduce((x, y) => x + y, 0);
      const seen = stakes.map(() => 0);
      for (let k = 0; k < a.schedule.length; k++) {
        seen[a.schedule[k]!]!++;
        for (let i = 0; i < stakes.length; i++)
          if (Math.abs(seen[i]! - ((k + 1) * weights[i]!) / total) >= 2) return false;
      }
      return counts.every((c, i) => c === weights[i]);
    }),
    { numRuns: 300, seed: 3 },
  );
  t.pass();
});

t.test('large stakes are reduced by their gcd, then scaled to a bounded period', async (t) => {
  const eth = 10n ** 18n;
  t.same(scheduleWeights([32n * eth, 64n * eth, 32n * eth]), [1, 2, 1]);
  const w = scheduleWeights([10n ** 30n + 1n, 10n ** 30n, 2n * 10n ** 30n], 1000);
  t.equal(
    w.reduce((a, b) => a + b, 0),
    1000,
    'the period is capped',
  );
  t.same(w, [250, 250, 500]);
  const tiny = scheduleWeights([10n ** 9n, 1n], 100);
  t.same(tiny, [100, 0], 'a negligible stake may get no turn');
  t.same(smoothWeightedSchedule([2, 0, 1]), [0, 2, 0]);
  const le = new StakeWeightedRoundRobin(committee([10n ** 30n + 1n, 10n ** 30n]), { maxPeriod: 64 });
  t.equal(le.schedule.length, 64);
});
