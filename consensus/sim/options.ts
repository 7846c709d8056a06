/**
 * Options of a simulator run, their defaults and their validation. One
 * options object drives `runScenario` and `runSweep`; the CLI parses into it.
 */
import type { ConsensusMutations } from '../types.js';
import { SimError } from './errors.js';
import type { SchemeName } from './schemes.js';
import { belowThird, lightest, type StakeMode } from './stakes.js';

export type Behaviour = 'crash' | 'silent' | 'equivocate' | 'double-vote' | 'twins' | 'mixed';
export const BEHAVIOURS: readonly Behaviour[] = [
  'crash',
  'silent',
  'equivocate',
  'double-vote',
  'twins',
  'mixed',
];
/** The behaviours `mixed` draws from, per faulty validator. */
export const MIXED_BEHAVIOURS: readonly Exclude<Behaviour, 'mixed'>[] = [
  'crash',
  'silent',
  'equivocate',
  'double-vote',
  'twins',
];

export type MutationName = keyof ConsensusMutations;
export const MUTATIONS: readonly MutationName[] = [
  'dropTcHighQcClause',
  'skipPersistBeforeVote',
  'quorumByHeads',
  'commitOnOneChain',
  'skipProposalReservation',
];

/** Simulated round timing (virtual milliseconds): short, so a scenario is quick to run. */
export interface SimTiming {
  readonly baseTimeoutMs: number;
  readonly backoff: number;
  readonly maxTimeoutMs: number;
  readonly minProposalIntervalMs: number;
  readonly maxClockSkewMs: number;
  readonly fetchTimeoutMs: number;
}

export interface SimOptions {
  readonly validators: number;
  readonly faulty: number;
  /** 'equal', 'skewed' (drawn per scenario), or explicit stakes (one per validator). */
  readonly stakes: StakeMode | readonly bigint[];
  readonly behaviour: Behaviour;
  readonly scheme: SchemeName;
  /** Scenarios of a sweep. */
  readonly scenarios: number;
  /** Sweep seed; scenario i runs with scenarioSeed(seed, i). */
  readonly seed: number;
  /** When set, run exactly this one scenario seed (replay). */
  readonly scenarioSeed?: number;
  /**
   * Horizon: a scenario ends once every honest node committed twice after GST
   * and the highest honest round reached this round and GST's round plus the
   * liveness window (the bound, at most 2n + 3 rounds).
   */
  readonly rounds: number;
  /** GST is drawn in [gstMs / 2, gstMs] of virtual time. */
  readonly gstMs: number;
  /** Message delay bound after GST (virtual ms). */
  readonly deltaMs: number;
  /** Before GST each scenario drops messages with a probability drawn in [0, maxDropRate). */
  readonly maxDropRate: number;
  /** Whether scenarios have network partitions before GST. */
  readonly partitions: boolean;
  /**
   * A node drops a copy of a proposal it already accepted, as gossipsub's
   * seen cache does with node/'s content-addressed message ids (votes and
   * timeouts are direct messages in node/: every copy arrives).
   */
  readonly dedupe: boolean;
  readonly timing: SimTiming;
  /** Switched on in every engine (honest ones too): the checker must catch them. */
  readonly mutations: ConsensusMutations;
  /** Allow faulty stake of a third or more (the checker is then expected to find violations). */
  readonly allowUnsafeFaults: boolean;
  /** Probability that a scenario crashes and restarts honest nodes before GST (they keep only durable data). */
  readonly honestCrashRate: number;
  /** Most honest crash-restarts in such a scenario (1..this many). */
  readonly honestCrashes: number;
  /** Fixed faulty validator indices (otherwise drawn per scenario). */
  readonly faultyIndices?: readonly number[];
  /** Stop a sweep at the first scenario with a safety violation. */
  readonly stopOnViolation: boolean;
  /** Keep an event log per scenario (for replaying one scenario). */
  readonly trace: boolean;
  /** Worker threads that run the scenarios of a sweep (1: all on this thread). Results do not depend on it. */
  readonly workers: number;
}

export const DEFAULT_TIMING: SimTiming = {
  baseTimeoutMs: 100,
  backoff: 1.5,
  maxTimeoutMs: 800,
  minProposalIntervalMs: 5,
  maxClockSkewMs: 100,
  fetchTimeoutMs: 60,
};

export const DEFAULT_OPTIONS: SimOptions = {
  validators: 4,
  faulty: 1,
  stakes: 'equal',
  behaviour: 'mixed',
  scheme: 'test',
  scenarios: 100,
  seed: 1,
  rounds: 20,
  gstMs: 2500,
  deltaMs: 10,
  maxDropRate: 0.3,
  partitions: true,
  dedupe: true,
  timing: DEFAULT_TIMING,
  mutations: {},
  allowUnsafeFaults: false,
  honestCrashRate: 0.3,
  honestCrashes: 2,
  stopOnViolation: false,
  trace: false,
  workers: 1,
};

function bad(message: string): never {
  throw new SimError('BAD_OPTIONS', message);
}

function positiveInt(v: number, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(v) || v < min || v > max)
    bad(`${name} must be an integer in ${min}..${max}, got ${String(v)}`);
}

/** Fills defaults and checks every option; throws SimError BAD_OPTIONS saying what to fix. */
export function resolveOptions(partial: Partial<SimOptions>): SimOptions {
  const o: SimOptions = {
    ...DEFAULT_OPTIONS,
    ...partial,
    timing: { ...DEFAULT_TIMING, ...(partial.timing ?? {}) },
    mutations: { ...(partial.mutations ?? {}) },
  };
  positiveInt(o.validators, 'validators', 1, 64);
  positiveInt(o.faulty, 'faulty', 0, o.validators - 1);
  positiveInt(o.scenarios, 'scenarios', 1);
  positiveInt(o.seed, 'seed', 0, 0xffffffff);
  if (o.scenarioSeed !== undefined) positiveInt(o.scenarioSeed, 'scenario seed', 0, 0xffffffff);
  positiveInt(o.rounds, 'rounds', 5, 10_000);
  positiveInt(o.gstMs, 'gst', 0, 10_000_000);
  positiveInt(o.deltaMs, 'delta', 1, 60_000);
  if (!(o.maxDropRate >= 0 && o.maxDropRate < 1)) bad(`drop rate must be in [0, 1), got ${o.maxDropRate}`);
  if (!BEHAVIOURS.includes(o.behaviour))
    bad(`behaviour must be one of ${BEHAVIOURS.join(', ')}, got ${String(o.behaviour)}`);
  if (o.scheme !== 'test' && o.scheme !== 'ed25519')
    bad(`signer must be test or ed25519, got ${String(o.scheme)}`);
  if (Array.isArray(o.stakes)) {
    const s = o.stakes as readonly bigint[];
    if (s.length !== o.validators)
      bad(`${s.length} stakes given for ${o.validators} validators: give one stake per validator`);
    if (s.some((x) => typeof x !== 'bigint' || x <= 0n)) bad('stakes must be positive integers');
  } else if (o.stakes !== 'equal' && o.stakes !== 'skewed')
    bad(`stakes must be equal, skewed or a list of positive integers, got ${String(o.stakes)}`);
  for (const k of Object.keys(o.mutations)) {
    if (!MUTATIONS.includes(k as MutationName)) bad(`unknown mutation ${k}; known: ${MUTATIONS.join(', ')}`);
  }
  if (!(o.honestCrashRate >= 0 && o.honestCrashRate <= 1))
    bad(`honest crash rate must be in [0, 1], got ${o.honestCrashRate}`);
  positiveInt(o.honestCrashes, 'honest crashes', 1, 1000);
  positiveInt(o.workers, 'workers', 1, 64);
  const t = o.timing;
  if (!(t.baseTimeoutMs > 0 && t.maxTimeoutMs >= t.baseTimeoutMs && t.backoff >= 1)) {
    bad('timing: need baseTimeoutMs > 0, maxTimeoutMs >= baseTimeoutMs and backoff >= 1');
  }
  if (t.baseTimeoutMs < 4 * o.deltaMs)
    bad(
      `the base round timeout (${t.baseTimeoutMs} ms) must be at least 4 x delta (${o.deltaMs} ms), or no round can finish after GST`,
    );
  if (o.faultyIndices !== undefined) {
    const f = o.faultyIndices;
    if (f.length !== o.faulty) bad(`${f.length} faulty indices given for --faulty ${o.faulty}`);
    if (new Set(f).size !== f.length || f.some((i) => !Number.isInteger(i) || i < 0 || i >= o.validators)) {
      bad(`faulty indices must be distinct validator indices in 0..${o.validators - 1}`);
    }
  }
  if (!o.allowUnsafeFaults && Array.isArray(o.stakes)) {
    const stakes = o.stakes as readonly bigint[];
    const set = o.faultyIndices ?? lightest(stakes, o.faulty);
    if (!belowThird(stakes, set)) {
      throw new SimError(
        'UNSAFE_FAULTS',
        `${o.faultyIndices !== undefined ? `faulty validators ${set.join(', ')}` : `any ${o.faulty} faulty validators`} hold a third of the stake or more: ` +
          'give fewer or lighter faulty validators, or pass --allow-unsafe-faults',
      );
    }
  }
  if (!o.allowUnsafeFaults && o.stakes === 'equal' && 3 * o.faulty >= o.validators) {
    throw new SimError(
      'UNSAFE_FAULTS',
      `${o.faulty} faulty of ${o.validators} equal-stake validators hold a third of the stake or more: BFT cannot be safe; ` +
        `use at most ${Math.floor((o.validators - 1) / 3)} faulty, or pass --allow-unsafe-faults to watch the checker catch the violations`,
    );
  }
  return o;
}

/** True when the run is expected to break safety (a mutation is on, or faults beyond the tolerance are allowed). */
export function expectsViolations(o: SimOptions): boolean {
  return Object.values(o.mutations).some((v) => v === true) || o.allowUnsafeFaults;
}
