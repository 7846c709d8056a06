/** consensus/: the BFT engine (Jolteon / DiemBFT v4), generic over its payload. See docs/consensus.md. */
export * from './types.js';
export * from './errors.js';
export * from './committee.js';
export * from './messages.js';
export * from './signing.js';
export * from './verify.js';
export * from './safety-rules.js';
export * from './pacemaker.js';
export * from './leader-election.js';
export * from './block-tree.js';
export * from './engine.js';
