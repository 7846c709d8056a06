/**
 * The shard state layer (docs/state-tree.md, Storage and overlays).
 *
 * The state is a flat map (state key -> value bytes: the latest committed
 * values, for fast reads) and the sparse Merkle tree over the same entries
 * (content-addressed nodes, for roots and proofs). The node keeps both in
 * LevelDB behind `StateStore`; tests and tools use `MemoryStateStore`.
 *
 * Each executed but uncommitted block has a `StateOverlay`: its own writes
 * (values and tree nodes) over its parent's view, read through to the parent;
 * nothing committed is ever mutated. Committing flattens the overlays of the
 * newly committed blocks into one `StateBatch` that the node writes
 * atomically with its blocks; only then does `ShardState.markCommitted`
 * advance the committed view and drop the overlays' memory.
 */
import { toHex } from '../core/bytes.js';
import type { Hash32 } from '../core/hash.js';
import { StateError } from './errors.js';
import { byteKey, fromByteKey, type NodeReader } from './smt/node.js';
import type { SmtNodeWrites } from './smt/tree.js';

/** Reads of state values (flat map) and tree nodes. */
export interface StateReader extends NodeReader {
  /** The value stored under a state key, or undefined when absent. */
  getValue(key: Hash32): Uint8Array | undefined;
}

/**
 * The node's committed state storage: tree nodes by hash (never overwritten)
 * and the latest committed value per state key. Reads are synchronous
 * (classic-level `getSync`; put a CachedNodeReader in front of the nodes).
 */
export type StateStore = StateReader;

/** The state after some block: its root and reads. */
export interface StateView extends StateReader {
  readonly root: Hash32;
}

/** What one block's execution wrote: the new root, changed values (null = deleted) and new tree nodes. */
export interface StateWrites {
  readonly root: Hash32;
  /** By byteKey(state key). */
  readonly values: Map<string, { readonly key: Hash32; readonly value: Uint8Array | null }>;
  /** By byteKey(node hash). */
  readonly nodes: SmtNodeWrites;
}

/** What the node writes atomically at a commit: tree nodes (put), values (put, or delete when null), and the new root. */
export interface StateBatch {
  readonly root: Hash32;
  /**
   * By byteKey(node hash), as the tree's updates made them: a commit hands
   * its block's own map on (no copy), and the store keys its cache and its
   * database writes by these strings without turning them into bytes and
   * back (at blocks of 100 transfers that round trip was a fifth of the
   * commit's main-thread time; docs/benchmark.md, Eighth session).
   */
  readonly nodes: ReadonlyMap<string, Uint8Array>;
  readonly values: readonly (readonly [key: Hash32, value: Uint8Array | null])[];
}

/** An in-memory StateStore. */
export class MemoryStateStore implements StateStore {
  private readonly nodes = new Map<string, Uint8Array>();
  private readonly values = new Map<string, Uint8Array>();

  getNode(hash: Hash32): Uint8Array | undefined {
    return this.nodes.get(byteKey(hash));
  }

  getValue(key: Hash32): Uint8Array | undefined {
    return this.values.get(byteKey(key));
  }

  /** Applies a commit batch (what the node does in one LevelDB batch). */
  apply(batch: StateBatch): void {
    for (const [k, b] of batch.nodes) this.nodes.set(k, b);
    for (const [k, v] of batch.values) {
      if (v === null) this.values.delete(byteKey(k));
      else this.values.set(byteKey(k), v);
    }
  }

  /** Every stored (key, value). */
  *entries(): Generator<[Hash32, Uint8Array]> {
    for (const [k, v] of this.values) yield [fromByteKey(k), v];
  }

  get nodeCount(): number {
    return this.nodes.size;
  }
}

/** The committed state: the store at the committed root. */
export class CommittedState implements StateView {
  constructor(
    private readonly store: StateStore,
    private _root: Hash32,
  ) {}

  get root(): Hash32 {
    return this._root;
  }

  getNode(hash: Hash32): Uint8Array | undefined {
    return this.store.getNode(hash);
  }

  getValue(key: Hash32): Uint8Array | undefined {
    return this.store.getValue(key);
  }

  /** Called once the store holds the batch of a new committed root. */
  advance(root: Hash32): void {
    this._root = root;
  }
}

/** The state after an uncommitted block: its writes over its parent's view. */
export class StateOverlay implements StateView {
  private status: 'live' | 'committed' | 'released' = 'live';

  constructor(
    private parent: StateView,
    private writes: StateWrites,
  ) {}

  get root(): Hash32 {
    return this.writes.root;
  }

  /** This block's own writes (empty once committed). */
  get ownWrites(): StateWrites {
    return this.writes;
  }

  get isLive(): boolean {
    return this.status === 'live';
  }

  private check(): void {
    if (this.status === 'released')
      throw new StateError('RELEASED', 'this block state was released: it is not on the committed chain');
  }

  getValue(key: Hash32): Uint8Array | undefined {
    this.check();
    const w = this.writes.values.get(byteKey(key));
    if (w !== undefined) return w.value ?? undefined;
    return this.parent.getValue(key);
  }

  getNode(hash: Hash32): Uint8Array | undefined {
    this.check();
    return this.writes.nodes.get(byteKey(hash)) ?? this.parent.getNode(hash);
  }

  /** The store now holds this block's writes: read through to the committed state and free the memory. */
  markCommitted(base: CommittedState): void {
    this.check();
    this.parent = base;
    this.writes = { root: this.writes.root, values: new Map(), nodes: new Map() };
    this.status = 'committed';
  }

  /** This block can never be committed (a conflicting block was): any further read is a bug and throws. */
  release(): void {
    this.status = 'released';
    this.writes = { root: this.writes.root, values: new Map(), nodes: new Map() };
  }
}

/** Merges the writes of consecutive blocks (oldest first) into one commit batch; later values win. */
export function flattenWrites(writes: readonly StateWrites[]): StateBatch {
  if (writes.length === 0) throw new StateError('NOT_A_CHAIN', 'nothing to commit');
  const values = new Map<string, readonly [Hash32, Uint8Array | null]>();
  for (const w of writes) for (const [k, v] of w.values) values.set(k, [v.key, v.value]);
  // Most commits hold one block: its own map serves as it is (overlays never mutate it; markCommitted replaces it).
  let nodes: ReadonlyMap<string, Uint8Array> = writes[0]!.nodes;
  if (writes.length > 1) {
    const merged = new Map<string, Uint8Array>();
    for (const w of writes) for (const [k, b] of w.nodes) merged.set(k, b);
    nodes = merged;
  }
  return { root: writes[writes.length - 1]!.root, nodes, values: [...values.values()] };
}

/**
 * The committed state and the overlays of executed, uncommitted blocks,
 * by block id. The node:
 *   1. `view(parentId)` -> execute the block on it -> `addBlock(id, parentId, writes)`;
 *   2. at a commit: `commitBatch(ids)` -> write the batch atomically with the
 *      blocks -> `markCommitted(ids)`.
 */
export class ShardState {
  private readonly base: CommittedState;
  private committedId: string;
  private readonly blocks = new Map<string, { overlay: StateOverlay; parentId: string }>();

  constructor(store: StateStore, committedRoot: Hash32, committedBlockId: Uint8Array) {
    this.base = new CommittedState(store, committedRoot);
    this.committedId = toHex(committedBlockId);
  }

  get committed(): StateView {
    return this.base;
  }

  get committedBlockId(): string {
    return this.committedId;
  }

  /** The state after block `blockId` (committed tip or an executed uncommitted block), or undefined when unknown. */
  view(blockId: Uint8Array): StateView | undefined {
    const id = toHex(blockId);
    if (id === this.committedId) return this.base;
    return this.blocks.get(id)?.overlay;
  }

  /** Registers the execution of `blockId` on `parentId` (which must be known). Returns its overlay. */
  addBlock(blockId: Uint8Array, parentId: Uint8Array, writes: StateWrites): StateOverlay {
    const parent = this.view(parentId);
    if (parent === undefined)
      throw new StateError('NOT_A_CHAIN', `parent block ${toHex(parentId)} has not been executed`);
    const id = toHex(blockId);
    const existing = this.blocks.get(id);
    if (existing !== undefined) return existing.overlay; // executed twice (a re-delivered block): keep the first
    const overlay = new StateOverlay(parent, writes);
    this.blocks.set(id, { overlay, parentId: toHex(parentId) });
    return overlay;
  }

  /** The ids of `blockIds` (oldest first) must extend `after` (the committed tip by default) one by one. */
  private chain(blockIds: readonly Uint8Array[], after = this.committedId): StateOverlay[] {
    let prev = after;
    return blockIds.map((b) => {
      const id = toHex(b);
      const entry = this.blocks.get(id);
      if (entry === undefined) throw new StateError('NOT_A_CHAIN', `block ${id} has not been executed`);
      if (entry.parentId !== prev) throw new StateError('NOT_A_CHAIN', `block ${id} does not extend ${prev}`);
      prev = id;
      return entry.overlay;
    });
  }

  /**
   * The batch that commits `blockIds` (oldest first, extending the committed
   * tip, or `after`: a block whose own batch is written but not yet marked
   * committed). Changes nothing.
   */
  commitBatch(blockIds: readonly Uint8Array[], after?: Uint8Array): StateBatch {
    return flattenWrites(
      this.chain(blockIds, after === undefined ? this.committedId : toHex(after)).map((o) => o.ownWrites),
    );
  }

  /**
   * After the node durably wrote commitBatch(blockIds): advances the committed
   * state, frees the committed overlays and releases every overlay that does
   * not descend from the new tip (they can never commit).
   */
  markCommitted(blockIds: readonly Uint8Array[]): void {
    const overlays = this.chain(blockIds);
    if (overlays.length === 0) return;
    this.base.advance(overlays[overlays.length - 1]!.root);
    for (const o of overlays) o.markCommitted(this.base);
    for (const b of blockIds) this.blocks.delete(toHex(b));
    this.committedId = toHex(blockIds[blockIds.length - 1]!);
    const keep = new Set<string>([this.committedId]);
    const descends = (id: string): boolean => {
      const seen: string[] = [];
      let cur: string | undefined = id;
      while (cur !== undefined && !keep.has(cur)) {
        seen.push(cur);
        cur = this.blocks.get(cur)?.parentId;
      }
      if (cur === undefined) return false;
      for (const s of seen) keep.add(s);
      return true;
    };
    for (const [id, entry] of [...this.blocks]) {
      if (!descends(id)) {
        entry.overlay.release();
        this.blocks.delete(id);
      }
    }
  }

  /** Number of executed, uncommitted blocks held. */
  get pendingCount(): number {
    return this.blocks.size;
  }
}
