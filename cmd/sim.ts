/**
 * `hotshard sim`: seeded sweeps of the consensus engine in the deterministic
 * simulator (consensus/sim/, docs/simulator.md).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from './command.js';
import { HotshardError } from '../core/errors.js';
import {
  BEHAVIOURS,
  DEFAULT_OPTIONS,
  DEFAULT_TIMING,
  MUTATIONS,
  expectsViolations,
  resolveOptions,
  type Behaviour,
  type MutationName,
  type SimOptions,
} from '../consensus/sim/options.js';
import { runScenario } from '../consensus/sim/scenario.js';
import { runSweep, type SweepResult } from '../consensus/sim/sweep.js';
import type { SchemeName } from '../consensus/sim/schemes.js';

const help = `Usage: hotshard sim [options]

Runs seeded scenarios of the consensus engine in a deterministic simulator
(virtual time, simulated network, crash-restarts, Byzantine faults) and
checks the committed chains of the honest nodes: no fork, no diverging
history, valid commit certificates (safety); a commit within one
leader-schedule period + 3 rounds after GST (liveness).

Committee and faults:
  --validators N           committee size (default ${DEFAULT_OPTIONS.validators})
  --faulty K               faulty validators (default ${DEFAULT_OPTIONS.faulty}); their stake stays
                           below a third unless --allow-unsafe-faults
  --stakes MODE            equal | skewed (drawn per scenario) | a list such as
                           10,10,10,1,1,1,1 (default equal)
  --faulty-indices LIST    fixed faulty validators, e.g. 3,4,5,6 (default: drawn)
  --behaviour B            ${BEHAVIOURS.join(' | ')} (default ${DEFAULT_OPTIONS.behaviour})
  --allow-unsafe-faults    allow a third or more of faulty stake: the run then
                           expects the checker to find violations
  --honest-crash-rate P    share of scenarios that crash and restart honest
                           nodes before GST (default ${DEFAULT_OPTIONS.honestCrashRate})
  --honest-crashes N       at most N honest crash-restarts in such a scenario
                           (default ${DEFAULT_OPTIONS.honestCrashes})

Sweep:
  --scenarios N            scenarios to run (default ${DEFAULT_OPTIONS.scenarios})
  --seed S                 sweep seed (default ${DEFAULT_OPTIONS.seed}); scenario i has its own seed
  --scenario-seed X        replay exactly one scenario (seeds are printed for
                           failing scenarios)
  --signer test|ed25519    test: a fast keyed-hash TEST scheme (simulator only);
                           ed25519: the real scheme (default test)
  --workers N              worker threads (default: up to 4 cores; results do
                           not depend on it)
  --stop-on-violation      stop at the first scenario with a safety violation

Network and timing (virtual milliseconds):
  --rounds R               horizon: every honest node reaches round R and
                           commits twice after GST (default ${DEFAULT_OPTIONS.rounds})
  --gst MS                 GST is drawn in [MS/2, MS] (default ${DEFAULT_OPTIONS.gstMs})
  --delta MS               delay bound after GST (default ${DEFAULT_OPTIONS.deltaMs})
  --drop-rate P            before GST, drop rate drawn in [0, P) (default ${DEFAULT_OPTIONS.maxDropRate})
  --no-partitions          no network partitions before GST
  --base-timeout MS        round timeout (default ${DEFAULT_TIMING.baseTimeoutMs})
  --max-timeout MS         cap of the backed-off round timeout (default ${DEFAULT_TIMING.maxTimeoutMs})

Mutation tests:
  --mutation NAME          switch on a deliberate engine bug (repeatable):
                           ${MUTATIONS.join(', ')};
                           the run then expects the checker to catch it

Output:
  --json                   the last line is one JSON object with the totals
  --trace                  with --scenario-seed: print the scenario's event log
  --verbose                one line per scenario
  -h, --help               this help

Exit code: 0 when every scenario committed blocks with no safety violation,
no liveness failure and no engine or wire error; 1 otherwise. A run that expects violations
(--mutation, --allow-unsafe-faults) exits 0 when the checker found at least
one safety violation or engine error (skipProposalReservation breaks no
commit: it shows as equivocation by an honest validator), 1 when it found
none. Bad options exit 2.

Examples:
  hotshard sim --scenarios 1000 --seed 1 --json
  hotshard sim --validators 7 --faulty 2 --stakes skewed --behaviour twins
  hotshard sim --behaviour equivocate --mutation dropTcHighQcClause --delta 5 --gst 6000
  hotshard sim --scenario-seed 3591103391 --behaviour equivocate --trace`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        validators: { type: 'string' },
        faulty: { type: 'string' },
        stakes: { type: 'string' },
        'faulty-indices': { type: 'string' },
        behaviour: { type: 'string' },
        behavior: { type: 'string' },
        'allow-unsafe-faults': { type: 'boolean', default: false },
        'honest-crash-rate': { type: 'string' },
        'honest-crashes': { type: 'string' },
        scenarios: { type: 'string' },
        seed: { type: 'string' },
        'scenario-seed': { type: 'string' },
        signer: { type: 'string' },
        workers: { type: 'string' },
        'stop-on-violation': { type: 'boolean', default: false },
        rounds: { type: 'string' },
        gst: { type: 'string' },
        delta: { type: 'string' },
        'drop-rate': { type: 'string' },
        'no-partitions': { type: 'boolean', default: false },
        'base-timeout': { type: 'string' },
        'max-timeout': { type: 'string' },
        mutation: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        trace: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see hotshard sim --help)`);
  }
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} takes a non-negative integer, got "${value}"`);
  return Number(value);
}

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${name} takes a number, got "${value}"`);
  return n;
}

function list(value: string | undefined, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((x) => {
    const n = int(x.trim(), name);
    if (n === undefined) throw new UsageError(`--${name} takes a comma-separated list of integers`);
    return n;
  });
}

/** Parses the command line into simulator options (throws UsageError saying what to fix). */
export function optionsFromArgs(
  values: ReturnType<typeof parse>['values'],
): Partial<SimOptions> & { readonly json: boolean } {
  const o: { -readonly [K in keyof SimOptions]?: SimOptions[K] } = {};
  const set = <K extends keyof SimOptions>(k: K, v: SimOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('validators', int(values.validators, 'validators'));
  set('faulty', int(values.faulty, 'faulty'));
  if (values.stakes !== undefined) {
    if (values.stakes === 'equal' || values.stakes === 'skewed') o.stakes = values.stakes;
    else if (/^\d+(,\d+)*$/.test(values.stakes)) o.stakes = values.stakes.split(',').map((x) => BigInt(x));
    else
      throw new UsageError(
        `--stakes takes equal, skewed or a comma-separated list of positive integers, got "${values.stakes}"`,
      );
  }
  const fi = list(values['faulty-indices'], 'faulty-indices');
  if (fi !== undefined) {
    o.faultyIndices = fi;
    if (values.faulty === undefined) o.faulty = fi.length;
  }
  const behaviour = values.behaviour ?? values.behavior;
  if (behaviour !== undefined) {
    if (!BEHAVIOURS.includes(behaviour as Behaviour))
      throw new UsageError(`--behaviour takes ${BEHAVIOURS.join(', ')}; got "${behaviour}"`);
    o.behaviour = behaviour as Behaviour;
  }
  o.allowUnsafeFaults = values['allow-unsafe-faults'];
  set('honestCrashRate', num(values['honest-crash-rate'], 'honest-crash-rate'));
  set('honestCrashes', int(values['honest-crashes'], 'honest-crashes'));
  set('scenarios', int(values.scenarios, 'scenarios'));
  set('seed', int(values.seed, 'seed'));
  set('scenarioSeed', int(values['scenario-seed'], 'scenario-seed'));
  if (values.signer !== undefined) {
    if (values.signer !== 'test' && values.signer !== 'ed25519')
      throw new UsageError(`--signer takes test or ed25519, got "${values.signer}"`);
    o.scheme = values.signer as SchemeName;
  }
  set('workers', int(values.workers, 'workers') ?? Math.max(1, Math.min(4, availableParallelism())));
  o.stopOnViolation = values['stop-on-violation'];
  set('rounds', int(values.rounds, 'rounds'));
  set('gstMs', int(values.gst, 'gst'));
  set('deltaMs', int(values.delta, 'delta'));
  set('maxDropRate', num(values['drop-rate'], 'drop-rate'));
  if (values['no-partitions']) o.partitions = false;
  const base = int(values['base-timeout'], 'base-timeout');
  const max = int(values['max-timeout'], 'max-timeout');
  if (base !== undefined || max !== undefined) {
    o.timing = {
      ...DEFAULT_TIMING,
      ...(base !== undefined ? { baseTimeoutMs: base } : {}),
      ...(max !== undefined ? { maxTimeoutMs: max } : {}),
    };
  }
  const mutations: Record<string, boolean> = {};
  for (const m of values.mutation ?? []) {
    if (!MUTATIONS.includes(m as MutationName))
      throw new UsageError(`unknown --mutation "${m}"; known: ${MUTATIONS.join(', ')}`);
    mutations[m] = true;
  }
  o.mutations = mutations;
  if (values.trace && o.scenarioSeed === undefined)
    throw new UsageError('--trace prints one scenario: give it --scenario-seed X');
  o.trace = values.trace;
  return { ...o, json: values.json };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function summary(r: SweepResult): string[] {
  const lines = [
    `hotshard sim: ${r.scenarios} scenarios, ${r.validators} validators (${r.faulty} faulty, ${r.behaviour}), ${r.stakes} stakes, ` +
      `${r.signer} signer, seed ${r.seed}${r.mutations.length > 0 ? `, mutations ${r.mutations.join(', ')}` : ''}`,
    `  committed blocks    ${fmt(r.committedBlocks)}${r.scenariosWithoutCommits === 0 ? ' (blocks committed in every scenario)' : ` (${r.scenariosWithoutCommits} scenarios where an honest node committed nothing)`}`,
    `  safety violations   ${r.safetyViolations}${
      r.safetyViolations > 0
        ? ` in ${r.unsafeScenarios} scenarios: ${Object.entries(r.violationKinds)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}`
        : ''
    }`,
    `  liveness failures   ${r.livenessFailures} (largest gap after GST: ${r.maxGapRounds} rounds; bound ${r.boundRounds} = leader-schedule period + 3)`,
    `  speed               ${r.scenariosPerSecond} scenarios/s (${(r.elapsedMs / 1000).toFixed(1)} s, ${fmt(r.messages)} messages)`,
  ];
  if (r.engineErrors > 0)
    lines.push(
      `  engine errors       ${r.engineErrors} at honest nodes (engine 'error' events, executor contract breaches, equivocation by an honest validator)`,
    );
  if (r.honestRejected > 0)
    lines.push(
      `  rejected            ${r.honestRejected} messages of honest nodes rejected by honest engines`,
    );
  if (r.decodeErrors > 0)
    lines.push(`  decode errors       ${r.decodeErrors} messages failed to decode (a wire bug)`);
  for (const f of r.failing) lines.push(`  ${f.kind} failure in scenario seed ${f.seed}: ${f.detail}`);
  if (r.failing.length > 0)
    lines.push(
      `  replay one with: hotshard sim <same options> --scenario-seed ${r.failing[0]!.seed} --trace`,
    );
  return lines;
}

/** A run that expects a bug found a sign of it: a safety violation, or an engine error (an honest validator equivocated). */
function caughtExpected(r: SweepResult): boolean {
  return r.safetyViolations > 0 || r.engineErrors > 0;
}

/** Exit code: violations are failures unless the run expected them, then finding none is the failure. */
export function exitCode(r: SweepResult): number {
  if (r.expectedViolations) return caughtExpected(r) ? 0 : 1;
  const clean = r.safetyViolations === 0 && r.livenessFailures === 0 && r.scenariosWithoutCommits === 0;
  return clean && r.engineErrors === 0 && r.honestRejected === 0 && r.decodeErrors === 0 ? 0 : 1;
}

const command: Command = {
  name: 'sim',
  summary: 'Run seeded consensus scenarios in the deterministic simulator (safety and liveness)',
  help,
  async run(argv: string[]): Promise<number> {
    const { values } = parse(argv);
    const { json, ...partial } = optionsFromArgs(values);
    let options: SimOptions;
    try {
      options = resolveOptions(partial);
    } catch (err) {
      if (err instanceof HotshardError)
        throw new UsageError(`${err.message.replace(/^[A-Z_]+: /, '')} (see hotshard sim --help)`);
      throw err;
    }
    if (options.trace && options.scenarioSeed !== undefined) {
      const r = await runScenario(options, options.scenarioSeed);
      for (const line of r.trace) console.log(line);
    }
    const result = await runSweep(options, {
      onScenario: values.verbose
        ? (s, i) =>
            console.log(
              `scenario ${i} seed ${s.seed}: height ${s.committedHeight}, GST ${s.gstAt} ms at round ${s.gstRound}, ` +
                `max gap ${s.maxGapRounds}, violations ${s.safetyViolations.length}, liveness failures ${s.livenessFailures.length}, faults ${JSON.stringify(s.faults)}`,
            )
        : undefined,
    });
    if (!json || values.verbose) for (const l of summary(result)) console.log(l);
    if (json) {
      const {
        scenarios,
        committedBlocks,
        safetyViolations,
        livenessFailures,
        maxGapRounds,
        scenariosPerSecond,
        ...rest
      } = result;
      console.log(
        JSON.stringify({
          scenarios,
          committedBlocks,
          safetyViolations,
          livenessFailures,
          maxGapRounds,
          scenariosPerSecond,
          ...rest,
          workers: options.workers,
        }),
      );
    }
    if (!json && result.expectedViolations) {
      console.log(
        caughtExpected(result)
          ? '  (violations expected: the checker caught them)'
          : '  the run expected violations and the checker found none',
      );
    }
    return exitCode(result);
  },
};

export default command;
