/**
 * What repositories and write batches need of the database: the store, the
 * ordered write path, and the metrics. NodeDatabase implements it (kept apart
 * so that the modules do not import each other in a cycle).
 */
import type { KvOp, KvStore } from './kv.js';
import type { StorageMetrics } from './metrics.js';

export interface DatabaseWriteOptions {
  readonly sync: boolean;
  /** Writes of one lane land in the order issued; lanes are independent. Default 'main'. */
  readonly lane?: string;
}

export interface DatabaseHandle {
  readonly store: KvStore;
  readonly metrics: StorageMetrics | null;
  write(ops: readonly KvOp[], options: DatabaseWriteOptions): Promise<void>;
}
