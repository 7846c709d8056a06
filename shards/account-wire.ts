/**
 * A direct writer and reader of an account's canonical state value, the
 * encoding every executed transfer writes twice (sender and recipient).
 *
 * The general codec (core/codec.ts) turns the account into wire arrays,
 * packs them with msgpackr, copies the result, and on reading unpacks,
 * converts and encodes again to prove the bytes canonical. An account has
 * one fixed layout, so its canonical bytes are written and recognised here
 * field by field:
 *
 *   0x92 0x00                      StateEntry [tag 0 = account, value]
 *   0x93 0x01 nonce                Account [version 1, nonce, balances]
 *   list header                    fixarray (< 16 balances) or array16
 *   per balance, ascending asset:  0x92 c4 14 <asset 20> c4 10 <amount 16>
 *
 * with the nonce in the one msgpack form the codec writes
 * (core/canonical-read.ts `readUint`). Whatever this writer cannot write (a
 * value out of range) and whatever this reader does not recognise goes to
 * the general codec, which stays the definition of canonical and gives the
 * precise error; a property test checks both directions against it.
 */
import { bytesToBigint, toHex, writeBigintBE } from '../core/bytes.js';
import { readArrayLength, readUint, type CanonicalCursor } from '../core/canonical-read.js';

const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;
const ASSET_BYTES = 20;
const AMOUNT_BYTES = 16;
/** 0x92, bin8 header, asset, bin8 header, amount. */
const BALANCE_BYTES = 1 + 2 + ASSET_BYTES + 2 + AMOUNT_BYTES;
const HEX_DIGITS = '0123456789abcdef';

/** shards/account.ts `Balances` (named there; that module imports this one). */
type Balances = Map<string, bigint>;

/** Lower-case hex digit values by char code; -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE[HEX_DIGITS.charCodeAt(i)] = i;

/**
 * The canonical bytes of the account entry (nonce, balances), or undefined
 * when a value is out of the codec's ranges or an asset key is not 40
 * lower-case hex digits (the general encoder then says what is wrong).
 */
export function writeAccountEntry(
  nonce: bigint,
  balances: Balances,
  maxAssets: number,
): Uint8Array | undefined {
  if (nonce < 0n || nonce > U64_MAX) return undefined;
  let assets = [...balances.keys()].filter((k) => balances.get(k) !== 0n);
  if (assets.length > maxAssets) return undefined;
  if (assets.length > 1) assets = assets.sort();
  const count = assets.length;
  const nonceBytes =
    nonce < 0x80n ? 1 : nonce < 0x100n ? 2 : nonce < 0x1_0000n ? 3 : nonce < 0x1_0000_0000n ? 5 : 9;
  const listHeader = count < 16 ? 1 : 3;
  const out = new Uint8Array(4 + nonceBytes + listHeader + count * BALANCE_BYTES);
  out[0] = 0x92;
  out[1] = 0x00;
  out[2] = 0x93;
  out[3] = 0x01;
  let p = writeNonce(out, 4, nonce, nonceBytes);
  if (count < 16) out[p++] = 0x90 | count;
  else {
    out[p] = 0xdc;
    out[p + 1] = count >>> 8;
    out[p + 2] = count & 0xff;
    p += 3;
  }
  for (const asset of assets) {
    const amount = balances.get(asset)!;
    if (amount < 0n || amount > U128_MAX) return undefined;
    out[p] = 0x92;
    out[p + 1] = 0xc4;
    out[p + 2] = ASSET_BYTES;
    if (!writeHex(out, p + 3, asset)) return undefined;
    p += 3 + ASSET_BYTES;
    out[p] = 0xc4;
    out[p + 1] = AMOUNT_BYTES;
    writeBigintBE(out, p + 2, amount, AMOUNT_BYTES);
    p += 2 + AMOUNT_BYTES;
  }
  return out;
}

function writeNonce(out: Uint8Array, p: number, nonce: bigint, length: number): number {
  if (length === 1) {
    out[p] = Number(nonce);
    return p + 1;
  }
  if (length === 9) {
    // From 2^32 the codec writes a bigint: int64 below 2^63, uint64 above.
    out[p] = nonce < 1n << 63n ? 0xd3 : 0xcf;
    writeBigintBE(out, p + 1, nonce, 8);
    return p + 9;
  }
  out[p] = length === 2 ? 0xcc : length === 3 ? 0xcd : 0xce;
  writeBigintBE(out, p + 1, nonce, length - 1);
  return p + length;
}

function writeHex(out: Uint8Array, p: number, hex: string): boolean {
  if (hex.length !== 2 * ASSET_BYTES) return false;
  for (let i = 0; i < ASSET_BYTES; i++) {
    const hi = HEX_VALUE[hex.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_VALUE[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) return false;
    out[p + i] = (hi << 4) | lo;
  }
  return true;
}

/**
 * The nonce and balances `bytes` is the canonical encoding of, or undefined
 * when `bytes` is not recognised (the caller decodes it the general way).
 * Balances must come in strictly ascending asset order and none may be zero,
 * as the general path requires.
 */
export function readAccountEntry(
  bytes: Uint8Array,
  maxAssets: number,
): { readonly nonce: bigint; readonly balances: Balances } | undefined {
  if (bytes.length < 5 || bytes[0] !== 0x92 || bytes[1] !== 0x00 || bytes[2] !== 0x93 || bytes[3] !== 0x01)
    return undefined;
  const c: CanonicalCursor = { pos: 4, num: 0, big: undefined };
  if (!readUint(bytes, c)) return undefined;
  const nonce = c.big ?? BigInt(c.num);
  const count = readArrayLength(bytes, c);
  if (count === undefined) return undefined;
  let p = c.pos;
  if (count > maxAssets || bytes.length !== p + count * BALANCE_BYTES) return undefined;
  const balances: Balances = new Map();
  let prev = '';
  for (let i = 0; i < count; i++, p += BALANCE_BYTES) {
    if (
      bytes[p] !== 0x92 ||
      bytes[p + 1] !== 0xc4 ||
      bytes[p + 2] !== ASSET_BYTES ||
      bytes[p + 3 + ASSET_BYTES] !== 0xc4 ||
      bytes[p + 4 + ASSET_BYTES] !== AMOUNT_BYTES
    )
      return undefined;
    const asset = toHex(bytes.subarray(p + 3, p + 3 + ASSET_BYTES));
    if (asset <= prev) return undefined;
    const amount = bytesToBigint(bytes.subarray(p + 5 + ASSET_BYTES, p + BALANCE_BYTES));
    if (amount === 0n) return undefined;
    balances.set(asset, amount);
    prev = asset;
  }
  return { nonce, balances };
}
