/**
 * The byte-level key-value store under the node database: the few operations
 * the repositories need (in the spirit of ethereumjs's four-method `DB`).
 * Two implementations: `LevelKvStore` (classic-level, the real one) and
 * `MemoryKvStore` (in memory, over a `MemoryDisk` that models what a power
 * cut keeps: only synced writes).
 */

export type KvOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

export interface KvWriteOptions {
  /**
   * Wait until the write is on stable storage (fsync). LevelDB applies writes
   * in order, so a synced write also makes every earlier write durable.
   */
  readonly sync: boolean;
}

/** A key range in byte order. Bounds are raw keys. */
export interface KvRange {
  readonly gte?: Uint8Array;
  readonly gt?: Uint8Array;
  readonly lte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly reverse?: boolean;
  readonly limit?: number;
}

export interface KvStore {
  /** 'level' or 'memory', for logs. */
  readonly kind: string;
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** A synchronous read: about 30 times faster than awaiting `get` (TOOLCHAIN.md). */
  getSync(key: Uint8Array): Uint8Array | undefined;
  getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  /** Applies `ops` atomically: all or none, also across a crash. */
  write(ops: readonly KvOp[], options: KvWriteOptions): Promise<void>;
  /** Entries of `range` in key order (reverse order with `reverse`). */
  entries(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]>;
  close(): Promise<void>;
}
