/** Shared fixtures of the shard tests: deterministic keys, a genesis, transactions. */
import { createHash } from 'node:crypto';
import { keyPairFromSeed, type Ed25519KeyPair } from '../../../core/ed25519.js';
import { addressFromPublicKey } from '../../../core/address.js';
import { createGenesis } from '../../../genesis/create.js';
import { validatorKeysFromSecrets } from '../../../genesis/keyfile.js';
import type { Genesis } from '../../../genesis/types.js';
import { NATIVE_ASSET_ID } from '../../../genesis/asset-id.js';
import { ShardMap } from '../../../shards/buckets.js';
import { shardParamsFromGenesis, type BlockContext } from '../../../shards/execute.js';
import { genesisStateBatch } from '../../../shards/genesis-state.js';
import { MemoryStateStore, ShardState } from '../../../shards/state.js';
import {
  TxKind,
  signTransaction,
  type SignedTransaction,
  type Transaction,
} from '../../../shards/transaction.js';

export const CHAIN_ID = 4242;
export const SHARD_COUNT = 2;
export const GENESIS_TIME = 1_700_000_000_000;

const seedOf = (label: string): Uint8Array => new Uint8Array(createHash('sha256').update(label).digest());

export interface User extends Ed25519KeyPair {
  readonly address: Uint8Array;
}

export function userFromLabel(label: string): User {
  const kp = keyPairFromSeed(seedOf(label));
  return { ...kp, address: addressFromPublicKey(kp.publicKey) };
}

/** `count` users whose accounts live on `shard` (searching deterministic seeds). */
export function usersOnShard(shard: number, count: number, prefix = 'user'): User[] {
  const map = new ShardMap(4096, SHARD_COUNT);
  const out: User[] = [];
  for (let i = 0; out.length < count; i++) {
    const u = userFromLabel(`${prefix}-${i}`);
    if (map.shardOf(u.address) === shard) out.push(u);
  }
  return out;
}

export function validatorPublicKeys(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const k = validatorKeysFromSecrets(seedOf(`validator-ed-${i}`), seedOf(`validator-secp-${i}`));
    return { publicKey: k.ed25519.publicKey, ethAddress: k.secp256k1.ethAddress };
  });
}

export const USERS0 = usersOnShard(0, 8);
export const USERS1 = usersOnShard(1, 2);
export const INITIAL = 1_000_000_000n;

export function testGenesis(
  extraFunds: { address: Uint8Array; asset?: Uint8Array; amount: bigint }[] = [],
): Genesis {
  return createGenesis({
    chainId: CHAIN_ID,
    ethereumChainId: 31337,
    shardCount: SHARD_COUNT,
    validators: validatorPublicKeys(4),
    genesisTime: GENESIS_TIME,
    funds: [...USERS0, ...USERS1].map((u) => ({ address: u.address, amount: INITIAL })).concat(extraFunds),
  });
}

export function context(
  g: Genesis,
  shardId: number,
  height: number,
  timestamp = GENESIS_TIME + height * 1000,
): BlockContext {
  return { ...shardParamsFromGenesis(g, shardId), height, timestamp };
}

/** A store holding shard `shardId`'s genesis state, and the ShardState over it (genesis block id = 32 zero bytes). */
export function genesisShard(g: Genesis, shardId: number): { store: MemoryStateStore; state: ShardState } {
  const store = new MemoryStateStore();
  const batch = genesisStateBatch(g, shardId);
  store.apply(batch);
  return { store, state: new ShardState(store, batch.root, new Uint8Array(32)) };
}

export function tx(from: User, fields: Partial<Transaction> & { nonce: bigint }): SignedTransaction {
  const t: Transaction = {
    chainId: CHAIN_ID,
    shardId: 0,
    kind: TxKind.transfer,
    senderPublicKey: from.publicKey,
    fee: 1_000n,
    expiry: GENESIS_TIME + 3_600_000,
    recipient: USERS0[1]!.address,
    asset: NATIVE_ASSET_ID,
    amount: 10n,
    ...fields,
  };
  return signTransaction(t, from.seed, { fast: true });
}
