/**
 * The node database: one key-value store per node (classic-level on disk,
 * or a MemoryKvStore in tests), typed repositories over it, atomic write
 * batches, and write timings in metrics.
 *
 * Writes are applied in the order they were issued within one "lane":
 * classic-level runs each write on a libuv thread, so two writes issued
 * without awaiting could otherwise reach LevelDB in either order (a committed
 * height or a safety record going backwards). The safety data uses a lane of
 * its own so that a large commit batch never delays a vote.
 */
import type { MetricsRegistry } from '../metrics/registry.js';
import type { Logger } from '../logger.js';
import type { Bucket } from './buckets.js';
import { reusedBucketNumbers } from './buckets.js';
import type { KeyCodec, ValueCodec } from './codecs.js';
import type { KvOp, KvStore } from './kv.js';
import type { DatabaseHandle, DatabaseWriteOptions } from './handle.js';
import { LevelKvStore } from './level-kv.js';
import { createStorageMetrics, type StorageMetrics } from './metrics.js';
import { Repository } from './repository.js';
import { WriteBatch } from './write-batch.js';
import { StorageError } from './errors.js';

export interface NodeDatabaseModules {
  readonly metrics?: MetricsRegistry | null;
  readonly logger?: Logger | null;
}

export class NodeDatabase implements DatabaseHandle {
  readonly metrics: StorageMetrics | null;
  private readonly log: Logger | null;
  private readonly lanes = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    readonly store: KvStore,
    modules: NodeDatabaseModules = {},
  ) {
    this.metrics = modules.metrics ? createStorageMetrics(modules.metrics) : null;
    this.log = modules.logger?.child('db') ?? null;
    // TypeScript enums accept duplicate values silently: refuse to run on a bucket table with a reused number.
    const reused = reusedBucketNumbers();
    if (reused.length > 0) throw new StorageError('IO', `bucket table reuses numbers: ${reused.join(', ')}`);
  }

  /** Opens (or creates) the LevelDB database of a node at `path`. */
  static async open(path: string, modules: NodeDatabaseModules = {}): Promise<NodeDatabase> {
    const store = await LevelKvStore.open({ path });
    modules.logger?.child('db').info('database opened', { path });
    return new NodeDatabase(store, modules);
  }

  /** A typed repository over `bucket` of `committeeId`. */
  repository<K, V>(
    bucket: Bucket,
    committeeId: number,
    keys: KeyCodec<K>,
    values: ValueCodec<V>,
  ): Repository<K, V> {
    return new Repository(this, bucket, committeeId, keys, values);
  }

  /** A new atomic write batch spanning any repositories of this database. */
  batch(): WriteBatch {
    return new WriteBatch(this);
  }

  /** Writes `ops` atomically, timed in `hotshard_db_write_seconds`. */
  write(ops: readonly KvOp[], options: DatabaseWriteOptions): Promise<void> {
    if (this.closed) return Promise.reject(new StorageError('CLOSED', 'database is closed'));
    const lane = options.lane ?? 'main';
    const previous = this.lanes.get(lane) ?? Promise.resolve();
    const next = previous.then(() => this.writeNow(ops, options.sync));
    // The lane continues after a failure; the failure goes to this caller only.
    const tail = next.catch(() => {});
    this.lanes.set(lane, tail);
    void tail.then(() => {
      if (this.lanes.get(lane) === tail) this.lanes.delete(lane);
    });
    return next;
  }

  private async writeNow(ops: readonly KvOp[], sync: boolean): Promise<void> {
    const stop = this.metrics?.writeSeconds.startTimer({ sync: sync ? 'true' : 'false' });
    try {
      await this.store.write(ops, { sync });
    } catch (err) {
      this.metrics?.writeErrors.inc();
      this.log?.error('database write failed', { err, ops: ops.length, sync });
      throw err;
    }
    stop?.();
    if (this.metrics) {
      let bytes = 0;
      for (const op of ops) bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
      this.metrics.writeOps.inc(undefined, ops.length);
      this.metrics.writeBytes.inc(undefined, bytes);
    }
  }

  /** Waits for the pending writes, then closes the store (the node closes the database last). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.lanes.values()]);
    await this.store.close();
    this.log?.info('database closed');
  }
}
