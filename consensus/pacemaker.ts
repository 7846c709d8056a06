/**
 * Liveness (DESIGN.md, Consensus: round entry, round time, early timeout) and
 * certificate formation, in the spirit of Aptos `liveness/round_state.rs`:
 *
 *  - Pacemaker: the current round and its timer. A round is entered on any
 *    valid QC or TC, at max(qc.round, tc.round) + 1 (the engine computes it).
 *    Round time starts at `baseTimeoutMs` and is multiplied by `backoff` for
 *    every round since the last commit beyond the happy path, capped at
 *    `maxTimeoutMs`. After a local timeout the timer is re-armed with the
 *    same duration, so the timeout is re-sent until the round changes.
 *  - VoteAggregator: votes into QCs, per (round, vote data), by stake.
 *  - TimeoutAggregator: timeouts into TCs per round, by stake; it also
 *    reports the stake that has timed out, for the early timeout (> 1/3).
 *
 * Nothing here signs or verifies: inputs are verified messages.
 */
import { encode } from '../core/codec.js';
import { toHex } from '../core/bytes.js';
import type { ValidatorSet } from './committee.js';
import { VoteDataCodec } from './messages.js';
import type {
  Clock,
  QuorumCert,
  Round,
  TimeoutCert,
  TimeoutMsg,
  ValidatorIndex,
  Vote,
  VoteData,
} from './types.js';

export interface RoundTiming {
  readonly baseTimeoutMs: number;
  readonly backoff: number;
  readonly maxTimeoutMs: number;
}

/** DESIGN.md defaults: 1 s, x1.5 per round without a commit, capped at 8 s. */
export const DEFAULT_ROUND_TIMING: RoundTiming = { baseTimeoutMs: 1000, backoff: 1.5, maxTimeoutMs: 8000 };

/**
 * The time allowed for `round`. In the happy path round r is entered when
 * the QC of r-1 commits r-2, so the exponent counts the rounds beyond that
 * since the last commit.
 */
export function roundTimeoutMs(timing: RoundTiming, round: Round, committedRound: Round): number {
  const exponent = Math.min(64, Math.max(0, round - committedRound - 2));
  return Math.min(timing.maxTimeoutMs, Math.round(timing.baseTimeoutMs * Math.pow(timing.backoff, exponent)));
}

/** The current round, its timer, and whether we have timed out in it. */
export class Pacemaker {
  private currentRound: Round = 0;
  private durationMs = 0;
  private cancelTimer: (() => void) | null = null;
  private timedOut = false;

  constructor(
    private readonly clock: Clock,
    private readonly timing: RoundTiming,
    /** Called (from the clock) when the round's time is up; the engine queues the local timeout. */
    private readonly onTimeout: (round: Round) => void,
  ) {}

  get round(): Round {
    return this.currentRound;
  }

  /** True once we have signed a timeout in the current round. */
  get hasTimedOut(): boolean {
    return this.timedOut;
  }

  /** Enters `round` (only forward) and arms its timer; returns false if `round` is not ahead. */
  enter(round: Round, committedRound: Round): boolean {
    if (round <= this.currentRound) return false;
    this.currentRound = round;
    this.timedOut = false;
    this.durationMs = roundTimeoutMs(this.timing, round, committedRound);
    this.arm();
    return true;
  }

  /** Records our timeout in the current round and re-arms the timer (the timeout is re-sent until the round changes). */
  markTimedOut(): void {
    this.timedOut = true;
    this.arm();
  }

  get currentTimeoutMs(): number {
    return this.durationMs;
  }

  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private arm(): void {
    this.cancelTimer?.();
    const round = this.currentRound;
    this.cancelTimer = this.clock.setTimer(this.durationMs, () => {
      this.cancelTimer = null;
      this.onTimeout(round);
    });
  }
}

function voteDataKey(vd: VoteData): string {
  return toHex(encode(VoteDataCodec, vd));
}

interface PendingQc {
  readonly voteData: VoteData;
  readonly signatures: Map<ValidatorIndex, Uint8Array>;
}

/** Collects votes into QCs per (round, vote data), by stake. One vote per signer per round counts. */
export class VoteAggregator {
  private readonly rounds = new Map<
    Round,
    { byData: Map<string, PendingQc>; signers: Set<ValidatorIndex>; done: boolean }
  >();

  constructor(private readonly validators: ValidatorSet) {}

  /** Adds a verified vote; returns the QC when this vote completes a quorum for the first time in its round. */
  add(vote: Vote): QuorumCert | null {
    const round = vote.voteData.block.round;
    let r = this.rounds.get(round);
    if (r === undefined) {
      r = { byData: new Map(), signers: new Set(), done: false };
      this.rounds.set(round, r);
    }
    if (r.done || r.signers.has(vote.signer)) return null;
    r.signers.add(vote.signer);
    const key = voteDataKey(vote.voteData);
    let pending = r.byData.get(key);
    if (pending === undefined) {
      pending = { voteData: vote.voteData, signatures: new Map() };
      r.byData.set(key, pending);
    }
    pending.signatures.set(vote.signer, vote.signature);
    const signers = [...pending.signatures.keys()].sort((a, b) => a - b);
    if (!this.validators.hasQuorum(signers)) return null;
    r.done = true;
    return {
      voteData: pending.voteData,
      signers: this.validators.makeBitmap(signers),
      signatures: signers.map((i) => pending.signatures.get(i)!),
    };
  }

  /** Forgets rounds below `round`. */
  prune(round: Round): void {
    for (const r of this.rounds.keys()) if (r < round) this.rounds.delete(r);
  }
}

interface TimeoutEntry {
  readonly hqcRound: Round;
  readonly signature: Uint8Array;
  readonly highQc: QuorumCert;
}

/** Collects timeouts into TCs per round, by stake. */
export class TimeoutAggregator {
  private readonly rounds = new Map<Round, { entries: Map<ValidatorIndex, TimeoutEntry>; done: boolean }>();

  constructor(private readonly validators: ValidatorSet) {}

  has(round: Round, signer: ValidatorIndex): boolean {
    return this.rounds.get(round)?.entries.has(signer) === true;
  }

  /**
   * Adds a verified timeout. Returns the signers that have timed out in its
   * round so far, and the TC when this timeout completes a quorum for the
   * first time.
   */
  add(t: TimeoutMsg): { signers: ValidatorIndex[]; tc: TimeoutCert | null } {
    let r = this.rounds.get(t.round);
    if (r === undefined) {
      r = { entries: new Map(), done: false };
      this.rounds.set(t.round, r);
    }
    if (!r.entries.has(t.signer)) {
      r.entries.set(t.signer, {
        hqcRound: t.highQc.voteData.block.round,
        signature: t.signature,
        highQc: t.highQc,
      });
    }
    const signers = [...r.entries.keys()].sort((a, b) => a - b);
    if (r.done || !this.validators.hasQuorum(signers)) return { signers, tc: null };
    r.done = true;
    let highQc: QuorumCert | null = null;
    const hqcRounds: Round[] = [];
    const signatures: Uint8Array[] = [];
    for (const i of signers) {
      const e = r.entries.get(i)!;
      hqcRounds.push(e.hqcRound);
      signatures.push(e.signature);
      if (highQc === null || e.hqcRound > highQc.voteData.block.round) highQc = e.highQc;
    }
    return {
      signers,
      tc: {
        round: t.round,
        signers: this.validators.makeBitmap(signers),
        hqcRounds,
        signatures,
        highQc: highQc!,
      },
    };
  }

  prune(round: Round): void {
    for (const r of this.rounds.keys()) if (r < round) this.rounds.delete(r);
  }
}
