/** node/chain: the BlockExecutor over the shard state machine, atomic commits and recovery (docs/node.md). */
export * from './errors.js';
export * from './genesis-block.js';
export * from './state-store.js';
export * from './metrics.js';
export * from './committed-accounts.js';
export * from './chain.js';
