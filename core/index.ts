/** core/: primitives shared by every part of hotshard. */
export * from './errors.js';
export * from './bytes.js';
export * from './hash.js';
export * from './codec.js';
export * from './ed25519.js';
export * from './address.js';
export * from './merkle.js';
export * from './quorum.js';
