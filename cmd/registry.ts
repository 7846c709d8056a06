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
  // Each command module adds its own line here, e.g.
  // { name: 'sim', summary: '...', load: async () => (await import('./sim.js')).default },
  { name: 'status', summary: 'Show the height, round and peers of each validator', load: async () => (await import('./status.js')).default },
];
