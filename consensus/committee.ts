/**
 * The validator set of one committee and its signer bitmaps (DESIGN.md,
 * Quorums). Stake decides, never head counts: a quorum is `3 * signed > 2 *
 * total` and the f+1 threshold `3 * signed > total` (core/quorum.ts). Works
 * for any committee size and skewed stakes.
 *
 * Bitmap: bit i is bit (i & 7), LSB first, of byte (i >> 3); its length is
 * exactly ceil(n / 8) bytes and the padding bits past n are zero, so one
 * signer set has exactly one bitmap.
 */
import { exceedsOneThird, isQuorum } from '../core/quorum.js';
import { toHex } from '../core/bytes.js';
import { ConsensusError } from './errors.js';
import type { CommitteeMember, ValidatorIndex } from './types.js';

/** The largest committee the wire formats accept (bitmaps, signature lists). */
export const MAX_COMMITTEE_SIZE = 1024;

export interface ValidatorSetOptions {
  /** Mutation switch (ConsensusMutations.quorumByHeads): count signers instead of stake. Tests only. */
  readonly quorumByHeads?: boolean;
}

export class ValidatorSet {
  readonly members: readonly CommitteeMember[];
  readonly size: number;
  readonly totalStake: bigint;
  /** Bytes of a signer bitmap of this committee. */
  readonly bitmapLength: number;
  private readonly byKey = new Map<string, ValidatorIndex>();
  private readonly quorumByHeads: boolean;

  constructor(members: readonly CommitteeMember[], opts: ValidatorSetOptions = {}) {
    if (!Array.isArray(members) || members.length === 0)
      throw new ConsensusError('BAD_COMMITTEE', 'a committee needs at least one member');
    if (members.length > MAX_COMMITTEE_SIZE) {
      throw new ConsensusError(
        'BAD_COMMITTEE',
        `a committee has at most ${MAX_COMMITTEE_SIZE} members, got ${members.length}`,
      );
    }
    let total = 0n;
    members.forEach((m, i) => {
      if (!(m.publicKey instanceof Uint8Array) || m.publicKey.length === 0)
        throw new ConsensusError('BAD_COMMITTEE', `member ${i} has no public key`);
      if (typeof m.stake !== 'bigint' || m.stake <= 0n)
        throw new ConsensusError('BAD_COMMITTEE', `member ${i} must have a positive bigint stake`);
      const k = toHex(m.publicKey);
      if (this.byKey.has(k))
        throw new ConsensusError('BAD_COMMITTEE', `members ${this.byKey.get(k)} and ${i} share a public key`);
      this.byKey.set(k, i);
      total += m.stake;
    });
    this.members = members.map((m) => ({ publicKey: new Uint8Array(m.publicKey), stake: m.stake }));
    this.size = members.length;
    this.totalStake = total;
    this.bitmapLength = (members.length + 7) >> 3;
    this.quorumByHeads = opts.quorumByHeads === true;
  }

  has(index: ValidatorIndex): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.size;
  }

  publicKey(index: ValidatorIndex): Uint8Array {
    return this.member(index).publicKey;
  }

  stake(index: ValidatorIndex): bigint {
    return this.member(index).stake;
  }

  /** The index of the member with this public key, or -1. */
  indexOf(publicKey: Uint8Array): ValidatorIndex {
    return this.byKey.get(toHex(publicKey)) ?? -1;
  }

  /** The canonical bitmap of a set of signer indices (duplicates collapse). */
  makeBitmap(indices: Iterable<ValidatorIndex>): Uint8Array {
    const bm = new Uint8Array(this.bitmapLength);
    for (const i of indices) {
      if (!this.has(i))
        throw new ConsensusError('UNKNOWN_SIGNER', `validator ${i} is not in the committee of ${this.size}`, {
          index: i,
        });
      bm[i >> 3]! |= 1 << (i & 7);
    }
    return bm;
  }

  /**
   * The signer indices of a bitmap, ascending. Throws MALFORMED for a bitmap
   * of the wrong length and UNKNOWN_SIGNER for a bit past the committee.
   */
  signersOf(bitmap: Uint8Array): ValidatorIndex[] {
    if (!(bitmap instanceof Uint8Array) || bitmap.length !== this.bitmapLength) {
      throw new ConsensusError(
        'MALFORMED',
        `a signer bitmap of this committee is ${this.bitmapLength} bytes`,
        { length: bitmap?.length },
      );
    }
    const out: ValidatorIndex[] = [];
    for (let byte = 0; byte < bitmap.length; byte++) {
      const b = bitmap[byte]!;
      if (b === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        if ((b >> bit) & 1) {
          const i = (byte << 3) | bit;
          if (i >= this.size)
            throw new ConsensusError(
              'UNKNOWN_SIGNER',
              `bitmap names validator ${i} outside the committee of ${this.size}`,
              { index: i },
            );
          out.push(i);
        }
      }
    }
    return out;
  }

  /** Total stake of distinct signers. */
  stakeOf(indices: Iterable<ValidatorIndex>): bigint {
    let s = 0n;
    const seen = new Set<number>();
    for (const i of indices) {
      if (seen.has(i)) continue;
      seen.add(i);
      s += this.stake(i);
    }
    return s;
  }

  /** More than two thirds of the stake (or, under the quorumByHeads mutation, of the heads). */
  hasQuorum(indices: Iterable<ValidatorIndex>): boolean {
    if (this.quorumByHeads) {
      const n = new Set(indices).size;
      return 3 * n > 2 * this.size;
    }
    return isQuorum(this.stakeOf(indices), this.totalStake);
  }

  /** More than one third of the stake: at least one honest member is among them. */
  exceedsOneThird(indices: Iterable<ValidatorIndex>): boolean {
    return exceedsOneThird(this.stakeOf(indices), this.totalStake);
  }

  private member(index: ValidatorIndex): CommitteeMember {
    if (!this.has(index))
      throw new ConsensusError(
        'UNKNOWN_SIGNER',
        `validator ${index} is not in the committee of ${this.size}`,
        { index },
      );
    return this.members[index]!;
  }
}
