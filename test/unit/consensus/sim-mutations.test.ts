/**
 * The checker can fail. Each deliberate engine bug (ConsensusMutations) is
 * caught by a seeded sweep as a safety violation, and so is a committee with
 * more faulty stake than BFT tolerates; each control run (the same seeds
 * and settings with the bug switched off, or within the tolerance) finds
 * nothing, so the catch is the bug's doing.
 */
import t from 'tap';
import { runSweep } from '../../../consensus/sim/sweep.js';
import type { SimOptions } from '../../../consensus/sim/options.js';

interface Case {
  readonly name: string;
  readonly settings: Partial<SimOptions>;
  /** The broken run (a mutation, or unsafe faults). */
  readonly broken: Partial<SimOptions>;
  readonly kinds: readonly string[];
}

/** Honest crash-restarts (half armed after a vote or in the middle of a proposal broadcast); short rounds. */
const ARMED_CRASHES: Partial<SimOptions> = {
  honestCrashRate: 1,
  honestCrashes: 4,
  deltaMs: 5,
  gstMs: 10000,
  timing: {
    baseTimeoutMs: 100,
    backoff: 1.5,
    maxTimeoutMs: 300,
    minProposalIntervalMs: 5,
    maxClockSkewMs: 100,
    fetchTimeoutMs: 60,
  },
  maxDropRate: 0.05,
  partitions: false,
  scenarios: 24,
  seed: 1,
};

const CASES: readonly Case[] = [
  {
    // A faulty leader withholds its proposal from all but one victim (who
    // commits through its QC), and proposes on the QC below once the others
    // form a TC: only the TC's high-QC clause refuses that proposal.
    name: 'dropTcHighQcClause (equivocating leader, withheld QC)',
    settings: {
      behaviour: 'equivocate',
      deltaMs: 5,
      gstMs: 6000,
      honestCrashRate: 0,
      scenarios: 12,
      seed: 1,
    },
    broken: { mutations: { dropTcHighQcClause: true } },
    kinds: ['fork'],
  },
  {
    // An honest node crashes right after its vote left and, restarted
    // without its unpersisted vote, votes again: the faulty next leader
    // certifies both blocks and forks them.
    name: 'skipPersistBeforeVote (crash-restart after a vote, equivocating next leader)',
    settings: { behaviour: 'equivocate', ...ARMED_CRASHES },
    broken: { mutations: { skipPersistBeforeVote: true } },
    kinds: ['fork'],
  },
  {
    // Four light faulty validators (4 of 34 stake, 4 of 7 heads) as Twins:
    // counted by heads, a side with one honest node has a "quorum".
    name: 'quorumByHeads (skewed stakes, light faulty Twins)',
    settings: {
      validators: 7,
      faulty: 4,
      stakes: [10n, 10n, 10n, 1n, 1n, 1n, 1n],
      faultyIndices: [3, 4, 5, 6],
      behaviour: 'twins',
      scenarios: 4,
      seed: 1,
    },
    broken: { mutations: { quorumByHeads: true } },
    kinds: ['bad-certificate', 'fork'],
  },
  {
    name: 'commitOnOneChain (Twins)',
    settings: { behaviour: 'twins', scenarios: 4, seed: 1 },
    broken: { mutations: { commitOnOneChain: true } },
    kinds: ['bad-certificate', 'fork'],
  },
  {
    // Two Twins pairs in a committee of four: half of the stake is faulty.
    name: 'more faulty stake than tolerated (4 validators, 2 Twins)',
    settings: { behaviour: 'twins', validators: 4, faulty: 1, scenarios: 24, seed: 1 },
    broken: { faulty: 2, allowUnsafeFaults: true },
    kinds: ['fork'],
  },
];

// A leader's proposal leaves before its own vote is saved: only the saved
// reservation of the round keeps a leader restarted after a crash in the
// middle of that broadcast from proposing again in the round. A second
// proposal by an honest leader is not a fork (honest nodes vote once per
// round), but it is equivocation evidence against an honest validator, which
// the scenario reports as a bug signal.
t.test('skipProposalReservation (crash mid-proposal): evidence against an honest leader', async (t) => {
  const settings: Partial<SimOptions> = { behaviour: 'crash', faulty: 0, ...ARMED_CRASHES };
  const broken = await runSweep({ ...settings, mutations: { skipProposalReservation: true } });
  t.ok(broken.engineErrors > 0, `${broken.engineErrors} reports of equivocation by an honest leader`);
  const control = await runSweep(settings);
  t.equal(control.engineErrors, 0, `control: none in the same ${control.scenarios} scenarios`);
  t.equal(
    control.safetyViolations + control.livenessFailures,
    0,
    'control: no violation or liveness failure',
  );
});

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const broken = await runSweep({ ...c.settings, ...c.broken, stopOnViolation: true });
    t.ok(broken.expectedViolations);
    t.ok(
      broken.safetyViolations > 0,
      `caught within ${broken.scenarios} of ${c.settings.scenarios} scenarios: ${JSON.stringify(broken.violationKinds)}`,
    );
    t.ok(
      Object.keys(broken.violationKinds).some((k) => c.kinds.includes(k)),
      `as ${Object.keys(broken.violationKinds).join(', ')}`,
    );
    t.ok(
      broken.failing.length > 0 && broken.failing[0]!.kind === 'safety',
      `seed reported for replay: ${broken.failing[0]?.seed}`,
    );
    // The control: the same scenarios, without the bug (or within the tolerance).
    const control = await runSweep(c.settings);
    t.equal(control.safetyViolations, 0, `control: no violation in the same ${control.scenarios} scenarios`);
    t.equal(control.livenessFailures, 0, 'control: no liveness failure');
  });
}
