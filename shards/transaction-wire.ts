/**
 * A direct reader of the canonical signed-transaction encoding, the hot path
 * of every admission (each validator decodes every transaction it admits).
 *
 * The general decoder (core/codec.ts `decode`) unpacks msgpack, converts
 * each field, then encodes the value again and compares the bytes: the only
 * way to know that a generic msgpack input is canonical, and about 4 KB of
 * garbage per transaction. A signed transaction has one fixed layout, so its
 * canonical bytes can be recognised field by field instead:
 *
 *   0x92 0x9b 0x01 chainId shardId kind  c4 20 <publicKey 32>  nonce
 *   c4 10 <fee 16>  expiry  c4 14 <recipient 20>  c4 14 <asset 20>
 *   c4 10 <amount 16>  c4 40 <signature 64>
 *
 * where each integer takes the one form msgpackr writes for it (below).
 *
 * The reader only ever accepts: on any byte it does not expect it returns
 * undefined and the caller runs the general decoder, which either accepts
 * (an input this reader is stricter about) or throws its precise error. So
 * the general decoder stays the definition of canonical, and a test checks
 * on every input it tries that this reader never accepts what the general
 * decoder rejects and never decodes to a different value.
 */
import { bytesToBigint } from '../core/bytes.js';

const TX_VERSION_BYTE = 0x01;
const TWO_POW_32 = 0x1_0000_0000;

/** Where the reader is, and what it read last (no allocation per integer). */
interface Cursor {
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
function readUint(b: Uint8Array, c: Cursor): boolean {
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
function readSmall(b: Uint8Array, c: Cursor, max: number): number | undefined {
  return readUint(b, c) && c.big === undefined && c.num <= max ? c.num : undefined;
}

/** bin8 of exactly `n` bytes, as a view into `b`. */
function readBytes(b: Uint8Array, c: Cursor, n: number): Uint8Array | undefined {
  const p = c.pos;
  if (p + 2 + n > b.length || b[p] !== 0xc4 || b[p + 1] !== n) return undefined;
  c.pos = p + 2 + n;
  return b.subarray(p + 2, p + 2 + n);
}

/**
 * The transaction and signature `own` is the canonical encoding of, with byte
 * fields as views into `own`; undefined when `own` is not recognised (the
 * caller then decodes it the general way).
 */
// The result's type is inferred: it is shards/transaction.ts `Transaction` field for field (that
// module imports this one, so naming the type here would make a cycle).
export function readCanonicalSignedTransaction(own: Uint8Array) {
  if (own.length < 3 || own[0] !== 0x92 || own[1] !== 0x9b || own[2] !== TX_VERSION_BYTE) return undefined;
  const c: Cursor = { pos: 3, num: 0, big: undefined };
  const chainId = readSmall(own, c, 0xffff_ffff);
  if (chainId === undefined) return undefined;
  const shardId = readSmall(own, c, 0xffff);
  if (shardId === undefined) return undefined;
  const kind = readSmall(own, c, 0xff);
  if (kind === undefined) return undefined;
  const senderPublicKey = readBytes(own, c, 32);
  if (senderPublicKey === undefined || !readUint(own, c)) return undefined;
  const nonce = c.big ?? BigInt(c.num);
  const feeBytes = readBytes(own, c, 16);
  if (feeBytes === undefined || !readUint(own, c)) return undefined;
  if (c.big !== undefined && c.big > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const expiry = c.num;
  const recipient = readBytes(own, c, 20);
  const asset = readBytes(own, c, 20);
  const amountBytes = readBytes(own, c, 16);
  const signature = readBytes(own, c, 64);
  if (recipient === undefined || asset === undefined || amountBytes === undefined || signature === undefined)
    return undefined;
  if (c.pos !== own.length) return undefined;
  const tx = {
    chainId,
    shardId,
    kind,
    senderPublicKey,
    nonce,
    fee: bytesToBigint(feeBytes),
    expiry,
    recipient,
    asset,
    amount: bytesToBigint(amountBytes),
  };
  return { tx, signature };
}
