/**
 * The gossip message for transactions: a canonical list of signed
 * transaction bytes (DESIGN.md: transactions travel in batches, not one
 * message each). Version 1: `[1, [tx bytes, ...]]`, each item at most 4 KiB,
 * the whole at most 2 MiB (the gossip cap, the same on every node).
 */
import { bytesMax, decode, encode, list, struct } from '../../core/codec.js';
import { CodecError } from '../../core/errors.js';
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
 * Decodes a gossip batch. Throws MempoolError TOO_LARGE (over 2 MiB) or
 * MALFORMED (anything else that is not the canonical encoding): both REJECT,
 * as an honest node only publishes what `encodeTxBatch` made.
 */
export function decodeTxBatch(bytes: Uint8Array, maxBytes = MAX_GOSSIP_BYTES): Uint8Array[] {
  if (!(bytes instanceof Uint8Array)) throw new MempoolError('MALFORMED', 'a batch is bytes');
  if (bytes.length > maxBytes) {
    throw new MempoolError('TOO_LARGE', `batch of ${bytes.length} bytes exceeds ${maxBytes}`, {
      size: bytes.length,
      max: maxBytes,
    });
  }
  try {
    return decode(txBatchCodec, bytes, maxBytes).txs;
  } catch (err) {
    const code = err instanceof CodecError ? err.code : 'MALFORMED';
    throw new MempoolError('MALFORMED', `not a canonical transaction batch (${code})`, {}, { cause: err });
  }
}
