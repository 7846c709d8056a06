/**
 * The deposit watcher (DESIGN.md, Bridge to Ethereum): validators read deposits only from Ethereum's
 * finalized blocks, so what they attest never reorgs. It yields deposits in nonce order and checks each
 * against the hash chain h[n], so a skipped or altered deposit is caught rather than passed on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Address, Hex } from 'viem';
import type { BridgeContract } from './contract.js';
import { GENESIS_DEPOSIT_HASH, nextDepositHash, type Deposit } from './deposits.js';
import { BridgeError } from './errors.js';
import { readEvents, DEFAULT_MAX_BLOCK_RANGE } from './events.js';
import { toBridgeError } from './l1.js';

export interface ObservedDeposit extends Deposit {
  /** h[nonce], as the contract computed it and this watcher re-computed it. */
  readonly hash: Hex;
  readonly blockNumber: bigint;
  readonly blockHash: Hex;
  readonly transactionHash: Hex;
}

/** What a validator attests: the finalized Ethereum block it has read up to, and the deposits up to it. */
export interface FinalizedView {
  readonly blockNumber: bigint;
  readonly blockHash: Hex;
  readonly lastNonce: bigint;
  readonly lastHash: Hex;
  /** The deposits new since the previous poll, in nonce order. */
  readonly deposits: readonly ObservedDeposit[];
}

export interface DepositWatcherOptions {
  /** The first block to read (the deployment's block). */
  readonly fromBlock: bigint;
  /** Resume after this nonce, whose h is `lastHash` (default: from the start). */
  readonly lastNonce?: bigint;
  readonly lastHash?: Hex;
  readonly pollIntervalMs?: number;
  readonly maxBlockRange?: bigint;
}

export class DepositWatcher {
  private nextBlock: bigint;
  private lastNonce: bigint;
  private lastHash: Hex;
  private finalized: { number: bigint; hash: Hex } | undefined;

  constructor(
    private readonly bridge: BridgeContract,
    private readonly opts: DepositWatcherOptions,
  ) {
    this.nextBlock = opts.fromBlock;
    this.lastNonce = opts.lastNonce ?? 0n;
    this.lastHash = opts.lastHash ?? GENESIS_DEPOSIT_HASH;
  }

  /** Reads the deposits of the blocks finalized since the last poll. */
  async poll(): Promise<FinalizedView> {
    let block;
    try {
      block = await this.bridge.l1.public.getBlock({ blockTag: 'finalized' });
    } catch (err) {
      throw toBridgeError(err, 'reading the finalized block');
    }
    const deposits: ObservedDeposit[] = [];
    if (block.number !== null && block.hash !== null && block.number >= this.nextBlock) {
      const logs = await readEvents(
        this.bridge,
        'Deposited',
        this.nextBlock,
        block.number,
        this.opts.maxBlockRange ?? DEFAULT_MAX_BLOCK_RANGE,
      );
      const found = logs
        .map((l): ObservedDeposit => {
          const a = l.args as {
            nonce: bigint;
            token: Address;
            sender: Address;
            recipient: Hex;
            amount: bigint;
            depositHash: Hex;
          };
          return {
            nonce: a.nonce,
            token: a.token,
            sender: a.sender,
            recipient: a.recipient,
            amount: a.amount,
            hash: a.depositHash,
            blockNumber: l.blockNumber,
            blockHash: l.blockHash,
            transactionHash: l.transactionHash,
          };
        })
        .sort((x, y) => (x.nonce < y.nonce ? -1 : x.nonce > y.nonce ? 1 : 0));
      for (const d of found) {
        if (d.nonce <= this.lastNonce) continue; // resumed inside a block range already read
        if (d.nonce !== this.lastNonce + 1n) {
          throw new BridgeError(
            'DEPOSIT_GAP',
            `deposit ${this.lastNonce + 1n} is missing before ${d.nonce}`,
            {
              expected: (this.lastNonce + 1n).toString(),
              found: d.nonce.toString(),
            },
          );
        }
        const h = nextDepositHash(this.lastHash, d);
        if (h !== d.hash) {
          throw new BridgeError(
            'DEPOSIT_GAP',
            `deposit ${d.nonce} does not chain: computed ${h}, the contract says ${d.hash}`,
          );
        }
        deposits.push(d);
        this.lastNonce = d.nonce;
        this.lastHash = h;
      }
      this.nextBlock = block.number + 1n;
      this.finalized = { number: block.number, hash: block.hash };
    }
    const f = this.finalized ?? { number: this.nextBlock - 1n, hash: GENESIS_DEPOSIT_HASH };
    return {
      blockNumber: f.number,
      blockHash: f.hash,
      lastNonce: this.lastNonce,
      lastHash: this.lastHash,
      deposits,
    };
  }

  /** Deposits one by one in nonce order, as their blocks finalize, until `signal` aborts. */
  async *deposits(signal?: AbortSignal): AsyncGenerator<ObservedDeposit> {
    while (signal?.aborted !== true) {
      const view = await this.poll();
      for (const d of view.deposits) yield d;
      if (view.deposits.length === 0) {
        try {
          await sleep(this.opts.pollIntervalMs ?? 2_000, undefined, { signal });
        } catch {
          return; // aborted
        }
      }
    }
  }
}
