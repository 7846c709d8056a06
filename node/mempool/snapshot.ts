/**
 * Memoised account reads for one admission step. The state the mempool
 * checks against changes only at a commit, so within one batch the same
 * sender's nonce and balances are read (and decoded) once, and the values of
 * the checks before signature verification serve again after it, unless a
 * commit came in between.
 */
import { byteKey } from '../../core/bytes.js';
import type { AccountReader } from './types.js';

export class AccountSnapshot implements AccountReader {
  private readonly nonces = new Map<string, bigint>();
  private readonly balances = new Map<string, bigint>();

  constructor(private readonly state: AccountReader) {}

  getNonce(address: Uint8Array): bigint {
    const k = byteKey(address);
    let n = this.nonces.get(k);
    if (n === undefined) {
      n = this.state.getNonce(address);
      this.nonces.set(k, n);
    }
    return n;
  }

  getBalance(address: Uint8Array, asset: Uint8Array): bigint {
    const k = byteKey(address) + byteKey(asset);
    let b = this.balances.get(k);
    if (b === undefined) {
      b = this.state.getBalance(address, asset);
      this.balances.set(k, b);
    }
    return b;
  }
}
