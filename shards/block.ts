/**
 * Shard blocks at the payload level: what the node's BlockExecutor calls
 * (docs/transactions.md, Block payload). Proposing builds a payload whose
 * header carries this node's roots; validating re-executes a received
 * payload and accepts it only if every root matches.
 */
import { equalBytes, toHex } from '../core/bytes.js';
import type { Hash32 } from '../core/hash.js';
import { BlockError } from './errors.js';
import {
  buildBlock,
  executeBlock,
  type BlockContext,
  type BuildOptions,
  type ExecuteOptions,
  type ExecutionResult,
} from './execute.js';
import {
  ZERO_BEACON_REF,
  decodeShardPayload,
  encodeShardPayload,
  payloadHeaderDigest,
  transactionsRoot,
  type ShardPayload,
  type ShardPayloadHeader,
} from './payload.js';
import type { StateView } from './state.js';
import type { SignedTransaction } from './transaction.js';

export interface ShardBlockOutcome {
  readonly header: ShardPayloadHeader;
  /** taggedHash('hotshard/payload/v1', header): Block.payloadDigest. */
  readonly digest: Hash32;
  readonly result: ExecutionResult;
}

export interface ProposedShardPayload extends ShardBlockOutcome {
  /** The encoded payload (Block.payload). */
  readonly payload: Uint8Array;
  readonly rejected: readonly { readonly tx: SignedTransaction; readonly error: BlockError }[];
}

function headerFor(ctx: BlockContext, result: ExecutionResult): ShardPayloadHeader {
  return {
    chainId: ctx.chainId,
    shardId: ctx.shardId,
    txCount: result.transactions.length,
    txRoot: result.txRoot,
    stateRoot: result.stateRoot,
    receiptsRoot: result.receiptsRoot,
    outboxRoots: [],
    inboxCursors: [],
    beaconRef: ZERO_BEACON_REF,
  };
}

/** Builds the payload of a new block on `parentView` from mempool `candidates` (BlockExecutor.buildPayload). */
export function proposeShardPayload(
  parentView: StateView,
  candidates: Iterable<SignedTransaction>,
  ctx: BlockContext,
  options: BuildOptions = {},
): ProposedShardPayload {
  const { result, rejected } = buildBlock(parentView, candidates, ctx, options);
  const header = headerFor(ctx, result);
  const payload = encodeShardPayload({ header, transactions: result.transactions });
  return { header, digest: payloadHeaderDigest(header), result, payload, rejected };
}

function mismatch(
  code: 'TX_ROOT_MISMATCH' | 'STATE_ROOT_MISMATCH' | 'RECEIPTS_ROOT_MISMATCH',
  what: string,
  got: Hash32,
  want: Hash32,
): BlockError {
  return new BlockError(code, `${what}: the block says ${toHex(got)}, execution gives ${toHex(want)}`, {
    claimed: toHex(got),
    computed: toHex(want),
  });
}

/**
 * Validates and executes a received payload on `parentView`
 * (BlockExecutor.execute): decodes it, checks the header against the shard
 * and the transactions, executes, and compares the roots. Returns the
 * outcome (its writes go into the block's overlay); throws BlockError when a
 * validator must not vote for the block.
 */
export function executeShardPayload(
  parentView: StateView,
  payload: Uint8Array,
  ctx: BlockContext,
  options: ExecuteOptions = {},
): ShardBlockOutcome {
  return executeDecodedShardPayload(parentView, decodeShardPayload(payload), ctx, options);
}

/** executeShardPayload on a payload already decoded (decodeShardPayload, with the node's known transactions). */
export function executeDecodedShardPayload(
  parentView: StateView,
  decoded: ShardPayload,
  ctx: BlockContext,
  options: ExecuteOptions = {},
): ShardBlockOutcome {
  const { header, transactions } = decoded;
  if (header.chainId !== ctx.chainId)
    throw new BlockError(
      'WRONG_CHAIN',
      `payload is for chain ${header.chainId}, this is chain ${ctx.chainId}`,
    );
  if (header.shardId !== ctx.shardId)
    throw new BlockError(
      'WRONG_SHARD',
      `payload is for shard ${header.shardId}, this is shard ${ctx.shardId}`,
    );
  if (header.txCount !== transactions.length) {
    throw new BlockError(
      'TX_ROOT_MISMATCH',
      `header counts ${header.txCount} transactions, the payload has ${transactions.length}`,
    );
  }
  const txRoot = transactionsRoot(transactions);
  if (!equalBytes(txRoot, header.txRoot))
    throw mismatch('TX_ROOT_MISMATCH', 'transactions root', header.txRoot, txRoot);
  // Cross-shard messages do not exist yet: no outbox, no inbox, no beacon reference.
  if (header.outboxRoots.length !== 0)
    throw new BlockError('OUTBOX_MISMATCH', 'outbox roots must be empty: this shard sends no messages yet');
  if (header.inboxCursors.length !== 0)
    throw new BlockError(
      'INBOX_MISMATCH',
      'inbox cursors must be empty: this shard receives no messages yet',
    );
  if (header.beaconRef.height !== 0 || !equalBytes(header.beaconRef.hash, ZERO_BEACON_REF.hash)) {
    throw new BlockError(
      'BEACON_REF_MISMATCH',
      'the beacon reference must be zero until the beacon chain exists',
    );
  }
  const result = executeBlock(parentView, transactions, ctx, { ...options, txRoot });
  if (!equalBytes(result.stateRoot, header.stateRoot))
    throw mismatch('STATE_ROOT_MISMATCH', 'state root', header.stateRoot, result.stateRoot);
  if (!equalBytes(result.receiptsRoot, header.receiptsRoot)) {
    throw mismatch('RECEIPTS_ROOT_MISMATCH', 'receipts root', header.receiptsRoot, result.receiptsRoot);
  }
  return { header, digest: payloadHeaderDigest(header), result };
}
