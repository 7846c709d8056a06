/**
 * The benchmark's senders: deterministic keys (so that a kept benchmark
 * directory can be driven again), funded in the genesis of its testnet.
 */
import { addressFromPublicKey } from '../core/address.js';
import { keyPairFromSeed, type Ed25519KeyPair } from '../core/ed25519.js';
import { taggedHash } from '../core/hash.js';
import { u64be } from '../core/bytes.js';

const BENCH_ACCOUNT_TAG = 'hotshard/bench-account/v1';

export interface BenchAccount {
  readonly keys: Ed25519KeyPair;
  readonly address: Uint8Array;
}

export function benchAccounts(count: number): BenchAccount[] {
  return Array.from({ length: count }, (_, i) => {
    const keys = keyPairFromSeed(taggedHash(BENCH_ACCOUNT_TAG, u64be(i)));
    return { keys, address: addressFromPublicKey(keys.publicKey) };
  });
}
