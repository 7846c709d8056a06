/**
 * The gossip message for transactions: a canonical list of signed
 * transaction bytes (DESIGN.md: transactions travel in batches, not one
 * message each). Version 1: `[1, [tx bytes, ...]]`, each item at most 4 KiB,
 * the whole at most 2 MiB (the gossip cap, the same on every node).
 */
import { bytesMax, decode, encode, list, struct } from '../../core/codec.js';
import { CodecError } from '../../core/errors.js';
import { readArrayLength, type CanonicalCursor } from '../../core/canonical-read.js';
import { MempoolError } from './errors.js';
import { MAX_GOSSIP_BYTES, MAX_TX_BYTES } from './options.js';

export const TX_BATCH_VERSION = 1;
/** More than 2 MiB of the smallest transactions could hold; the byte cap is the real bound. */
export const MAX_BATCH_TXS = 16_384;

const txBatchCodec = struct(
  'TxBatch',
  [['txs', list(bytesMax(MAX_TX_BYTES), MAX_BATCH_TXS)]] as const,
  TX_BATCH_VERSION,
);

/**
 * An upper bound of a batch's encoded size: 8 bytes of headers (array,
 * version, list) plus, per transaction, its bytes and at most 3 bytes of
 * msgpack bin header (bin16 covers 4 KiB).
 */
export const BATCH_OVERHEAD_BYTES = 8;
export const BATCH_ITEM_OVERHEAD_BYTES = 3;

/** Encodes a batch; throws MempoolError TOO_LARGE beyond `maxBytes`, MALFORMED for an item over 4 KiB. */
export function encodeTxBatch(txs: readonly Uint8Array[], maxBytes = MAX_GOSSIP_BYTES): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = encode(txBatchCodec, { txs: [...txs] });
  } catch (err) {
    throw new MempoolError(
      'MALFORMED',
      `cannot encode the batch: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  if (bytes.length > maxBytes) {
    throw new MempoolError('TOO_LARGE', `batch of ${bytes.length} bytes exceeds ${maxBytes}`, {
      size: bytes.length,
      max: maxBytes,
    });
  }
  return bytes;
}

/**
 * The transactions of a batch in its canonical layout, as views into
 * `bytes`; undefined when `bytes` is anything else (decodeTxBatch then runs
 * the general decoder, which accepts it or says what is wrong). The layout:
 * 0x92 0x01, the list header (fixarray below 16 items, array16 from 16),
 * then each item as bin8 (below 256 bytes) or bin16, nothing after. It
 * spares the general decoder's copy of every item and its re-encoding of the
 * whole batch to prove it canonical; a property test checks it against that
 * decoder. The views are only read at once: admission copies each
 * transaction before anything can change the message.
 */
export function readCanonicalTxBatch(bytes: Uint8Array): Uint8Array[] | undefined {
  if (bytes.length < 3 || bytes[0] !== 0x92 || bytes[1] !== TX_BATCH_VERSION) return undefined;
  const c: CanonicalCursor = { pos: 2, num: 0, big: undefined };
  const count = readArrayLength(bytes, c);
  if (count === undefined || count > MAX_BATCH_TXS) return undefined;
  let p = c.pos;
  const out = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    let len: number;
    if (bytes[p] === 0xc4 && p + 2 <= bytes.length) {
      len = bytes[p + 1]!;
      p += 2;
    } else if (bytes[p] === 0xc5 && p + 3 <= bytes.length) {
      len = (bytes[p + 1]! << 8) | bytes[p + 2]!;
      if (len < 0x100 || len > MAX_TX_BYTES) return undefined;
      p += 3;
    } else return undefined;
    if (p + len > bytes.length) return undefined;
    out[i] = bytes.subarray(p, p + len);
    p += len;
  }
  return p === bytes.length ? out : undefined;
}

/**
 * Decodes a gossip batch. Throws MempoolError TOO_LARGE (over 2 MiB) or
 * MALFORMED (anything else that is not the canonical encoding): both REJECT,
 * as an honest node only publishes what `encodeTxBatch` made. The items may
 * be views into `bytes` (readCanonicalTxBatch): read them before `bytes`
 * can change, or copy them (decodeSignedTransaction does).
 */
export function decodeTxBatch(bytes: Uint8Array, maxBytes = MAX_GOSSIP_BYTES): Uint8Array[] {
  if (!(bytes instanceof Uint8Array)) throw new MempoolError('MALFORMED', 'a batch is bytes');
  if (bytes.length > maxBytes) {
    throw new MempoolError('TOO_LARGE', `batch of ${bytes.length} bytes exceeds ${maxBytes}`, {
      size: bytes.length,
      max: maxBytes,
    });
  }
  return readCanonicalTxBatch(bytes) ?? decodeTxBatchByCodec(bytes, maxBytes);
}

/** decodeTxBatch through the general codec (copies of the items): the definition the direct reader is tested against. */
export function decodeTxBatchByCodec(bytes: Uint8Array, maxBytes = MAX_GOSSIP_BYTES): Uint8Array[] {
  try {
    return decode(txBatchCodec, bytes, maxBytes).txs;
  } catch (err) {
    const code = err instanceof CodecError ? err.code : 'MALFORMED';
    throw new MempoolError('MALFORMED', `not a canonical transaction batch (${code})`, {}, { cause: err });
  }
}
