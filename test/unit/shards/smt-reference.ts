/**
 * A reference implementation of the state tree's definition
 * (docs/state-tree.md), written straight from the specification and
 * deliberately naive: the root of a set is computed recursively from the
 * whole set, with core's taggedHash. It shares no code with shards/smt/, so
 * the vectors it generates (generate-smt-vectors.ts) and the property tests
 * that compare against it check the real implementation independently.
 */
import { Tags, taggedHash } from '../../../core/hash.js';

export type Entry = { key: Uint8Array; valueHash: Uint8Array };

export const EMPTY = new Uint8Array(32);

export function bit(key: Uint8Array, i: number): number {
  return (key[Math.floor(i / 8)]! >> (7 - (i % 8))) & 1;
}

export function refLeaf(key: Uint8Array, valueHash: Uint8Array): Uint8Array {
  return taggedHash(Tags.stateLeaf, key, valueHash);
}

export function refNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return taggedHash(Tags.stateNode, left, right);
}

/** root(S, d): empty -> EMPTY; one entry -> its leaf; else node(root(S0, d+1), root(S1, d+1)). */
export function refRoot(entries: readonly Entry[], depth = 0): Uint8Array {
  if (entries.length === 0) return EMPTY;
  if (entries.length === 1) return refLeaf(entries[0]!.key, entries[0]!.valueHash);
  return refNode(
    refRoot(
      entries.filter((e) => bit(e.key, depth) === 0),
      depth + 1,
    ),
    refRoot(
      entries.filter((e) => bit(e.key, depth) === 1),
      depth + 1,
    ),
  );
}

/** The proof of `key`: siblings from the root down, and the leaf at the end of the path. */
export function refProof(
  entries: readonly Entry[],
  key: Uint8Array,
): { siblings: Uint8Array[]; leaf: Entry | null } {
  const siblings: Uint8Array[] = [];
  let set = entries;
  for (let depth = 0; ; depth++) {
    if (set.length === 0) return { siblings, leaf: null };
    if (set.length === 1) return { siblings, leaf: set[0]! };
    const b = bit(key, depth);
    siblings.push(
      refRoot(
        set.filter((e) => bit(e.key, depth) !== b),
        depth + 1,
      ),
    );
    set = set.filter((e) => bit(e.key, depth) === b);
  }
}

/** Applies changes (null = delete) to a set, by key. */
export function applyChanges(
  entries: readonly Entry[],
  changes: readonly { key: Uint8Array; valueHash: Uint8Array | null }[],
): Entry[] {
  const m = new Map(entries.map((e) => [Buffer.from(e.key).toString('hex'), e]));
  for (const c of changes) {
    const k = Buffer.from(c.key).toString('hex');
    if (c.valueHash === null) m.delete(k);
    else m.set(k, { key: c.key, valueHash: c.valueHash });
  }
  return [...m.values()];
}
