/** The storage metrics (names carry units; created on the registry passed in). */
import type { Counter, Histogram, MetricsRegistry } from '../metrics/registry.js';

export interface StorageMetrics {
  readonly writeSeconds: Histogram<'sync'>;
  readonly writeOps: Counter;
  readonly writeBytes: Counter;
  readonly writeErrors: Counter;
  readonly readKeys: Counter<'bucket'>;
  readonly corruptValues: Counter<'bucket'>;
  readonly safetySaveSeconds: Histogram<'committee'>;
}

export function createStorageMetrics(registry: MetricsRegistry): StorageMetrics {
  return {
    writeSeconds: registry.histogram({
      name: 'hotshard_db_write_seconds',
      help: 'Time of one atomic database write, by whether it was synced (fsync)',
      labelNames: ['sync'],
    }),
    writeOps: registry.counter({
      name: 'hotshard_db_write_ops_total',
      help: 'Put and delete operations written',
    }),
    writeBytes: registry.counter({
      name: 'hotshard_db_write_bytes_total',
      help: 'Bytes of keys and values written',
    }),
    writeErrors: registry.counter({
      name: 'hotshard_db_write_errors_total',
      help: 'Database writes that failed',
    }),
    readKeys: registry.counter({
      name: 'hotshard_db_read_keys_total',
      help: 'Keys read, by bucket',
      labelNames: ['bucket'],
    }),
    corruptValues: registry.counter({
      name: 'hotshard_db_corrupt_values_total',
      help: 'Stored values that failed to decode, by bucket',
      labelNames: ['bucket'],
    }),
    safetySaveSeconds: registry.histogram({
      name: 'hotshard_safety_save_seconds',
      help: 'Time to persist the safety data with a synced write, before a vote or timeout leaves',
      labelNames: ['committee'],
    }),
  };
}
