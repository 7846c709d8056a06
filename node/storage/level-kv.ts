/** The real store: one classic-level (LevelDB) database per node. */
import { ClassicLevel } from 'classic-level';
import type { KvOp, KvRange, KvStore, KvWriteOptions } from './kv.js';
import { StorageError } from './errors.js';
import { ScratchBuffer } from '../../core/scratch.js';

export interface LevelKvOptions {
  /** Directory of the database; created when missing. */
  readonly path: string;
  /** LevelDB block cache in bytes (default 8 MiB, LevelDB's own default). */
  readonly cacheSize?: number;
}

function asView(b: Uint8Array): Uint8Array {
  // classic-level with the 'view' encoding may hand out Buffers; callers get plain views.
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function ioError(what: string, err: unknown): StorageError {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'LEVEL_DATABASE_NOT_OPEN')
    return new StorageError('CLOSED', `${what}: database is closed`, {}, { cause: err });
  return new StorageError(
    'IO',
    `${what}: ${e?.message ?? String(err)}`,
    { levelCode: e?.code },
    { cause: err },
  );
}

type RawBatch = (
  ops: readonly { type: 'put' | 'del'; key: Uint8Array; value?: Uint8Array }[],
  options: { sync: boolean },
) => Promise<void>;

/**
 * classic-level's own batch (its `_batch`, under abstract-level's public
 * `batch`), when this version has it. The public method re-validates and
 * clones every operation and looks up its encodings: with 'view' encodings
 * that is pure overhead, measured at about half of a commit's CPU
 * (bench/pipeline.ts: 51 µs per transfer through batch(), 22 through
 * _batch()). The binding reads only type, key and value of each operation
 * (classic-level 3.0.0, binding.cc batch_do), which we always pass as bytes.
 */
function rawBatchOf(db: ClassicLevel<Uint8Array, Uint8Array>): RawBatch | null {
  const raw = (db as unknown as { _batch?: unknown })._batch;
  return typeof raw === 'function' ? (raw.bind(db) as RawBatch) : null;
}

/** Keys of synchronous reads are copied off the V8 heap here (the binding copies them before it returns). */
const readKey = new ScratchBuffer(1024);

/**
 * V8 keeps typed arrays of up to 64 bytes on its own heap; larger ones already
 * live in an ArrayBuffer of their own.
 */
const ON_HEAP_MAX = 64;

/**
 * The operations with their small keys and values copied into one new
 * buffer. The binding reads every key and value through its ArrayBuffer,
 * which would move each small array (hashes, keys, short values: most of a
 * commit) off the V8 heap on its own (core/scratch.ts). The binding copies
 * everything into its LevelDB batch before it returns, so one buffer per
 * batch costs a single allocation.
 */
function packSmallArrays(ops: readonly KvOp[]): KvOp[] {
  let total = 0;
  for (const op of ops) {
    if (op.key.length <= ON_HEAP_MAX) total += op.key.length;
    if (op.type === 'put' && op.value.length <= ON_HEAP_MAX) total += op.value.length;
  }
  const arena = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  const copied = (bytes: Uint8Array): Uint8Array => {
    if (bytes.length > ON_HEAP_MAX) return bytes;
    arena.set(bytes, offset);
    const view = new Uint8Array(arena.buffer, offset, bytes.length);
    offset += bytes.length;
    return view;
  };
  return ops.map((op) =>
    op.type === 'put'
      ? { type: 'put', key: copied(op.key), value: copied(op.value) }
      : { type: 'del', key: copied(op.key) },
  );
}

export class LevelKvStore implements KvStore {
  readonly kind = 'level';
  private readonly rawBatch: RawBatch | null;

  private constructor(private readonly db: ClassicLevel<Uint8Array, Uint8Array>) {
    this.rawBatch = rawBatchOf(db);
  }

  /** Opens (or creates) the database at `opts.path`. Fails with IO when another process holds its lock. */
  static async open(opts: LevelKvOptions): Promise<LevelKvStore> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(opts.path, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      cacheSize: opts.cacheSize,
      // Most bytes written are hashes (tree nodes, ids, signatures), which do not compress:
      // Snappy only costs CPU, at every write and every compaction.
      compression: false,
    });
    try {
      await db.open();
    } catch (err) {
      throw ioError(`open ${opts.path}`, (err as { cause?: unknown }).cause ?? err);
    }
    return new LevelKvStore(db);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      const v = await this.db.get(key);
      return v === undefined ? undefined : asView(v);
    } catch (err) {
      throw ioError('get', err);
    }
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    try {
      const v = this.db.getSync(readKey.holding(key) ?? key);
      return v === undefined ? undefined : asView(v);
    } catch (err) {
      throw ioError('getSync', err);
    }
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return [];
    try {
      const vs = await this.db.getMany(keys as Uint8Array[]);
      return vs.map((v) => (v === undefined ? undefined : asView(v)));
    } catch (err) {
      throw ioError('getMany', err);
    }
  }

  async write(ops: readonly KvOp[], options: KvWriteOptions): Promise<void> {
    if (ops.length === 0 && !options.sync) return;
    try {
      // The public method checks that the database is open; the raw one must not reach a closed binding.
      if (this.db.status !== 'open') throw new StorageError('CLOSED', `write: database is ${this.db.status}`);
      // A KvOp is already {type, key, value}: the shape both batch methods read.
      if (this.rawBatch !== null) await this.rawBatch(packSmallArrays(ops), { sync: options.sync });
      else await this.db.batch(ops as KvOp[], { sync: options.sync });
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw ioError('write', err);
    }
  }

  async *entries(range: KvRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    const it = this.db.iterator({ ...range, limit: range.limit ?? -1 });
    try {
      for await (const [k, v] of it) yield [asView(k), asView(v)];
    } catch (err) {
      throw ioError('iterate', err);
    } finally {
      await it.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
