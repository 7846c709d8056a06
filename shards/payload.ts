/**
 * The shard block payload (docs/transactions.md, Block payload): the shard's
 * header fields beyond the consensus header, and the signed transactions.
 *
 *   ShardPayloadHeader = [version 1, chainId u32, shardId u16, txCount u16,
 *                         txRoot, stateRoot, receiptsRoot,
 *                         outboxRoots [[destination u16, root]...],
 *                         inboxCursors [[source u16, nextSeq u64]...],
 *                         beaconRef [height uint, hash]]
 *   ShardPayload       = [version 1, header, [signed tx bytes...]]
 *
 * payloadDigest = taggedHash('hotshard/payload/v1', encode(header)): the
 * block id commits to it (consensus Block.payloadDigest), so a state root,
 * receipts root or a transaction (through txRoot and txCount) can be proven
 * with the consensus header and this header alone.
 */
import { bytes32, bytesMax, decode, encode, list, struct, u16, u32, u64, uint } from '../core/codec.js';
import { CodecError } from '../core/errors.js';
import { equalBytes } from '../core/bytes.js';
import { Tags, taggedHash, type Hash32 } from '../core/hash.js';
import { merkleRoot } from '../core/merkle.js';
import { BlockError, TransactionError } from './errors.js';
import { MAX_TX_BYTES, decodeSignedTransaction, type SignedTransaction } from './transaction.js';

export const PAYLOAD_VERSION = 1;
/** Block limits (DESIGN.md, Defaults): 2,000 transactions or 1 MiB. */
export const MAX_BLOCK_TRANSACTIONS = 2000;
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Lanes are per (source, destination) pair: at most one entry per shard plus Ethereum. */
const MAX_LANES = 1025;

export interface BeaconRef {
  readonly height: number;
  readonly hash: Hash32;
}

/** No beacon block referenced (before cross-shard messages exist). */
export const ZERO_BEACON_REF: BeaconRef = { height: 0, hash: new Uint8Array(32) };

export interface ShardPayloadHeader {
  readonly chainId: number;
  readonly shardId: number;
  readonly txCount: number;
  /** core merkleRoot over the transaction hashes, in block order. */
  readonly txRoot: Hash32;
  /** Root of the state tree after the block. */
  readonly stateRoot: Hash32;
  readonly receiptsRoot: Hash32;
  /** Cumulative outbox root per destination lane (empty until cross-shard messages exist). */
  readonly outboxRoots: readonly { readonly lane: number; readonly root: Hash32 }[];
  /** Next expected seq per source lane (empty until cross-shard messages exist). */
  readonly inboxCursors: readonly { readonly lane: number; readonly nextSeq: bigint }[];
  /** The committed beacon block this block builds on (zero until the beacon chain exists). */
  readonly beaconRef: BeaconRef;
}

export const payloadHeaderCodec = struct(
  'ShardPayloadHeader',
  [
    ['chainId', u32],
    ['shardId', u16],
    ['txCount', u16],
    ['txRoot', bytes32],
    ['stateRoot', bytes32],
    ['receiptsRoot', bytes32],
    [
      'outboxRoots',
      list(
        struct('OutboxRoot', [
          ['lane', u16],
          ['root', bytes32],
        ]),
        MAX_LANES,
      ),
    ],
    [
      'inboxCursors',
      list(
        struct('InboxCursor', [
          ['lane', u16],
          ['nextSeq', u64],
        ]),
        MAX_LANES,
      ),
    ],
    [
      'beaconRef',
      struct('BeaconRef', [
        ['height', uint],
        ['hash', bytes32],
      ]),
    ],
  ],
  PAYLOAD_VERSION,
);

const payloadCodec = struct(
  'ShardPayload',
  [
    ['header', payloadHeaderCodec],
    ['transactions', list(bytesMax(MAX_TX_BYTES), MAX_BLOCK_TRANSACTIONS)],
  ],
  PAYLOAD_VERSION,
);

/**
 * Transactions already decoded, by hash (a node's mempool): a payload's
 * transaction found there is taken as it is instead of being decoded again.
 */
export type KnownTransactions = (hash: Hash32) => SignedTransaction | undefined;

export interface ShardPayload {
  readonly header: ShardPayloadHeader;
  readonly transactions: readonly SignedTransaction[];
}

/** The transactions root: core merkleRoot over the transaction hashes. */
export function transactionsRoot(txs: readonly SignedTransaction[]): Hash32 {
  return merkleRoot(txs.map((t) => t.hash));
}

export function encodePayloadHeader(h: ShardPayloadHeader): Uint8Array {
  return encode(payloadHeaderCodec, {
    ...h,
    outboxRoots: [...h.outboxRoots],
    inboxCursors: [...h.inboxCursors],
  });
}

/** taggedHash('hotshard/payload/v1', encode(header)). */
export function payloadHeaderDigest(h: ShardPayloadHeader): Hash32 {
  return taggedHash(Tags.payload, encodePayloadHeader(h));
}

/** Encodes a payload; throws BlockError when it is beyond the block limits. */
export function encodeShardPayload(p: ShardPayload): Uint8Array {
  if (p.transactions.length > MAX_BLOCK_TRANSACTIONS) {
    throw new BlockError(
      'TOO_MANY_TRANSACTIONS',
      `${p.transactions.length} transactions, at most ${MAX_BLOCK_TRANSACTIONS}`,
    );
  }
  // A copy: the codec's output is a view into a shared buffer of the packer, which a block kept
  // for long would pin whole (about 800 KB).
  const bytes = encode(payloadCodec, {
    header: { ...p.header, outboxRoots: [...p.header.outboxRoots], inboxCursors: [...p.header.inboxCursors] },
    transactions: p.transactions.map((t) => t.bytes),
  }).slice();
  if (bytes.length > MAX_PAYLOAD_BYTES)
    throw new BlockError(
      'PAYLOAD_TOO_LARGE',
      `payload of ${bytes.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`,
    );
  return bytes;
}

/**
 * Decodes a payload and each of its transactions. Throws BlockError
 * (PAYLOAD_TOO_LARGE, TOO_MANY_TRANSACTIONS or MALFORMED_PAYLOAD with the
 * index of a malformed transaction). Does not check the roots: see
 * executeShardPayload.
 */
export function decodeShardPayload(bytes: Uint8Array, known?: KnownTransactions): ShardPayload {
  const w = decodePayloadWire(bytes);
  const transactions = w.transactions.map((b, i) => {
    const hash = taggedHash(Tags.transaction, b);
    // The same hash means the same bytes (SHA-256), already decoded canonically by whoever holds them.
    const pooled = known?.(hash);
    if (pooled !== undefined && equalBytes(pooled.bytes, b)) return pooled;
    try {
      return decodeSignedTransaction(b, hash);
    } catch (err) {
      if (err instanceof TransactionError) {
        throw new BlockError(
          'MALFORMED_PAYLOAD',
          `transaction ${i}: ${err.message}`,
          { txIndex: i },
          { cause: err },
        );
      }
      throw err;
    }
  });
  return { header: w.header, transactions };
}

function decodePayloadWire(bytes: Uint8Array): { header: ShardPayloadHeader; transactions: Uint8Array[] } {
  if (!(bytes instanceof Uint8Array)) throw new BlockError('MALFORMED_PAYLOAD', 'payload must be bytes');
  if (bytes.length > MAX_PAYLOAD_BYTES)
    throw new BlockError(
      'PAYLOAD_TOO_LARGE',
      `payload of ${bytes.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`,
    );
  let w;
  try {
    w = decode(payloadCodec, bytes, MAX_PAYLOAD_BYTES);
  } catch (err) {
    if (err instanceof CodecError) {
      const tooMany = err.code === 'LENGTH' && err.context.path === 'transactions';
      throw new BlockError(
        tooMany ? 'TOO_MANY_TRANSACTIONS' : 'MALFORMED_PAYLOAD',
        `payload encoding: ${err.message}`,
        {},
        { cause: err },
      );
    }
    throw err;
  }
  return w;
}

/** The digest the consensus block commits to (BlockExecutor.payloadDigest). Throws BlockError on a malformed payload. */
export function payloadDigest(payloadBytes: Uint8Array): Hash32 {
  return payloadHeaderDigest(decodePayloadWire(payloadBytes).header);
}
