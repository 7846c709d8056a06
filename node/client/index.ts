/** node/client: a typed JSON-RPC client for hotshard validators (CLI, bench, tests). */
export * from './errors.js';
export * from './transport.js';
export * from './views.js';
export * from './client.js';
