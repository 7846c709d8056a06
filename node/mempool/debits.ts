/**
 * What the mempool works out once per transaction and keeps with it: the
 * debits summed per asset, with the asset's map key, and the hash and the
 * sender as map keys. Admission, re-validation and selection each read them
 * several times.
 */
import { byteKey } from '../../core/bytes.js';
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

/** The hash of a transaction as a map key. */
export function hashKeyOf(p: PoolTx<unknown>): string {
  return (p.hashKey ??= byteKey(p.hash));
}

/** The sender of a transaction as a map key. */
export function senderKeyOf(p: PoolTx<unknown>): string {
  return (p.senderKey ??= byteKey(p.sender));
}
