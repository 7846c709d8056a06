/** genesis/: the genesis format of a multi-shard network and validator key files (docs/genesis.md). */
export * from './asset-id.js';
export * from './buckets.js';
export * from './codec.js';
export * from './committees.js';
export * from './create.js';
export * from './errors.js';
export * from './eth-address.js';
export * from './json.js';
export * from './keyfile.js';
export * from './types.js';
export * from './validate.js';
