/**
 * The pooled transactions of one sender, by nonce. At most `maxPerSender`
 * (64) entries, so linear work per sender is cheap.
 */
import { mergedDebits } from './debits.js';
import type { PoolTx } from './types.js';

/** One pooled transaction with its bookkeeping. */
export interface PoolEntry<Tx> {
  readonly p: PoolTx<Tx>;
  /** Hash as a map key. */
  readonly key: string;
  readonly senderKey: string;
  /** Arrival order in this pool: the tie-break after the fee, unique. */
  readonly seq: number;
}

export class SenderQueue<Tx> {
  /** Sorted by nonce ascending; nonces are unique. */
  private readonly sorted: PoolEntry<Tx>[] = [];
  private readonly byNonce = new Map<bigint, PoolEntry<Tx>>();
  /** Sum of the pooled debits per asset key, kept as entries come and go (admission asks per transaction). */
  private readonly debitTotals = new Map<string, bigint>();
  /** The sender's nonce in the committed state, as last read (at admission or a commit's re-validation). */
  committedNonce = 0n;

  constructor(
    readonly senderKey: string,
    readonly address: Uint8Array,
  ) {}

  get size(): number {
    return this.sorted.length;
  }

  get(nonce: bigint): PoolEntry<Tx> | undefined {
    return this.byNonce.get(nonce);
  }

  /** The entry with the lowest nonce. */
  head(): PoolEntry<Tx> | undefined {
    return this.sorted[0];
  }

  /** The entry with the highest nonce: the only one that can be evicted without leaving a gap. */
  tail(): PoolEntry<Tx> | undefined {
    return this.sorted[this.sorted.length - 1];
  }

  /** Entries by nonce ascending (a copy: callers may remove while iterating). */
  entries(): PoolEntry<Tx>[] {
    return [...this.sorted];
  }

  /** Adds an entry whose nonce is free. */
  insert(e: PoolEntry<Tx>): void {
    let i = this.sorted.length;
    while (i > 0 && this.sorted[i - 1]!.p.nonce > e.p.nonce) i--;
    this.sorted.splice(i, 0, e);
    this.byNonce.set(e.p.nonce, e);
    this.addDebits(e, 1n);
  }

  remove(e: PoolEntry<Tx>): boolean {
    if (this.byNonce.get(e.p.nonce) !== e) return false;
    this.byNonce.delete(e.p.nonce);
    this.sorted.splice(this.sorted.indexOf(e), 1);
    this.addDebits(e, -1n);
    return true;
  }

  /** Sum of the debits of `asset` over all entries but `except`. */
  debitsOf(asset: string, except: PoolEntry<Tx> | null): bigint {
    let sum = this.debitTotals.get(asset) ?? 0n;
    if (except !== null) for (const d of mergedDebits(except.p)) if (d.key === asset) sum -= d.amount;
    return sum;
  }

  private addDebits(e: PoolEntry<Tx>, sign: bigint): void {
    for (const d of mergedDebits(e.p)) {
      const k = d.key;
      const total = (this.debitTotals.get(k) ?? 0n) + sign * d.amount;
      if (total === 0n) this.debitTotals.delete(k);
      else this.debitTotals.set(k, total);
    }
  }
}
