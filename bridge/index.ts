/** bridge/: the bridge contract's build and the TypeScript side (docs/bridge.md). */
export * from './errors.js';
export * from './compile.js';
export * from './committee.js';
export * from './checkpoint.js';
export * from './signatures.js';
export * from './withdrawals.js';
export * from './deposits.js';
export * from './l1.js';
export * from './contract.js';
export * from './deploy.js';
export * from './events.js';
export * from './watcher.js';
export * from './relayer.js';
export * from './client.js';
export * from './setup.js';
export * from './anvil.js';
export * from './devnet.js';
