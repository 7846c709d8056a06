/**
 * An AccountReader over a state (the committed state for the mempool, or a
 * parent block's state while building a block), with the decoded accounts
 * cached: admission asks for a sender's nonce and balances on every
 * transaction, and re-validation after each commit asks again for every
 * sender the commit touched. Decoding an account (canonical decode, checked
 * by re-encoding) costs more than the lookup, so decoded accounts are kept
 * and dropped when a commit changes them (Chain calls `invalidate` once the
 * commit is written, before the mempool re-validates).
 */
import { accountStateKey, balanceOf, decodeAccount, type Account } from '../../shards/account.js';
import { assetKey } from '../../shards/assets.js';
import { byteKey } from '../../shards/smt/node.js';
import type { StateReader } from '../../shards/state.js';
import type { AccountReader } from '../mempool/types.js';
import { makeRoom } from '../../core/bounded-map.js';

/** Senders held decoded: a few times the mempool's distinct senders under load. */
export const DEFAULT_ACCOUNT_CACHE = 50_000;

export class CommittedAccounts implements AccountReader {
  /** By byteKey(state key); null = no account. */
  private readonly cache = new Map<string, Account | null>();

  constructor(
    private readonly committed: StateReader,
    private readonly capacity = DEFAULT_ACCOUNT_CACHE,
  ) {}

  getNonce(address: Uint8Array): bigint {
    return this.account(address)?.nonce ?? 0n;
  }

  getBalance(address: Uint8Array, asset: Uint8Array): bigint {
    const a = this.account(address);
    return a === null ? 0n : balanceOf(a.balances, assetKey(asset));
  }

  /** Forgets the accounts whose state keys a commit wrote. */
  invalidate(stateKeys: Iterable<Uint8Array>): void {
    for (const k of stateKeys) this.cache.delete(byteKey(k));
  }

  private account(address: Uint8Array): Account | null {
    const stateKey = accountStateKey(address);
    const k = byteKey(stateKey);
    const hit = this.cache.get(k);
    if (hit !== undefined) return hit;
    const bytes = this.committed.getValue(stateKey);
    const a = bytes === undefined ? null : decodeAccount(bytes);
    makeRoom(this.cache, this.capacity);
    this.cache.set(k, a);
    return a;
  }
}
