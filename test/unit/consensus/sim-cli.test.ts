/** `hotshard sim`: options, the JSON line, exit codes, usage errors, parallel sweeps giving the same totals. */
import t from 'tap';
import command, { exitCode } from '../../../cmd/sim.js';
import { UsageError } from '../../../cmd/command.js';
import { runSweep } from '../../../consensus/sim/sweep.js';

/** Runs the command, returning its exit code and what it printed. */
async function run(argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void out.push(args.join(' '));
  try {
    return { code: await command.run(argv), out };
  } finally {
    console.log = log;
  }
}

t.test('--json prints the totals as the last line; a clean run exits 0', async (t) => {
  const { code, out } = await run(['--scenarios', '3', '--seed', '2', '--workers', '1', '--json']);
  t.equal(code, 0);
  const last = JSON.parse(out[out.length - 1]!);
  t.same(Object.keys(last).slice(0, 6), [
    'scenarios',
    'committedBlocks',
    'safetyViolations',
    'livenessFailures',
    'maxGapRounds',
    'scenariosPerSecond',
  ]);
  t.equal(last.scenarios, 3);
  t.equal(last.safetyViolations, 0);
  t.equal(last.livenessFailures, 0);
  t.ok(last.committedBlocks > 0);
});

t.test('the human summary names the run and its figures', async (t) => {
  const { code, out } = await run([
    '--scenarios',
    '2',
    '--validators',
    '5',
    '--behaviour',
    'silent',
    '--workers',
    '1',
  ]);
  t.equal(code, 0);
  t.match(out[0], /2 scenarios, 5 validators \(1 faulty, silent\)/);
  t.ok(out.some((l) => /safety violations\s+0/.test(l)));
  t.ok(out.some((l) => /scenarios\/s/.test(l)));
});

t.test(
  'a mutation run exits 0 when the checker catches it, 1 when a run that expects violations finds none',
  async (t) => {
    const caught = await run([
      '--scenarios',
      '1',
      '--behaviour',
      'twins',
      '--mutation',
      'commitOnOneChain',
      '--workers',
      '1',
      '--json',
    ]);
    t.equal(caught.code, 0);
    t.ok(JSON.parse(caught.out[caught.out.length - 1]!).safetyViolations > 0);
    // Crash faults beyond the tolerance cannot break safety: nothing to catch.
    const none = await run([
      '--scenarios',
      '1',
      '--faulty',
      '2',
      '--behaviour',
      'crash',
      '--allow-unsafe-faults',
      '--workers',
      '1',
      '--json',
    ]);
    t.equal(none.code, 1);
    const clean = {
      expectedViolations: false,
      safetyViolations: 0,
      livenessFailures: 0,
      scenariosWithoutCommits: 0,
      engineErrors: 0,
      honestRejected: 0,
      decodeErrors: 0,
    };
    t.equal(exitCode(clean as never), 0);
    t.equal(exitCode({ ...clean, livenessFailures: 1 } as never), 1);
    t.equal(exitCode({ ...clean, decodeErrors: 1 } as never), 1);
    const expecting = { ...clean, expectedViolations: true };
    t.equal(exitCode(expecting as never), 1, 'a run expecting a bug that finds nothing fails');
    t.equal(exitCode({ ...expecting, safetyViolations: 1 } as never), 0);
    t.equal(
      exitCode({ ...expecting, engineErrors: 1 } as never),
      0,
      'an honest equivocation counts as caught',
    );
  },
);

t.test('bad options are usage errors that say what to fix', async (t) => {
  await t.rejects(run(['--validators', 'four']), UsageError);
  await t.rejects(run(['--behaviour', 'nasty']), /--behaviour takes crash, silent/);
  await t.rejects(run(['--faulty', '2']), /at most 1 faulty, or pass --allow-unsafe-faults/);
  await t.rejects(run(['--mutation', 'noSuchBug']), /known: dropTcHighQcClause/);
  await t.rejects(run(['--trace']), /give it --scenario-seed/);
  await t.rejects(run(['--frobnicate']), UsageError);
  t.match(command.help, /--scenario-seed X/);
});

t.test('--trace replays one scenario with its event log', async (t) => {
  const first: number[] = [];
  await runSweep({ scenarios: 1, seed: 4 }, { onScenario: (s) => first.push(s.seed) });
  const { code, out } = await run(['--scenario-seed', String(first[0]), '--trace', '--workers', '1']);
  t.equal(code, 0);
  t.ok(out.some((l) => / GST at round /.test(l)));
  t.ok(out.some((l) => / committed h1:/.test(l)));
});

t.test('worker threads give the same totals as one thread', async (t) => {
  const one = await runSweep({ scenarios: 4, seed: 8, workers: 1 });
  const two = await runSweep({ scenarios: 4, seed: 8, workers: 2 });
  t.equal(two.scenarios, 4);
  t.equal(two.committedBlocks, one.committedBlocks);
  t.equal(two.messages, one.messages);
  t.equal(two.maxGapRounds, one.maxGapRounds);
});
