/**
 * The list of commands. Each is loaded only when it runs, so that
 * `hotshard --help` stays fast and one command's dependencies (libp2p, solc,
 * viem) never slow another.
 */
import type { Command } from './command.js';

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'node',
    summary: 'Run a validator (`hotshard node start --config FILE`)',
    load: async () => (await import('./node.js')).default,
  },
  {
    name: 'keys',
    summary: 'Generate and inspect validator and account key files',
    load: async () => (await import('./keys.js')).default,
  },
  {
    name: 'genesis',
    summary: 'Create and validate the genesis of a network',
    load: async () => (await import('./genesis.js')).default,
  },
  {
    name: 'status',
    summary: 'Show the height, round and peers of each validator',
    load: async () => (await import('./status.js')).default,
  },
  {
    name: 'testnet',
    summary: 'Run a local testnet (create on the first run, resume after)',
    load: async () => (await import('./testnet.js')).default,
  },
  {
    name: 'tx',
    summary: 'Send a transfer and wait for its commit',
    load: async () => (await import('./tx.js')).default,
  },
  {
    name: 'account',
    summary: "Show an account's balances and nonce",
    load: async () => (await import('./account.js')).default,
  },
  {
    name: 'bench',
    summary: 'Benchmark transfers on a testnet of its own (TPS, latency, bound)',
    load: async () => (await import('./bench.js')).default,
  },
  {
    name: 'bridge',
    summary: 'Deploy and use the bridge to Ethereum (deploy, deposit, withdraw, status, relay)',
    load: async () => (await import('./bridge.js')).default,
  },
  {
    name: 'sim',
    summary: 'Run seeded consensus scenarios in the deterministic simulator (safety and liveness)',
    load: async () => (await import('./sim.js')).default,
  },
];
