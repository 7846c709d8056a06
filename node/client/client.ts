/**
 * A typed client for a validator's JSON-RPC (the hs_* methods of
 * .team/NODE-CONTRACT.md), shared by the CLI, the benchmark and the tests.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { toHex } from '../../core/bytes.js';
import { RpcError } from './errors.js';
import { JsonRpcTransport, type RpcCall, type RpcOutcome, type TransportOptions } from './transport.js';
import {
  parseAccount,
  parseBlock,
  parseReceipt,
  parseSendResult,
  parseStatus,
  type AccountView,
  type BlockView,
  type ReceiptView,
  type SendResult,
  type StatusView,
} from './views.js';

export interface WaitOptions {
  /** Give up after this many milliseconds (TIMEOUT). */
  readonly timeoutMs?: number;
  /** Time between polls. */
  readonly pollMs?: number;
  /** Stops waiting early (the caller's Ctrl-C). */
  readonly signal?: AbortSignal;
}

const DEFAULT_WAIT_MS = 30_000;
const DEFAULT_POLL_MS = 100;
/** The longest single hs_waitForBlock call of waitForReceipt (the node accepts up to 25 s). */
const MAX_BLOCK_WAIT_SLICE_MS = 5_000;
/** JSON-RPC "method not found": a node older than hs_waitForBlock. */
const METHOD_NOT_FOUND = -32601;

function hexOf(tx: Uint8Array | string): string {
  return typeof tx === 'string' ? (tx.startsWith('0x') ? tx : '0x' + tx) : '0x' + toHex(tx);
}

export class HotshardClient {
  private readonly transport: JsonRpcTransport;

  constructor(url: string, options: TransportOptions = {}) {
    this.transport = new JsonRpcTransport(url, options);
  }

  get url(): string {
    return this.transport.url.href;
  }

  /** Any method, untyped: for methods this client does not wrap. */
  call(method: string, params: readonly unknown[] = []): Promise<unknown> {
    return this.transport.call(method, params);
  }

  batch(calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
    return this.transport.batch(calls);
  }

  async status(): Promise<StatusView> {
    return parseStatus(await this.transport.call('hs_status', []));
  }

  /** Submits a signed transaction (its canonical bytes); resolves to its hash once the mempool accepted it. */
  async sendTransaction(tx: Uint8Array | string): Promise<SendResult> {
    return parseSendResult(await this.transport.call('hs_sendTransaction', [hexOf(tx)]));
  }

  /**
   * Submits many transactions in one JSON-RPC batch; each outcome is a hash
   * or the error of that transaction alone.
   */
  async sendTransactions(txs: readonly (Uint8Array | string)[]): Promise<Array<SendResult | RpcError>> {
    const outcomes = await this.transport.batch(
      txs.map((t) => ({ method: 'hs_sendTransaction', params: [hexOf(t)] })),
    );
    return outcomes.map((o) => (o.ok ? parseSendResult(o.result) : o.error));
  }

  async getAccount(address: string, options: { proof?: boolean } = {}): Promise<AccountView> {
    const params: unknown[] = options.proof ? [address, { proof: true }] : [address];
    return parseAccount(await this.transport.call('hs_getAccount', params));
  }

  async getBlockByHeight(height: number): Promise<BlockView | null> {
    return parseBlock(await this.transport.call('hs_getBlockByHeight', [height]));
  }

  /**
   * The committed block at `height` as soon as it is committed, or null when
   * the node's wait (`timeoutMs`, at most 25,000) ends first. Answered at
   * once when the block is committed already.
   */
  async waitForBlock(height: number, timeoutMs?: number): Promise<BlockView | null> {
    const params = timeoutMs === undefined ? [height] : [height, timeoutMs];
    return parseBlock(await this.transport.call('hs_waitForBlock', params));
  }

  /** Blocks `from..to` (inclusive), in batches of 100 calls; null where a block is missing. */
  async getBlocksByHeight(from: number, to: number): Promise<Array<BlockView | null>> {
    const out: Array<BlockView | null> = [];
    for (let h = from; h <= to; h += 100) {
      const heights = Array.from({ length: Math.min(100, to - h + 1) }, (_, i) => h + i);
      const outcomes = await this.transport.batch(
        heights.map((x) => ({ method: 'hs_getBlockByHeight', params: [x] })),
      );
      for (const o of outcomes) {
        if (!o.ok) throw o.error;
        out.push(parseBlock(o.result));
      }
    }
    return out;
  }

  async getBlockByHash(hash: string): Promise<BlockView | null> {
    return parseBlock(await this.transport.call('hs_getBlockByHash', [hash]));
  }

  async getReceipt(txHash: string): Promise<ReceiptView | null> {
    return parseReceipt(await this.transport.call('hs_getReceipt', [txHash]));
  }

  /** Receipts of many transactions in one batch (null while not committed). */
  async getReceipts(txHashes: readonly string[]): Promise<Array<ReceiptView | null | RpcError>> {
    const outcomes = await this.transport.batch(
      txHashes.map((h) => ({ method: 'hs_getReceipt', params: [h] })),
    );
    return outcomes.map((o) => (o.ok ? parseReceipt(o.result) : o.error));
  }

  /**
   * Waits until the transaction has a receipt, i.e. it is committed. Between
   * two reads of the receipt it waits for the next committed block
   * (hs_waitForBlock), so it answers as soon as the block holding the
   * transaction is committed; a node without that method is polled every
   * `pollMs`.
   */
  async waitForReceipt(txHash: string, options: WaitOptions = {}): Promise<ReceiptView> {
    // The height to wait for next, read before the first receipt read: a commit in between is not missed.
    let next: number | null = (await this.status()).committedHeight + 1;
    const untilNextBlock = async (leftMs: number, pollMs: number): Promise<void> => {
      if (next === null) return sleep(pollMs); // an older node: poll
      // Each wait ends well inside the transport's own timeout, which would otherwise fail the call.
      const slice = Math.min(leftMs, MAX_BLOCK_WAIT_SLICE_MS, Math.floor(this.transport.timeoutMs / 2));
      try {
        const block = await this.waitForBlock(next, slice);
        if (block !== null) next = block.height + 1;
      } catch (err) {
        if (!(err instanceof RpcError) || err.context.rpcCode !== METHOD_NOT_FOUND) throw err;
        next = null;
      }
    };
    return this.poll(`the receipt of ${txHash}`, options, () => this.getReceipt(txHash), untilNextBlock);
  }

  /** Polls until the committed height reaches `height`; resolves to the status that showed it. */
  async waitForCommittedHeight(height: number, options: WaitOptions = {}): Promise<StatusView> {
    return this.poll(`committed height ${height} on ${this.url}`, options, async () => {
      const s = await this.status();
      return s.committedHeight >= height ? s : null;
    });
  }

  /** Closes idle connections. */
  close(): void {
    this.transport.close();
  }

  /**
   * Probes until `probe` answers, `pause` between two probes (by default
   * `pollMs`); TIMEOUT when `timeoutMs` passes or the signal aborts.
   */
  private async poll<T>(
    what: string,
    options: WaitOptions,
    probe: () => Promise<T | null>,
    pause: (leftMs: number, pollMs: number) => Promise<void> = (_, pollMs) => sleep(pollMs),
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (options.signal?.aborted) {
        throw new RpcError('TIMEOUT', `stopped waiting for ${what}`, { url: this.url });
      }
      const got = await probe();
      if (got !== null) return got;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RpcError(
          'TIMEOUT',
          `waited ${timeoutMs} ms for ${what}; the network may be stalled (check \`hotshard status\`) or the wait too short`,
          { url: this.url },
        );
      }
      await pause(left, pollMs);
    }
  }
}
