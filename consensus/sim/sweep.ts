/**
 * A sweep: many seeded scenarios with one set of options. Scenario i runs
 * with scenarioSeed(seed, i); a failing scenario's seed is reported so that
 * `--scenario-seed` replays exactly that scenario.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { SimError } from './errors.js';
import type { WorkerInput } from './sweep-worker.js';
import { resolveOptions, expectsViolations, type SimOptions } from './options.js';
import { scenarioSeed } from './prng.js';
import { runScenario, type ScenarioResult } from './scenario.js';

export interface FailingScenario {
  readonly seed: number;
  readonly kind: 'safety' | 'liveness';
  readonly detail: string;
}

export interface SweepResult {
  readonly scenarios: number;
  /** Sum over scenarios of the highest height an honest node committed. */
  readonly committedBlocks: number;
  /** Safety violations found (all scenarios). */
  readonly safetyViolations: number;
  /** Scenarios with at least one safety violation. */
  readonly unsafeScenarios: number;
  /** Scenarios with a liveness failure (no commit after GST, or a gap above the bound). */
  readonly livenessFailures: number;
  /** Largest gap in rounds without a commit after GST, over all scenarios. */
  readonly maxGapRounds: number;
  /** The liveness bound (leader-schedule period + 3) of the scenario with the largest gap. */
  readonly boundRounds: number;
  /** Scenarios in which some honest node committed nothing at all. */
  readonly scenariosWithoutCommits: number;
  readonly scenariosPerSecond: number;
  readonly elapsedMs: number;
  /** Violations by kind (fork, diverging-history, broken-chain, bad-certificate). */
  readonly violationKinds: Readonly<Record<string, number>>;
  /** Up to 10 failing scenarios with their seeds (replay with --scenario-seed). */
  readonly failing: readonly FailingScenario[];
  /** Engine errors and executor contract notes at honest nodes (expected 0). */
  readonly engineErrors: number;
  /** Messages of honest senders that an honest engine rejected as invalid (expected 0). */
  readonly honestRejected: number;
  /** Messages that failed to decode with the engine's codec (a wire bug; expected 0). */
  readonly decodeErrors: number;
  readonly messages: number;
  readonly expectedViolations: boolean;
  readonly seed: number;
  readonly validators: number;
  readonly faulty: number;
  readonly stakes: string;
  readonly behaviour: string;
  readonly signer: string;
  readonly mutations: readonly string[];
}

export interface SweepHooks {
  /** Called after each scenario (progress, logs). */
  readonly onScenario?: (r: ScenarioResult, index: number) => void;
}

/** Runs the scenarios, on this thread or on worker threads; results in scenario order (undefined: not run, after a stop). */
async function runAll(
  o: SimOptions,
  seeds: readonly number[],
  hooks: SweepHooks,
): Promise<(ScenarioResult | undefined)[]> {
  const results: (ScenarioResult | undefined)[] = new Array(seeds.length);
  const workers = Math.min(o.workers, seeds.length);
  if (workers <= 1) {
    for (const [i, seed] of seeds.entries()) {
      const r = await runScenario(o, seed);
      results[i] = r;
      hooks.onScenario?.(r, i);
      if (o.stopOnViolation && r.safetyViolations.length > 0) break;
    }
    return results;
  }
  // Round-robin split: neighbouring scenarios cost about the same.
  const url = new URL('./sweep-worker' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url);
  const threads = Array.from({ length: workers }, (_, w) => {
    const jobs = seeds.map((seed, index) => ({ index, seed })).filter((j) => j.index % workers === w);
    const input: WorkerInput = { options: { ...o, workers: 1 }, jobs };
    return new Worker(url, { workerData: input });
  });
  await Promise.all(
    threads.map(
      (t) =>
        new Promise<void>((resolve, reject) => {
          t.on('message', (m: { index?: number; result?: ScenarioResult; done?: boolean }) => {
            if (m.done === true) return;
            const r = m.result!;
            results[m.index!] = r;
            hooks.onScenario?.(r, m.index!);
            if (o.stopOnViolation && r.safetyViolations.length > 0)
              for (const other of threads) other.postMessage('stop');
          });
          t.on('error', reject);
          t.on('exit', (code) =>
            code === 0
              ? resolve()
              : reject(new SimError('WORKER_FAILED', `a sweep worker exited with code ${code}`)),
          );
        }),
    ),
  );
  return results;
}

export async function runSweep(partial: Partial<SimOptions>, hooks: SweepHooks = {}): Promise<SweepResult> {
  const o = resolveOptions(partial);
  const seeds =
    o.scenarioSeed !== undefined
      ? [o.scenarioSeed]
      : Array.from({ length: o.scenarios }, (_, i) => scenarioSeed(o.seed, i));
  const started = performance.now();
  let committedBlocks = 0;
  let safetyViolations = 0;
  let unsafeScenarios = 0;
  let livenessFailures = 0;
  let maxGapRounds = -1;
  let boundRounds = 0;
  let withoutCommits = 0;
  let engineErrors = 0;
  let honestRejected = 0;
  let decodeErrors = 0;
  let messages = 0;
  const kinds: Record<string, number> = {};
  const failing: FailingScenario[] = [];
  let ran = 0;
  const results = await runAll(o, seeds, hooks);
  for (const r of results) {
    if (r === undefined) continue;
    ran++;
    committedBlocks += r.committedHeight;
    messages += r.network.sent;
    engineErrors += r.engineErrors.length;
    honestRejected += r.network.honestRejected;
    decodeErrors += r.network.decodeErrors;
    if (r.minHonestHeight === 0) withoutCommits++;
    if (r.maxGapRounds > maxGapRounds) {
      maxGapRounds = r.maxGapRounds;
      boundRounds = r.boundRounds;
    }
    if (r.safetyViolations.length > 0) {
      unsafeScenarios++;
      safetyViolations += r.safetyViolations.length;
      for (const v of r.safetyViolations) kinds[v.kind] = (kinds[v.kind] ?? 0) + 1;
      if (failing.length < 10)
        failing.push({ seed: r.seed, kind: 'safety', detail: r.safetyViolations[0]!.detail });
    }
    if (r.livenessFailures.length > 0) {
      livenessFailures++;
      if (failing.length < 10 && !expectsViolations(o))
        failing.push({ seed: r.seed, kind: 'liveness', detail: r.livenessFailures[0]!.detail });
    }
  }
  const elapsedMs = performance.now() - started;
  return {
    scenarios: ran,
    committedBlocks,
    safetyViolations,
    unsafeScenarios,
    livenessFailures,
    maxGapRounds,
    boundRounds,
    scenariosWithoutCommits: withoutCommits,
    scenariosPerSecond: Math.round((ran / (elapsedMs / 1000)) * 10) / 10,
    elapsedMs: Math.round(elapsedMs),
    violationKinds: kinds,
    failing,
    engineErrors,
    honestRejected,
    decodeErrors,
    messages,
    expectedViolations: expectsViolations(o),
    seed: o.seed,
    validators: o.validators,
    faulty: o.faulty,
    stakes: Array.isArray(o.stakes) ? (o.stakes as readonly bigint[]).join(',') : String(o.stakes),
    behaviour: o.behaviour,
    signer: o.scheme,
    mutations: Object.entries(o.mutations)
      .filter(([, v]) => v === true)
      .map(([k]) => k),
  };
}
