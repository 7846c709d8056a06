/**
 * Accounts and the other entries of the shard state (docs/state-tree.md,
 * State entries).
 *
 * An account is a nonce and a balance per asset. Balances are bigint in
 * [0, 2^128 - 1]; every credit and debit is checked and fails with a typed
 * error instead of wrapping. An account has at most MAX_ASSETS_PER_ACCOUNT
 * non-zero balances, so an account's encoding stays small.
 *
 * A state value is the canonical encoding of a StateEntry, a tagged union so
 * that each stored value says what it is: an account, or the shard's fee
 * pool (where fees go, docs/transactions.md). Later kinds (lane totals, inbox
 * cursors) are appended as new variants.
 */
import { bytes20, decode, encode, list, struct, u64, u128, union, U128_MAX } from '../core/codec.js';
import { CodecError } from '../core/errors.js';
import { byteKey, fromHex, toHex } from '../core/bytes.js';
import { taggedHash, type Hash32 } from '../core/hash.js';
import { makeRoom } from '../core/bounded-map.js';
import { StateError } from './errors.js';
import { readAccountEntry, writeAccountEntry } from './account-wire.js';

export const MAX_ASSETS_PER_ACCOUNT = 256;
export const U64_MAX = (1n << 64n) - 1n;

/** Balances by asset (key: lower-case hex of the asset id, see assetKey); zero balances are absent. */
export type Balances = Map<string, bigint>;

export interface Account {
  nonce: bigint;
  balances: Balances;
}

/** The fee pool: fees collected by this shard, per asset (native only today). */
export interface FeePool {
  balances: Balances;
}

export type StateEntry = { type: 'account'; value: Account } | { type: 'feePool'; value: FeePool };

const balanceListCodec = list(
  struct('Balance', [
    ['asset', bytes20],
    ['amount', u128],
  ]),
  MAX_ASSETS_PER_ACCOUNT,
);
const accountWire = struct(
  'Account',
  [
    ['nonce', u64],
    ['balances', balanceListCodec],
  ],
  1,
);
const feePoolWire = struct('FeePool', [['balances', balanceListCodec]], 1);
const stateEntryWire = union('StateEntry', { account: accountWire, feePool: feePoolWire });

// Domain tags of state keys and values (docs/state-tree.md).
export const ACCOUNT_KEY_TAG = 'hotshard/state-key/account/v1';
export const FEE_POOL_KEY_TAG = 'hotshard/state-key/fee-pool/v1';
export const STATE_VALUE_TAG = 'hotshard/state-value/v1';

/**
 * Recently asked state keys by address: admission, execution and the
 * mempool's re-validation ask for the same senders' keys again and again
 * (a quarter of a validator's SHA-256 time under load went to them). 16,384
 * entries, about 3 MB; beyond it the oldest go.
 */
const stateKeys = new Map<string, Hash32>();
const STATE_KEY_CACHE = 16_384;

/** The last address asked, by identity: a transaction's checks ask for its sender's key several times in a row. */
let lastAddress: Uint8Array | null = null;
let lastStateKey: Hash32 = new Uint8Array(0);

/** The state tree key of an account: taggedHash('hotshard/state-key/account/v1', address). Never mutate the result (nor the address). */
export function accountStateKey(address: Uint8Array): Hash32 {
  if (address === lastAddress) return lastStateKey;
  lastStateKey = cachedStateKey(address);
  lastAddress = address;
  return lastStateKey;
}

function cachedStateKey(address: Uint8Array): Hash32 {
  const k = byteKey(address);
  let key = stateKeys.get(k);
  if (key === undefined) {
    key = taggedHash(ACCOUNT_KEY_TAG, address);
    makeRoom(stateKeys, STATE_KEY_CACHE);
    stateKeys.set(k, key);
  }
  return key;
}

/** The state tree key of the fee pool: taggedHash('hotshard/state-key/fee-pool/v1', ''). */
export const FEE_POOL_KEY: Hash32 = taggedHash(FEE_POOL_KEY_TAG);

/** The hash a state tree leaf commits to: taggedHash('hotshard/state-value/v1', value bytes). */
export function stateValueHash(value: Uint8Array): Hash32 {
  return taggedHash(STATE_VALUE_TAG, value);
}

export function emptyAccount(): Account {
  return { nonce: 0n, balances: new Map() };
}

export function isEmptyAccount(a: Account): boolean {
  return a.nonce === 0n && a.balances.size === 0;
}

export function balanceOf(balances: Balances, assetKey: string): bigint {
  return balances.get(assetKey) ?? 0n;
}

/** Why a credit cannot happen, or null when it can. */
export function creditProblem(
  balances: Balances,
  assetKey: string,
  amount: bigint,
): 'OVERFLOW' | 'TOO_MANY_ASSETS' | null {
  const cur = balances.get(assetKey);
  if ((cur ?? 0n) + amount > U128_MAX) return 'OVERFLOW';
  if (cur === undefined && amount > 0n && balances.size >= MAX_ASSETS_PER_ACCOUNT) return 'TOO_MANY_ASSETS';
  return null;
}

export function credit(balances: Balances, assetKey: string, amount: bigint): void {
  if (amount < 0n) throw new StateError('UNDERFLOW', `negative credit ${amount}`);
  const problem = creditProblem(balances, assetKey, amount);
  if (problem === 'OVERFLOW')
    throw new StateError('OVERFLOW', `balance of ${assetKey} would exceed 2^128 - 1`);
  if (problem === 'TOO_MANY_ASSETS')
    throw new StateError('TOO_MANY_ASSETS', `an account holds at most ${MAX_ASSETS_PER_ACCOUNT} assets`);
  if (amount > 0n) balances.set(assetKey, balanceOf(balances, assetKey) + amount);
}

export function debit(balances: Balances, assetKey: string, amount: bigint): void {
  const cur = balanceOf(balances, assetKey);
  if (amount < 0n || cur < amount)
    throw new StateError('UNDERFLOW', `balance of ${assetKey} is ${cur}, cannot debit ${amount}`);
  if (cur === amount) balances.delete(assetKey);
  else balances.set(assetKey, cur - amount);
}

function balancesToWire(b: Balances): { asset: Uint8Array; amount: bigint }[] {
  return [...b.entries()]
    .filter(([, v]) => v !== 0n)
    .sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))
    .map(([asset, amount]) => ({ asset: fromHex(asset), amount }));
}

function balancesFromWire(list: readonly { asset: Uint8Array; amount: bigint }[]): Balances {
  const out: Balances = new Map();
  let prev = '';
  for (const { asset, amount } of list) {
    const k = toHex(asset);
    // Canonical: strictly ascending assets, no zero balance (one encoding per state).
    if (k <= prev) throw new StateError('BAD_VALUE', 'balances are not in strictly ascending asset order');
    if (amount === 0n) throw new StateError('BAD_VALUE', 'a zero balance is stored');
    out.set(k, amount);
    prev = k;
  }
  return out;
}

/** Copies: a state value lives on in caches and overlays, and the codec's output would pin the packer's shared buffer. */
export function encodeStateEntry(e: StateEntry): Uint8Array {
  if (e.type === 'account') {
    // Written directly (shards/account-wire.ts); the codec for what that writer declines.
    const direct = writeAccountEntry(e.value.nonce, e.value.balances, MAX_ASSETS_PER_ACCOUNT);
    if (direct !== undefined) return direct;
  }
  return encodeStateEntryByCodec(e);
}

/** encodeStateEntry through the general codec: the definition the direct writer is tested against. */
export function encodeStateEntryByCodec(e: StateEntry): Uint8Array {
  if (e.type === 'account') {
    return encode(stateEntryWire, {
      type: 'account',
      value: { nonce: e.value.nonce, balances: balancesToWire(e.value.balances) },
    }).slice();
  }
  return encode(stateEntryWire, {
    type: 'feePool',
    value: { balances: balancesToWire(e.value.balances) },
  }).slice();
}

/** Decodes a stored state value. Throws StateError BAD_VALUE on anything non-canonical. */
export function decodeStateEntry(bytes: Uint8Array): StateEntry {
  // Read directly (shards/account-wire.ts); the codec for what that reader does not recognise.
  const direct = readAccountEntry(bytes, MAX_ASSETS_PER_ACCOUNT);
  if (direct !== undefined)
    return { type: 'account', value: { nonce: direct.nonce, balances: direct.balances } };
  return decodeStateEntryByCodec(bytes);
}

/** decodeStateEntry through the general codec: the definition the direct reader is tested against. */
export function decodeStateEntryByCodec(bytes: Uint8Array): StateEntry {
  let w;
  try {
    w = decode(stateEntryWire, bytes, 64 * 1024);
  } catch (err) {
    if (err instanceof CodecError)
      throw new StateError('BAD_VALUE', `stored state value: ${err.message}`, {}, { cause: err });
    throw err;
  }
  if (w.type === 'account')
    return { type: 'account', value: { nonce: w.value.nonce, balances: balancesFromWire(w.value.balances) } };
  return { type: 'feePool', value: { balances: balancesFromWire(w.value.balances) } };
}

export function encodeAccount(a: Account): Uint8Array {
  return encodeStateEntry({ type: 'account', value: a });
}

/**
 * Accounts by the very bytes object they were decoded from or encoded to.
 * A committed account is read again and again (admission, execution,
 * re-validation after each commit) from the same cached bytes, and a
 * canonical decode (decode, then re-encode to compare) costs far more than a
 * copy. Values are never mutated once encoded; each caller gets a copy.
 */
const decodedAccounts = new WeakMap<Uint8Array, Account>();

function copyAccount(a: Account): Account {
  return { nonce: a.nonce, balances: new Map(a.balances) };
}

/** encodeAccount, remembering the account for decodeAccount of the returned bytes. */
export function encodeAccountRemembered(a: Account): Uint8Array {
  const bytes = encodeAccount(a);
  decodedAccounts.set(bytes, copyAccount(a));
  return bytes;
}

/** Decodes a stored value that must be an account (a fresh object the caller may change). */
export function decodeAccount(bytes: Uint8Array): Account {
  const known = decodedAccounts.get(bytes);
  if (known !== undefined) return copyAccount(known);
  const e = decodeStateEntry(bytes);
  if (e.type !== 'account') throw new StateError('BAD_VALUE', `expected an account, found a ${e.type} entry`);
  decodedAccounts.set(bytes, copyAccount(e.value));
  return e.value;
}

export function decodeFeePool(bytes: Uint8Array): FeePool {
  const e = decodeStateEntry(bytes);
  if (e.type !== 'feePool')
    throw new StateError('BAD_VALUE', `expected the fee pool, found a ${e.type} entry`);
  return e.value;
}
