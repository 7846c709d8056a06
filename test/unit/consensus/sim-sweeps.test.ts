/**
 * Seeded sweeps of the real engine in the simulator: for 4/1, 5/1, 6/1 and
 * 7/2 validators/faulty with equal stakes, and 7/2 with skewed stakes, each
 * fault behaviour commits blocks with no safety violation and no liveness
 * failure. Small counts here; the big sweeps run from the CLI
 * (docs/simulator.md).
 */
import t from 'tap';
import { runSweep } from '../../../consensus/sim/sweep.js';
import { BEHAVIOURS, type SimOptions } from '../../../consensus/sim/options.js';

const CONFIGS: readonly Partial<SimOptions>[] = [
  { validators: 4, faulty: 1 },
  { validators: 5, faulty: 1 },
  { validators: 6, faulty: 1 },
  { validators: 7, faulty: 2 },
  { validators: 7, faulty: 2, stakes: 'skewed' },
];

for (const config of CONFIGS) {
  for (const behaviour of BEHAVIOURS) {
    const name = `${config.validators}/${config.faulty} ${config.stakes ?? 'equal'} ${behaviour}`;
    t.test(name, async (t) => {
      const r = await runSweep({ ...config, behaviour, scenarios: 3, seed: 11 });
      t.equal(r.scenarios, 3);
      t.equal(r.safetyViolations, 0, `no safety violation ${JSON.stringify(r.failing)}`);
      t.equal(r.livenessFailures, 0, 'no liveness failure');
      t.equal(r.scenariosWithoutCommits, 0, 'every honest node committed in every scenario');
      t.ok(r.committedBlocks >= 3 * 5, `blocks committed (${r.committedBlocks})`);
      t.ok(
        r.maxGapRounds >= 0 && r.maxGapRounds <= r.boundRounds,
        `largest gap ${r.maxGapRounds} within ${r.boundRounds}`,
      );
      t.equal(r.engineErrors, 0, 'no engine errors at honest nodes');
      t.equal(r.honestRejected + r.decodeErrors, 0, 'no honest message rejected, none failed to decode');
    });
  }
}

t.test('a sweep replays exactly from its seed, and a scenario from its own seed', async (t) => {
  const a = await runSweep({ scenarios: 4, seed: 5 });
  const b = await runSweep({ scenarios: 4, seed: 5 });
  t.equal(a.committedBlocks, b.committedBlocks);
  t.equal(a.messages, b.messages);
  const c = await runSweep({ scenarios: 4, seed: 6 });
  t.not(c.messages, a.messages, 'another seed, other scenarios');
  const seeds: number[] = [];
  const heights: number[] = [];
  await runSweep(
    { scenarios: 2, seed: 5 },
    { onScenario: (s) => (seeds.push(s.seed), heights.push(s.committedHeight)) },
  );
  const one = await runSweep(
    { scenarioSeed: seeds[1]! },
    { onScenario: (s) => heights.push(s.committedHeight) },
  );
  t.equal(one.scenarios, 1);
  t.equal(heights[2], heights[1], '--scenario-seed replays scenario 1');
});

t.test('the real ed25519 scheme runs in the simulator too', async (t) => {
  const r = await runSweep({ scenarios: 2, seed: 3, scheme: 'ed25519' });
  t.equal(r.signer, 'ed25519');
  t.equal(r.safetyViolations, 0);
  t.equal(r.livenessFailures, 0);
  t.ok(r.committedBlocks > 0);
  const m = await runSweep({
    scenarios: 1,
    seed: 3,
    scheme: 'ed25519',
    behaviour: 'twins',
    mutations: { commitOnOneChain: true },
  });
  t.ok(m.safetyViolations > 0, 'and its checker catches a mutation there as well');
});
