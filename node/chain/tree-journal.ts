/**
 * The state journal: what the database needs to rebuild the state tree of
 * the committed height when the newest commits' tree nodes were still held
 * in memory (unwritten-nodes.ts) as the process stopped.
 *
 * A commit that does not write its tree nodes writes, in its own atomic
 * batch, the state keys it changed (Bucket.stateJournal, by its height).
 * A commit that does write them (a flush) records the height whose tree is
 * now whole on disk (ChainMetaKey.stateTreeHeight) and deletes the journal
 * entries it covers. So on disk, always:
 *
 *   tree(committed) = tree(stateTreeHeight) updated with, for every key in
 *                     the journal, its value in the accounts index
 *
 * (the values are written at every commit; a key changed twice needs only
 * its latest value). `completeStateTree` applies that update at start-up,
 * checks the root against the committed block's header, and writes the
 * nodes in one synced batch.
 */
import { equalBytes, toHex } from '../../core/bytes.js';
import type { Hash32 } from '../../core/hash.js';
import { stateValueHash } from '../../shards/account.js';
import { SparseMerkleTree, type SmtChange } from '../../shards/smt/tree.js';
import type { ChainStore } from '../storage/chain-store.js';
import type { Logger } from '../logger.js';
import { ChainError } from './errors.js';

const KEY_BYTES = 32;

/** A journal entry: the changed state keys, concatenated. */
export function encodeJournalKeys(keys: readonly Hash32[]): Uint8Array {
  const out = new Uint8Array(keys.length * KEY_BYTES);
  keys.forEach((k, i) => out.set(k, i * KEY_BYTES));
  return out;
}

export function decodeJournalKeys(bytes: Uint8Array, height: number): Hash32[] {
  if (bytes.length % KEY_BYTES !== 0) {
    throw new ChainError(
      'CORRUPT',
      `the state journal entry of height ${height} is ${bytes.length} bytes, not a whole number of 32-byte keys`,
      { height },
    );
  }
  const keys: Hash32[] = [];
  for (let at = 0; at < bytes.length; at += KEY_BYTES) keys.push(bytes.slice(at, at + KEY_BYTES));
  return keys;
}

export interface TreeCompletion {
  /** The height whose tree was whole on disk before (equal to the committed height when nothing was missing). */
  readonly fromHeight: number;
  /** Journal entries replayed. */
  readonly entries: number;
  /** State keys updated. */
  readonly keys: number;
}

/**
 * Makes the tree of `committedHeight` whole on disk. `rootAt(h)` is the
 * state root in the header of the committed block at h. Throws CORRUPT when
 * the journal does not lead to `committedRoot` (nothing is written then).
 */
export async function completeStateTree(
  store: ChainStore,
  committedHeight: number,
  committedRoot: Hash32,
  rootAt: (height: number) => Promise<Hash32>,
  log: Logger,
): Promise<TreeCompletion> {
  const recorded = store.stateTreeHeight();
  const journal = await store.stateJournal.list();
  if (recorded === null || recorded === committedHeight) {
    // A database from before the journal wrote every commit's nodes; a whole tree needs nothing.
    if (journal.length > 0) {
      throw new ChainError(
        'CORRUPT',
        `the state journal holds ${journal.length} entries while the tree of the committed height ${committedHeight} is whole`,
      );
    }
    if (recorded === null) {
      const batch = store.db.batch();
      store.stageStateTreeHeight(batch, committedHeight);
      await batch.commit({ sync: true });
    }
    return { fromHeight: committedHeight, entries: 0, keys: 0 };
  }
  if (recorded > committedHeight) {
    throw new ChainError(
      'CORRUPT',
      `the state tree is recorded whole at height ${recorded}, above the committed height ${committedHeight}`,
    );
  }
  const changed = new Map<string, Hash32>();
  for (const [height, bytes] of journal) {
    if (height <= recorded || height > committedHeight) {
      throw new ChainError(
        'CORRUPT',
        `the state journal has an entry at height ${height}, outside (${recorded}, ${committedHeight}]`,
        { height },
      );
    }
    for (const k of decodeJournalKeys(bytes, height)) changed.set(toHex(k), k);
  }
  const changes: SmtChange[] = [...changed.values()].map((key) => {
    const value = store.accounts.getSync(key);
    return { key, valueHash: value === null ? null : stateValueHash(value) };
  });
  const tree = new SparseMerkleTree(store.stateNodeReader());
  const { root, nodes } = tree.update(await rootAt(recorded), changes);
  if (!equalBytes(root, committedRoot)) {
    throw new ChainError(
      'CORRUPT',
      `replaying the state journal from height ${recorded} gives state root ${toHex(root)}, but the committed block at height ${committedHeight} has ${toHex(committedRoot)}`,
      { from: recorded, height: committedHeight },
    );
  }
  const batch = store.db.batch();
  store.stageStateNodes(batch, nodes);
  store.stageStateTreeHeight(batch, committedHeight);
  for (const [height] of journal) batch.del(store.stateJournal, height);
  await batch.commit({ sync: true });
  log.info('state tree completed from the journal', {
    from: recorded,
    height: committedHeight,
    entries: journal.length,
    keys: changes.length,
  });
  return { fromHeight: recorded, entries: journal.length, keys: changes.length };
}
