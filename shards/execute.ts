/**
 * Block execution (docs/transactions.md, Execution): a deterministic serial
 * apply of a block's transactions to its parent's state, then one batch
 * update of the state tree.
 *
 * Per transaction, in block order:
 *   1. the stateless checks (tx-validation.ts) and the signature;
 *   2. nonce == the sender's nonce; expiry >= the block timestamp; the
 *      sender's native balance >= fee.
 *   A transaction failing 1 or 2 may not be in a block at all: the block is
 *   invalid (BlockError) and no honest validator votes for it; a proposer
 *   (buildBlock) leaves such transactions out.
 *   3. Otherwise the transaction is in: the fee moves to the shard's fee pool
 *      and the nonce increments, whatever happens next; then the transfer
 *      applies, or fails with a receipt status (insufficient balance,
 *      cross-shard or withdraw not yet supported, recipient overflow) and
 *      changes nothing else.
 */
import type { Hash32 } from '../core/hash.js';
import { toHex } from '../core/bytes.js';
import type { FeeParams, Genesis } from '../genesis/types.js';
import {
  FEE_POOL_KEY,
  U64_MAX,
  accountStateKey,
  balanceOf,
  credit,
  creditProblem,
  debit,
  decodeAccount,
  decodeFeePool,
  emptyAccount,
  encodeAccountRemembered,
  encodeStateEntry,
  isEmptyAccount,
  stateValueHash,
  type Account,
  type FeePool,
} from './account.js';
import { NATIVE_ASSET_ID, assetKey } from './assets.js';
import { ShardMap } from './buckets.js';
import { BlockError, TransactionError } from './errors.js';
import { MAX_BLOCK_TRANSACTIONS, MAX_PAYLOAD_BYTES, transactionsRoot } from './payload.js';
import { ReceiptStatus, encodeReceipt, receiptsRootOfEncoded, type Receipt } from './receipt.js';
import { byteKey } from './smt/node.js';
import { SparseMerkleTree, type SmtChange } from './smt/tree.js';
import type { StateView, StateWrites } from './state.js';
import { checkTransaction, isCrossShard } from './tx-validation.js';
import { TxKind, verifyTransactionSignature, type SignedTransaction } from './transaction.js';

/** The shard's fixed parameters (from genesis). */
export interface ShardParams {
  readonly chainId: number;
  readonly shardId: number;
  readonly shardMap: ShardMap;
  readonly fees: FeeParams;
}

/** What execution needs to know about the block. */
export interface BlockContext extends ShardParams {
  readonly height: number;
  /** The consensus block's timestamp (ms); a transaction with expiry < timestamp may not be included. */
  readonly timestamp: number;
}

export function shardParamsFromGenesis(g: Genesis, shardId: number): ShardParams {
  if (!Number.isInteger(shardId) || shardId < 0 || shardId >= g.shardCount) {
    throw new BlockError(
      'WRONG_SHARD',
      `shard ${shardId} does not exist (the genesis has ${g.shardCount} shards)`,
    );
  }
  return { chainId: g.chainId, shardId, shardMap: ShardMap.fromGenesis(g), fees: g.fees };
}

export interface ExecuteOptions {
  /**
   * Whether the signature of `tx` is valid. The node answers from its
   * verification cache (filled by the worker pool, keyed by tx.hash);
   * the default verifies here, serially, with core's `verify`.
   */
  readonly isSignatureValid?: (tx: SignedTransaction) => boolean;
  /** transactionsRoot(txs) when the caller computed it already (a received payload checks it first). */
  readonly txRoot?: Hash32;
}

export interface ExecutionResult {
  /** The block's state writes (values, tree nodes, new root): an overlay's content. */
  readonly writes: StateWrites;
  readonly stateRoot: Hash32;
  /** The transactions executed, in block order (for buildBlock: the ones selected). */
  readonly transactions: readonly SignedTransaction[];
  /** One per transaction, same order. */
  readonly receipts: readonly Receipt[];
  /** The receipts' canonical encodings, same order: hashed into the root here, stored at commit. */
  readonly encodedReceipts: readonly Uint8Array[];
  readonly receiptsRoot: Hash32;
  readonly txRoot: Hash32;
}

interface LoadedAccount {
  readonly address: Uint8Array;
  readonly key: Hash32;
  readonly account: Account;
  dirty: boolean;
}

/** The block's working copy of the accounts it touches, over the parent's view. */
class WorkingState {
  private readonly accounts = new Map<string, LoadedAccount>();
  private pool: FeePool | null = null;
  private poolDirty = false;

  constructor(private readonly view: StateView) {}

  load(address: Uint8Array): LoadedAccount {
    const k = byteKey(address);
    let a = this.accounts.get(k);
    if (a === undefined) {
      const key = accountStateKey(address);
      const bytes = this.view.getValue(key);
      a = {
        address,
        key,
        account: bytes === undefined ? emptyAccount() : decodeAccount(bytes),
        dirty: false,
      };
      this.accounts.set(k, a);
    }
    return a;
  }

  feePool(): FeePool {
    if (this.pool === null) {
      const bytes = this.view.getValue(FEE_POOL_KEY);
      this.pool = bytes === undefined ? { balances: new Map() } : decodeFeePool(bytes);
    }
    this.poolDirty = true;
    return this.pool;
  }

  /** Encodes every changed entry and updates the state tree once. */
  finish(): StateWrites {
    const changes: SmtChange[] = [];
    const values: StateWrites['values'] = new Map();
    const put = (key: Hash32, value: Uint8Array | null): void => {
      changes.push({ key, valueHash: value === null ? null : stateValueHash(value) });
      values.set(byteKey(key), { key, value });
    };
    for (const a of this.accounts.values()) {
      if (a.dirty) put(a.key, isEmptyAccount(a.account) ? null : encodeAccountRemembered(a.account));
    }
    if (this.poolDirty && this.pool !== null)
      put(FEE_POOL_KEY, encodeStateEntry({ type: 'feePool', value: this.pool }));
    const { root, nodes } = new SparseMerkleTree(this.view).update(this.view.root, changes);
    return { root, values, nodes };
  }
}

const NATIVE = assetKey(NATIVE_ASSET_ID);

function invalid(
  code: ConstructorParameters<typeof BlockError>[0],
  index: number,
  stx: SignedTransaction,
  msg: string,
  cause?: unknown,
): BlockError {
  return new BlockError(
    code,
    `transaction ${index} (${toHex(stx.hash)}): ${msg}`,
    { txIndex: index, txHash: toHex(stx.hash) },
    { cause },
  );
}

/**
 * Checks whether `stx` may be in the block at all (steps 1 and 2); returns the
 * reason it may not, or null. Reads state, changes nothing.
 */
function admissionError(
  ws: WorkingState,
  stx: SignedTransaction,
  index: number,
  ctx: BlockContext,
  sigOk: (t: SignedTransaction) => boolean,
): BlockError | null {
  const bad: TransactionError | null = checkTransaction(stx, ctx);
  if (bad !== null) return invalid('INVALID_TRANSACTION', index, stx, bad.message, bad);
  if (!sigOk(stx)) return invalid('BAD_SIGNATURE', index, stx, 'the signature does not verify');
  const tx = stx.tx;
  const sender = ws.load(stx.sender).account;
  if (tx.nonce !== sender.nonce) {
    const what = tx.nonce < sender.nonce ? 'already used (a replay)' : 'ahead of the account (a gap)';
    return invalid(
      'NONCE_MISMATCH',
      index,
      stx,
      `nonce ${tx.nonce} is ${what}; the account's nonce is ${sender.nonce}`,
    );
  }
  if (sender.nonce === U64_MAX)
    return invalid('NONCE_MISMATCH', index, stx, 'the account has used every nonce');
  if (tx.expiry < ctx.timestamp)
    return invalid(
      'EXPIRED',
      index,
      stx,
      `expired at ${tx.expiry}, the block's timestamp is ${ctx.timestamp}`,
    );
  const native = balanceOf(sender.balances, NATIVE);
  if (native < tx.fee)
    return invalid(
      'CANNOT_PAY_FEE',
      index,
      stx,
      `fee ${tx.fee} exceeds the sender's native balance ${native}`,
    );
  return null;
}

/** Step 3: charges the fee, consumes the nonce and applies the transaction. Returns its receipt. */
function apply(ws: WorkingState, stx: SignedTransaction, ctx: BlockContext): Receipt {
  const tx = stx.tx;
  const sender = ws.load(stx.sender);
  sender.dirty = true;
  debit(sender.account.balances, NATIVE, tx.fee);
  sender.account.nonce += 1n;
  credit(ws.feePool().balances, NATIVE, tx.fee); // cannot overflow: the native supply fits a u128
  const receipt = (status: number): Receipt => ({ txHash: stx.hash, status, feeCharged: tx.fee });

  if (tx.kind === TxKind.withdraw) return receipt(ReceiptStatus.WITHDRAW_NOT_SUPPORTED);
  if (isCrossShard(tx, ctx)) return receipt(ReceiptStatus.CROSS_SHARD_NOT_SUPPORTED);
  const asset = assetKey(tx.asset);
  if (balanceOf(sender.account.balances, asset) < tx.amount)
    return receipt(ReceiptStatus.INSUFFICIENT_BALANCE);
  const recipient = ws.load(tx.recipient);
  if (recipient !== sender) {
    const problem = creditProblem(recipient.account.balances, asset, tx.amount);
    if (problem === 'OVERFLOW') return receipt(ReceiptStatus.RECIPIENT_OVERFLOW);
    if (problem === 'TOO_MANY_ASSETS') return receipt(ReceiptStatus.RECIPIENT_TOO_MANY_ASSETS);
  }
  debit(sender.account.balances, asset, tx.amount);
  credit(recipient.account.balances, asset, tx.amount);
  recipient.dirty = true;
  return receipt(ReceiptStatus.SUCCESS);
}

function finishResult(
  ws: WorkingState,
  txs: readonly SignedTransaction[],
  receipts: Receipt[],
  txRoot?: Hash32,
): ExecutionResult {
  const writes = ws.finish();
  const encodedReceipts = receipts.map(encodeReceipt);
  return {
    writes,
    stateRoot: writes.root,
    transactions: txs,
    receipts,
    encodedReceipts,
    receiptsRoot: receiptsRootOfEncoded(encodedReceipts),
    txRoot: txRoot ?? transactionsRoot(txs),
  };
}

/**
 * Executes a proposed block's transactions on `view` (the parent's state).
 * Deterministic: the same view, transactions and context give the same
 * writes and roots on every node. Throws BlockError when the block is
 * invalid (a transaction that may not be in a block, or beyond the limits).
 */
export function executeBlock(
  view: StateView,
  txs: readonly SignedTransaction[],
  ctx: BlockContext,
  options: ExecuteOptions = {},
): ExecutionResult {
  if (txs.length > MAX_BLOCK_TRANSACTIONS) {
    throw new BlockError(
      'TOO_MANY_TRANSACTIONS',
      `${txs.length} transactions, at most ${MAX_BLOCK_TRANSACTIONS}`,
    );
  }
  const sigOk = options.isSignatureValid ?? verifyTransactionSignature;
  const ws = new WorkingState(view);
  const receipts: Receipt[] = [];
  txs.forEach((stx, i) => {
    const err = admissionError(ws, stx, i, ctx, sigOk);
    if (err !== null) throw err;
    receipts.push(apply(ws, stx, ctx));
  });
  return finishResult(ws, txs, receipts, options.txRoot);
}

export interface BuildOptions extends ExecuteOptions {
  /** Default and maximum: 2,000. */
  readonly maxTransactions?: number;
  /** Budget for the encoded payload; default and maximum: 1 MiB. */
  readonly maxPayloadBytes?: number;
}

export interface BuildResult {
  readonly result: ExecutionResult;
  /** Candidates left out, with the reason (a mempool drops replays, bad signatures, expired; keeps nonce gaps for later). */
  readonly rejected: readonly { readonly tx: SignedTransaction; readonly error: BlockError }[];
}

// Room for the payload header and msgpack framing of the list (generous: the header is under 300 bytes today).
const PAYLOAD_OVERHEAD = 4096;
// A byte string of up to 4 KiB is framed by msgpack bin8/bin16: at most 3 bytes.
const PER_TX_OVERHEAD = 3;

/**
 * Builds a block as a proposer: takes `candidates` in order (the mempool's
 * order: by sender, nonces ascending), executes each that may be in a block,
 * leaves out the others, and stops at the block limits.
 */
export function buildBlock(
  view: StateView,
  candidates: Iterable<SignedTransaction>,
  ctx: BlockContext,
  options: BuildOptions = {},
): BuildResult {
  const maxTxs = Math.min(options.maxTransactions ?? MAX_BLOCK_TRANSACTIONS, MAX_BLOCK_TRANSACTIONS);
  const maxBytes =
    Math.min(options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES) - PAYLOAD_OVERHEAD;
  const sigOk = options.isSignatureValid ?? verifyTransactionSignature;
  const ws = new WorkingState(view);
  const included: SignedTransaction[] = [];
  const receipts: Receipt[] = [];
  const rejected: { tx: SignedTransaction; error: BlockError }[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (const stx of candidates) {
    if (included.length >= maxTxs) break;
    if (bytes + stx.bytes.length + PER_TX_OVERHEAD > maxBytes) continue; // a smaller one may still fit
    const h = byteKey(stx.hash);
    if (seen.has(h)) continue;
    const err = admissionError(ws, stx, included.length, ctx, sigOk);
    if (err !== null) {
      rejected.push({ tx: stx, error: err });
      continue;
    }
    seen.add(h);
    receipts.push(apply(ws, stx, ctx));
    included.push(stx);
    bytes += stx.bytes.length + PER_TX_OVERHEAD;
  }
  return { result: finishResult(ws, included, receipts), rejected };
}
