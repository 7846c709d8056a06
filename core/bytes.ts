/** Small byte helpers shared by every module. */

export type Bytes = Uint8Array;

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
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

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
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
  let x = v;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function bytesToBigint(b: Uint8Array): bigint {
  let x = 0n;
  for (const byte of b) x = (x << 8n) | BigInt(byte);
  return x;
}

/** 8-byte big-endian encoding of a safe non-negative integer. */
export function u64be(n: number | bigint): Uint8Array {
  return bigintToBytes(BigInt(n), 8);
}

/** A Map key for a byte string (latin1: one char per byte, the cheapest conversion Node offers). */
export function byteKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}
