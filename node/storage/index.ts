/** node/storage: the node database (one LevelDB per node), its bucket table, repositories, batches and safety data. */
export * from './buckets.js';
export * from './errors.js';
export * from './kv.js';
export * from './level-kv.js';
export * from './memory-kv.js';
export * from './codecs.js';
export * from './repository.js';
export * from './write-batch.js';
export * from './handle.js';
export * from './database.js';
export * from './safety-storage.js';
export * from './chain-store.js';
export * from './metrics.js';
