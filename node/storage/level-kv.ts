/** The real store: one classic-level (LevelDB) database per node. */
import { ClassicLevel } from 'classic-level';
import type { KvOp, KvRange, KvStore, KvWriteOptions } from './kv.js';
import { StorageError } from './errors.js';

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
      const v = this.db.getSync(key);
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
      if (this.rawBatch !== null) await this.rawBatch(ops, { sync: options.sync });
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
