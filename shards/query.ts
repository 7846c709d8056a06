/**
 * Reads for the RPC and the mempool: an account, the fee pool, and an
 * account with its proof against a state root (docs/state-tree.md, Proofs).
 */
import type { Hash32 } from '../core/hash.js';
import {
  FEE_POOL_KEY,
  accountStateKey,
  decodeAccount,
  decodeFeePool,
  emptyAccount,
  stateValueHash,
  type Account,
  type FeePool,
} from './account.js';
import { SparseMerkleTree } from './smt/tree.js';
import { verifySmtProof, type SmtProof } from './smt/proof.js';
import type { StateView } from './state.js';

/** The account of `address` in `view` (an empty account, nonce 0, when absent). */
export function getAccount(view: StateView, address: Uint8Array): Account {
  const v = view.getValue(accountStateKey(address));
  return v === undefined ? emptyAccount() : decodeAccount(v);
}

export function getFeePool(view: StateView): FeePool {
  const v = view.getValue(FEE_POOL_KEY);
  return v === undefined ? { balances: new Map() } : decodeFeePool(v);
}

export interface AccountProof {
  readonly root: Hash32;
  /** The stored value (canonical StateEntry bytes), or null when the account does not exist. */
  readonly value: Uint8Array | null;
  readonly proof: SmtProof;
}

/** The account of `address` with its inclusion (or non-inclusion) proof against `view.root`. */
export function proveAccount(view: StateView, address: Uint8Array): AccountProof {
  const key = accountStateKey(address);
  return {
    root: view.root,
    value: view.getValue(key) ?? null,
    proof: new SparseMerkleTree(view).prove(view.root, key),
  };
}

/** Checks an account proof: `value` (or its absence) is what the state with `root` holds for `address`. */
export function verifyAccountProof(
  root: Hash32,
  address: Uint8Array,
  value: Uint8Array | null,
  proof: SmtProof,
): boolean {
  return verifySmtProof(root, accountStateKey(address), value === null ? null : stateValueHash(value), proof);
}
