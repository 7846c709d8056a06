/**
 * Supply accounting (DESIGN.md: the total supply of every asset is
 * conserved). Within a shard, today: the sum of all account balances plus
 * the fee pool, per asset, never changes under user transactions. Tests use
 * these helpers on whole states.
 */
import { equalBytes, toHex } from '../core/bytes.js';
import type { Genesis } from '../genesis/types.js';
import { decodeStateEntry, stateValueHash } from './account.js';
import { StateError } from './errors.js';
import { SparseMerkleTree } from './smt/tree.js';
import type { StateView } from './state.js';

/** Per-asset totals, keyed by lower-case hex asset id. */
export type Supply = Map<string, bigint>;

/** Sums the balances of state values (accounts and the fee pool). */
export function supplyOfValues(values: Iterable<Uint8Array>): Supply {
  const out: Supply = new Map();
  for (const v of values) {
    const e = decodeStateEntry(v);
    for (const [asset, amount] of e.value.balances) out.set(asset, (out.get(asset) ?? 0n) + amount);
  }
  return out;
}

/**
 * The supply of a whole state view: walks the tree's leaves, reads each
 * value and checks that it hashes to the leaf (the flat map and the tree
 * agree). Throws StateError BAD_VALUE when they do not.
 */
export function supplyOfView(view: StateView): Supply {
  const tree = new SparseMerkleTree(view);
  const values: Uint8Array[] = [];
  for (const leaf of tree.leaves(view.root)) {
    const v = view.getValue(leaf.key);
    if (v === undefined || !equalBytes(stateValueHash(v), leaf.valueHash)) {
      throw new StateError(
        'BAD_VALUE',
        `state key ${toHex(leaf.key)}: the stored value does not match the tree`,
      );
    }
    values.push(v);
  }
  return supplyOfValues(values);
}

/** The genesis supply of one shard, or of all shards when `shardId` is omitted. */
export function supplyOfGenesis(g: Genesis, shardId?: number): Supply {
  const out: Supply = new Map();
  for (const b of g.balances) {
    if (shardId !== undefined && b.shard !== shardId) continue;
    const a = toHex(b.asset);
    out.set(a, (out.get(a) ?? 0n) + b.amount);
  }
  return out;
}

/** The assets whose totals differ between two supplies (empty when conserved). */
export function supplyDifferences(
  before: Supply,
  after: Supply,
): { asset: string; before: bigint; after: bigint }[] {
  const assets = new Set([...before.keys(), ...after.keys()]);
  const out: { asset: string; before: bigint; after: bigint }[] = [];
  for (const asset of [...assets].sort()) {
    const b = before.get(asset) ?? 0n;
    const a = after.get(asset) ?? 0n;
    if (a !== b) out.push({ asset, before: b, after: a });
  }
  return out;
}
