/**
 * A transaction's debits summed per asset, with the asset's map key: the
 * mempool's checks and its per-sender totals read them for every admission,
 * re-validation and selection, so they are worked out once per transaction.
 */
import { toHex } from '../../core/bytes.js';
import type { PoolTx } from './types.js';

/** A Map key for an asset id (lower-case hex). */
export function assetKey(asset: Uint8Array): string {
  return toHex(asset);
}

export interface MergedDebit {
  readonly key: string;
  readonly asset: Uint8Array;
  readonly amount: bigint;
}

/** Merged debits by transaction: admission, re-validation and selection each ask several times per transaction. */
const mergedByTx = new WeakMap<PoolTx<unknown>, readonly MergedDebit[]>();

/** The debits of a transaction summed per asset (a transfer of the native asset and its fee add up). */
export function mergedDebits(p: PoolTx<unknown>): readonly MergedDebit[] {
  let merged = mergedByTx.get(p);
  if (merged === undefined) {
    const out = new Map<string, { key: string; asset: Uint8Array; amount: bigint }>();
    for (const d of p.debits) {
      const key = assetKey(d.asset);
      const prev = out.get(key);
      if (prev === undefined) out.set(key, { key, asset: d.asset, amount: d.amount });
      else prev.amount += d.amount;
    }
    merged = [...out.values()];
    mergedByTx.set(p, merged);
  }
  return merged;
}
