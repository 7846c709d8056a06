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
import { readBin, readSmallUint, readUint, type CanonicalCursor } from '../core/canonical-read.js';

const TX_VERSION_BYTE = 0x01;

/**
 * The transaction and signature `own` is the canonical encoding of, with byte
 * fields as views into `own`; undefined when `own` is not recognised (the
 * caller then decodes it the general way).
 */
// The result's type is inferred: it is shards/transaction.ts `Transaction` field for field (that
// module imports this one, so naming the type here would make a cycle).
export function readCanonicalSignedTransaction(own: Uint8Array) {
  if (own.length < 3 || own[0] !== 0x92 || own[1] !== 0x9b || own[2] !== TX_VERSION_BYTE) return undefined;
  const c: CanonicalCursor = { pos: 3, num: 0, big: undefined };
  const chainId = readSmallUint(own, c, 0xffff_ffff);
  if (chainId === undefined) return undefined;
  const shardId = readSmallUint(own, c, 0xffff);
  if (shardId === undefined) return undefined;
  const kind = readSmallUint(own, c, 0xff);
  if (kind === undefined) return undefined;
  const senderPublicKey = readBin(own, c, 32);
  if (senderPublicKey === undefined || !readUint(own, c)) return undefined;
  const nonce = c.big ?? BigInt(c.num);
  const feeBytes = readBin(own, c, 16);
  if (feeBytes === undefined || !readUint(own, c)) return undefined;
  if (c.big !== undefined && c.big > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const expiry = c.num;
  const recipient = readBin(own, c, 20);
  const asset = readBin(own, c, 20);
  const amountBytes = readBin(own, c, 16);
  const signature = readBin(own, c, 64);
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
