/** shards/smt: the sparse Merkle tree of the shard state (docs/state-tree.md). */
export * from './hash.js';
export * from './node.js';
export * from './proof.js';
export * from './tree.js';
