/**
 * Readers of single msgpack values in the one form core/codec.ts writes them
 * (its canonical encoding), for the direct decoders of fixed layouts
 * (shards/transaction-wire.ts, shards/account-wire.ts). Each returns false or
 * undefined on any other form; the caller then falls back to the general
 * decoder, which stays the definition of canonical.
 */

const TWO_POW_32 = 0x1_0000_0000;

/** Where the reader is, and what it read last (no allocation per integer). */
export interface CanonicalCursor {
  pos: number;
  /** The last integer read, when it fits a double exactly. */
  num: number;
  /** The last integer read, when at or above 2^32 (int64 / uint64 forms). */
  big: bigint | undefined;
}

/**
 * An unsigned integer in msgpackr's canonical form for the codec: below 2^32
 * the shortest of fixint (< 0x80), uint8 (0xcc), uint16 (0xcd), uint32 (0xce);
 * from 2^32 a bigint, written as int64 (0xd3) below 2^63 and uint64 (0xcf)
 * above. False when the bytes are anything else.
 */
export function readUint(b: Uint8Array, c: CanonicalCursor): boolean {
  const p = c.pos;
  if (p >= b.length) return false;
  const tag = b[p]!;
  c.big = undefined;
  if (tag < 0x80) {
    c.num = tag;
    c.pos = p + 1;
    return true;
  }
  switch (tag) {
    case 0xcc:
      if (p + 2 > b.length) return false;
      c.num = b[p + 1]!;
      c.pos = p + 2;
      return c.num >= 0x80;
    case 0xcd:
      if (p + 3 > b.length) return false;
      c.num = (b[p + 1]! << 8) | b[p + 2]!;
      c.pos = p + 3;
      return c.num >= 0x100;
    case 0xce:
      if (p + 5 > b.length) return false;
      c.num = readU32(b, p + 1);
      c.pos = p + 5;
      return c.num >= 0x1_0000;
    case 0xd3:
    case 0xcf: {
      if (p + 9 > b.length) return false;
      const hi = readU32(b, p + 1);
      const lo = readU32(b, p + 5);
      c.pos = p + 9;
      // int64 holds [2^32, 2^63); uint64 holds [2^63, 2^64).
      if (tag === 0xd3 ? hi === 0 || hi >= 0x8000_0000 : hi < 0x8000_0000) return false;
      c.big = (BigInt(hi) << 32n) | BigInt(lo);
      c.num = hi * TWO_POW_32 + lo; // exact only below 2^53; callers check
      return true;
    }
    default:
      return false;
  }
}

function readU32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** A uint of the codec below `max` (< 2^32): no bigint form. */
export function readSmallUint(b: Uint8Array, c: CanonicalCursor, max: number): number | undefined {
  return readUint(b, c) && c.big === undefined && c.num <= max ? c.num : undefined;
}

/**
 * An array header in the codec's form: fixarray below 16 items, array16 from
 * 16 (msgpackr never writes array16 for fewer). The item count, or undefined.
 */
export function readArrayLength(b: Uint8Array, c: CanonicalCursor): number | undefined {
  const p = c.pos;
  if (p >= b.length) return undefined;
  const h = b[p]!;
  if (h >= 0x90 && h <= 0x9f) {
    c.pos = p + 1;
    return h & 0x0f;
  }
  if (h !== 0xdc || p + 3 > b.length) return undefined;
  const count = (b[p + 1]! << 8) | b[p + 2]!;
  if (count < 16) return undefined;
  c.pos = p + 3;
  return count;
}

/** bin8 of exactly `n` bytes, as a view into `b`. */
export function readBin(b: Uint8Array, c: CanonicalCursor, n: number): Uint8Array | undefined {
  const p = c.pos;
  if (p + 2 + n > b.length || b[p] !== 0xc4 || b[p + 1] !== n) return undefined;
  c.pos = p + 2 + n;
  return b.subarray(p + 2, p + 2 + n);
}
