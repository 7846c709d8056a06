#!/usr/bin/env node
/** The `hotshard` command line: dispatches to one command module. */
import '../core/polyfill.js';
import { COMMANDS } from './registry.js';
import { UsageError } from './command.js';
import { HotshardError } from '../core/errors.js';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'hotshard: a sharded sidechain of Ethereum',
    '',
    'Usage: hotshard <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `hotshard <command> --help` for the options of a command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    console.log('hotshard 0.1.0');
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) {
    console.error(`hotshard: unknown command "${name}". Run \`hotshard --help\` for the list of commands.`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`hotshard: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof HotshardError) {
      console.error(`hotshard: ${err.message}`);
      process.exitCode = 1;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
