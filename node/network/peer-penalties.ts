/**
 * Penalties for misbehaviour that gossipsub cannot see (garbage on the
 * request-response protocols, invalid votes found by the consensus layer).
 * The score is negative, decays towards 0 with a half-life, feeds gossipsub's
 * application-specific score (P5), so one number ranks a peer everywhere,
 * and bans the peer for a while when it falls to the ban threshold.
 */
export type PenaltyReason =
  'reqresp_oversized' | 'reqresp_malformed' | 'reqresp_unexpected' | 'reqresp_overflow' | 'invalid_message';

/** Default penalty per reason: garbage frames cost more than one invalid message. */
export const PENALTY_POINTS: Record<PenaltyReason, number> = {
  reqresp_oversized: 20,
  reqresp_malformed: 20,
  reqresp_unexpected: 20,
  reqresp_overflow: 20,
  invalid_message: 10,
};

interface Entry {
  value: number;
  at: number;
}

export class PeerPenalties {
  private readonly entries = new Map<string, Entry>();
  private readonly bans = new Map<string, number>();

  constructor(
    private readonly halfLifeMs: number,
    private readonly banThreshold: number,
    private readonly banMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current penalty score of a peer (0 or negative). */
  score(peerId: string): number {
    const e = this.entries.get(peerId);
    if (e === undefined) return 0;
    const v = e.value * Math.pow(0.5, (this.now() - e.at) / this.halfLifeMs);
    if (v > -0.01) {
      this.entries.delete(peerId);
      return 0;
    }
    return v;
  }

  /** Lowers a peer's score; returns true when the peer crossed the ban threshold (and is now banned). */
  penalize(peerId: string, points: number): boolean {
    const value = this.score(peerId) - Math.abs(points);
    this.entries.set(peerId, { value, at: this.now() });
    if (value <= this.banThreshold && !this.isBanned(peerId)) {
      this.bans.set(peerId, this.now() + this.banMs);
      return true;
    }
    return false;
  }

  isBanned(peerId: string): boolean {
    const until = this.bans.get(peerId);
    if (until === undefined) return false;
    if (this.now() >= until) {
      this.bans.delete(peerId);
      return false;
    }
    return true;
  }
}
