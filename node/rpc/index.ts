/** node/rpc: JSON-RPC 2.0 over HTTP, with /metrics and /health on the same server. */
export * from './errors.js';
export * from './height-waiters.js';
export * from './json.js';
export * from './params.js';
export * from './rate-limit.js';
export * from './registry.js';
export * from './server.js';
