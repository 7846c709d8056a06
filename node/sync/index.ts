/** node/sync: catching up with committed blocks and their commit certificates (docs/node.md, Sync). */
export * from './errors.js';
export * from './messages.js';
export * from './verify.js';
export * from './server.js';
export * from './service.js';
