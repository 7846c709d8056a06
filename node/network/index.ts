/**
 * node/network: libp2p v3 (TCP, noise, yamux, identify), gossipsub 17 with
 * one verdict path, and request-response on long-lived streams.
 * Import core/polyfill.js before this module.
 */
export * from './errors.js';
export * from './topics.js';
export * from './options.js';
export * from './peer-id.js';
export * from './validator-directory.js';
export * from './peer-penalties.js';
export * from './gossip-validation.js';
export * from './frames.js';
export type { ReqRespHandler, ReqRespContext } from './reqresp.js';
export * from './scoring.js';
export * from './network.js';
