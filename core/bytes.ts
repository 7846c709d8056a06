/** Small byte helpers shared by every module. */

export type Bytes = Uint8Array;

/**
 * Node's own string conversions, called on any Uint8Array. They read the
 * bytes where they are: going through `Buffer.from(b.buffer, ...)` instead
 * makes V8 move a small array's bytes off its heap into a new ArrayBuffer
 * (a malloc, and work for the ArrayBuffer sweeper later), which cost three
 * times the conversion itself for the 32-byte hashes used as map keys.
 */
type SliceToString = (this: Uint8Array, start: number, end: number) => string;
const bufferMethods = Buffer.prototype as unknown as { hexSlice: SliceToString; latin1Slice: SliceToString };
const hexSlice: SliceToString = bufferMethods.hexSlice;
const latin1Slice: SliceToString = bufferMethods.latin1Slice;

export function toHex(b: Uint8Array): string {
  return hexSlice.call(b, 0, b.length);
}

/** Parses hex with or without a `0x` prefix; throws on odd length or bad digits. */
export function fromHex(hex: string): Uint8Array {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new TypeError(`not a hex string: ${hex.length > 20 ? hex.slice(0, 20) + '...' : hex}`);
  }
  return new Uint8Array(Buffer.from(h, 'hex'));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Byte strings up to this length are compared in JavaScript (no call into Node). */
const SHORT_COMPARE = 64;

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n > SHORT_COMPARE) return Buffer.compare(a, b) === 0;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic order of byte strings: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** A plain Uint8Array copy (never a Buffer view on shared memory). */
export function copyBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/** Big-endian unsigned integer of exactly `width` bytes; throws when it does not fit. */
export function bigintToBytes(v: bigint, width: number): Uint8Array {
  if (v < 0n || v >= 1n << BigInt(width * 8)) throw new RangeError(`${v} does not fit in ${width} bytes`);
  const out = new Uint8Array(width);
  writeBigintBE(out, 0, v, width);
  return out;
}

/**
 * Writes `v` as `width` big-endian bytes at `offset` of `out` (the bytes
 * above `v`'s own are left as they are: zero in a fresh array). The caller
 * checks that `v` is non-negative and fits.
 */
export function writeBigintBE(out: Uint8Array, offset: number, v: bigint, width: number): void {
  // 32 bits per bigint operation: amounts are 32 bytes, and bigint steps are the cost.
  let x = v;
  let i = offset + width;
  while (i - 4 >= offset && x > 0n) {
    const word = Number(x & 0xffffffffn);
    out[--i] = word & 0xff;
    out[--i] = (word >>> 8) & 0xff;
    out[--i] = (word >>> 16) & 0xff;
    out[--i] = word >>> 24;
    x >>= 32n;
  }
  while (i > offset && x > 0n) {
    out[--i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

export function bytesToBigint(b: Uint8Array): bigint {
  const n = b.length;
  let i = 0;
  while (i < n && b[i] === 0) i++; // leading zeros (most of a 32-byte amount) cost nothing
  let x = 0n;
  for (; i + 4 <= n; i += 4)
    x = (x << 32n) | BigInt(((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0);
  for (; i < n; i++) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

/** 8-byte big-endian encoding of a safe non-negative integer. */
export function u64be(n: number | bigint): Uint8Array {
  return bigintToBytes(BigInt(n), 8);
}

/** A Map key for a byte string (latin1: one char per byte, the cheapest conversion Node offers). */
export function byteKey(b: Uint8Array): string {
  return latin1Slice.call(b, 0, b.length);
}
