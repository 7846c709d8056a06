/**
 * Inputs for the property tests of the direct readers and writers
 * (transaction-wire, account-wire): integers at the boundaries between
 * msgpack's forms, and random damage to an encoding (a byte replaced, the
 * end cut, bytes appended or inserted: an integer re-encoded in a longer
 * form shifts what follows).
 */
import fc from 'fast-check';

/** Where msgpack changes the form of an unsigned integer (and 2^53, where doubles stop being exact). */
export const UINT_FORM_EDGES: readonly bigint[] = [
  0n,
  0x7fn,
  0x80n,
  0xffn,
  0x100n,
  0xffffn,
  0x1_0000n,
  0xffff_ffffn,
  1n << 32n,
  1n << 53n,
  1n << 63n,
  (1n << 64n) - 1n,
];

/** Integers in [0, max] near every form boundary, and anywhere in the range. */
export function uintNear(max: bigint): fc.Arbitrary<bigint> {
  const near = UINT_FORM_EDGES.flatMap((e) => [e - 1n, e, e + 1n]).filter((e) => e >= 0n && e <= max);
  return fc.oneof(fc.constantFrom(...near), fc.bigInt({ min: 0n, max }));
}

export type ByteMutation =
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'append'; readonly extra: Uint8Array }
  | { readonly kind: 'insert'; readonly at: number; readonly extra: Uint8Array };

/** One mutation; appended runs up to `maxAppend` bytes (a whole record of the layout, say). */
export function byteMutation(maxAppend = 9): fc.Arbitrary<ByteMutation> {
  return fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('append' as const),
      extra: fc.uint8Array({ minLength: 1, maxLength: maxAppend }),
    }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      extra: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
  );
}

/** `bytes` with the mutations applied in order (a new array). */
export function mutate(bytes: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let b = Array.from(bytes);
  for (const m of mutations) {
    if (m.kind === 'set') b[m.at % b.length] = m.byte;
    else if (m.kind === 'cut') b = b.slice(0, m.at % b.length);
    else if (m.kind === 'append') b = [...b, ...m.extra];
    else b = [...b.slice(0, m.at % b.length), ...m.extra, ...b.slice(m.at % b.length)];
  }
  return Uint8Array.from(b);
}
