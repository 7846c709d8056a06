/** shards/: the shard state machine (docs/transactions.md, docs/state-tree.md). */
export * from './account.js';
export * from './assets.js';
export * from './block.js';
export * from './buckets.js';
export * from './conservation.js';
export * from './errors.js';
export * from './execute.js';
export * from './genesis-state.js';
export * from './payload.js';
export * from './query.js';
export * from './receipt.js';
export * from './state.js';
export * from './transaction.js';
export * from './tx-validation.js';
export * from './smt/index.js';
