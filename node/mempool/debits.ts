/**
 * A transaction's debits summed per asset, with the asset's map key: the
 * mempool works them out once per transaction and keeps them with it, since
 * admission, re-validation and selection each read them several times.
 */
import { assetKey } from '../../shards/assets.js';
import type { MergedDebit, PoolTx } from './types.js';

/** The debits of a transaction summed per asset (a transfer of the native asset and its fee add up). */
export function mergedDebits(p: PoolTx<unknown>): readonly MergedDebit[] {
  return (p.merged ??= merge(p));
}

function merge(p: PoolTx<unknown>): readonly MergedDebit[] {
  const out = new Map<string, { key: string; asset: Uint8Array; amount: bigint }>();
  for (const d of p.debits) {
    const key = assetKey(d.asset);
    const prev = out.get(key);
    if (prev === undefined) out.set(key, { key, asset: d.asset, amount: d.amount });
    else prev.amount += d.amount;
  }
  return [...out.values()];
}
