/**
 * A shard's state at genesis: one account per funded address of the shard
 * (docs/genesis.md, Genesis state). The node writes the batch into an empty
 * store before the first block; its root is the state root of the genesis.
 */
import type { Genesis } from '../genesis/types.js';
import {
  accountStateKey,
  credit,
  emptyAccount,
  encodeAccount,
  stateValueHash,
  type Account,
} from './account.js';
import { assetKey } from './assets.js';
import { BlockError } from './errors.js';
import { byteKey } from './smt/node.js';
import { SMT_EMPTY } from './smt/hash.js';
import { SparseMerkleTree, type SmtChange } from './smt/tree.js';
import { MemoryStateStore, flattenWrites, type StateBatch, type StateWrites } from './state.js';

/** The state writes of shard `shardId` at genesis (over an empty state). */
export function genesisStateWrites(g: Genesis, shardId: number): StateWrites {
  if (!Number.isInteger(shardId) || shardId < 0 || shardId >= g.shardCount) {
    throw new BlockError(
      'WRONG_SHARD',
      `shard ${shardId} does not exist (the genesis has ${g.shardCount} shards)`,
    );
  }
  const accounts = new Map<string, { address: Uint8Array; account: Account }>();
  for (const b of g.balances) {
    if (b.shard !== shardId) continue;
    const k = byteKey(b.address);
    let a = accounts.get(k);
    if (a === undefined) accounts.set(k, (a = { address: b.address, account: emptyAccount() }));
    credit(a.account.balances, assetKey(b.asset), b.amount);
  }
  const values: StateWrites['values'] = new Map();
  const changes: SmtChange[] = [];
  for (const { address, account } of accounts.values()) {
    const key = accountStateKey(address);
    const value = encodeAccount(account);
    values.set(byteKey(key), { key, value });
    changes.push({ key, valueHash: stateValueHash(value) });
  }
  const { root, nodes } = new SparseMerkleTree(new MemoryStateStore()).update(SMT_EMPTY, changes);
  return { root, values, nodes };
}

/** The batch the node writes into an empty store at genesis. */
export function genesisStateBatch(g: Genesis, shardId: number): StateBatch {
  return flattenWrites([genesisStateWrites(g, shardId)]);
}
