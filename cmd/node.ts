/**
 * `hotshard node start --config FILE [overrides]`: runs one validator in
 * this process until SIGINT/SIGTERM (.team/NODE-CONTRACT.md, docs/node.md).
 */
import type { Command } from './command.js';
import { UsageError } from './command.js';
import type { NodeConfigOverrides } from '../node/config.js';

const HELP = `Usage: hotshard node start --config FILE [options]

Runs one validator: LevelDB in <dataDir>/db, libp2p on the p2p address,
JSON-RPC, /metrics and /health on the RPC address. Logs are JSON lines on
stdout. SIGINT or SIGTERM stops it cleanly (exit code 0).

Options (each overrides the same field of the config file):
  --config FILE        the node configuration (JSON, see docs/node.md)   [required]
  --data-dir DIR       dataDir
  --key FILE           keyFile (written by \`hotshard keys generate\`)
  --genesis FILE       genesisFile
  --shard N            shard
  --p2p-port N         p2p.port (0 picks a free port)
  --rpc-port N         rpc.port (0 picks a free port)
  --peers LIST         peers, comma-separated multiaddrs /ip4/H/tcp/P/p2p/ID
  --log-level LEVEL    trace, debug, info, warn, error or silent
  -h, --help           this text`;

const VALUE_FLAGS: Record<string, keyof NodeConfigOverrides | 'config'> = {
  '--config': 'config',
  '--data-dir': 'dataDir',
  '--key': 'keyFile',
  '--genesis': 'genesisFile',
  '--shard': 'shard',
  '--p2p-port': 'p2pPort',
  '--rpc-port': 'rpcPort',
  '--peers': 'peers',
  '--log-level': 'logLevel',
};

export interface NodeStartArgs {
  readonly config: string;
  readonly overrides: NodeConfigOverrides;
}

function integer(flag: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} takes a non-negative integer, got "${v}"`);
  return Number(v);
}

/** Parses the arguments after `node start`. Throws UsageError saying what to fix. */
export function parseNodeStartArgs(argv: readonly string[]): NodeStartArgs {
  let config: string | undefined;
  const o: NodeConfigOverrides = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const field = VALUE_FLAGS[flag];
    if (field === undefined) {
      throw new UsageError(
        `node start: unknown option "${arg}". Run \`hotshard node start --help\` for the options.`,
      );
    }
    let value: string | undefined;
    if (eq > 0 && arg.startsWith('--')) value = arg.slice(eq + 1);
    else {
      value = argv[++i];
      if (value === undefined || value.startsWith('--'))
        throw new UsageError(`node start: ${flag} needs a value`);
    }
    switch (field) {
      case 'config':
        config = value;
        break;
      case 'shard':
      case 'p2pPort':
      case 'rpcPort':
        o[field] = integer(flag, value);
        break;
      case 'peers':
        o.peers = value
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p.length > 0);
        break;
      default:
        o[field] = value;
    }
  }
  if (config === undefined) {
    throw new UsageError(
      'node start: --config FILE is required (a JSON node configuration, see `hotshard node start --help`)',
    );
  }
  return { config, overrides: o };
}

const command: Command = {
  name: 'node',
  summary: 'run a validator (`hotshard node start --config FILE`)',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub !== 'start') {
      throw new UsageError(
        sub === undefined
          ? 'node: missing subcommand; use `hotshard node start --config FILE`'
          : `node: unknown subcommand "${sub}"; use \`hotshard node start --config FILE\``,
      );
    }
    const args = parseNodeStartArgs(rest);
    // Loaded here so that `hotshard --help` does not load libp2p and LevelDB.
    const { runNodeProcess } = await import('../node/main.js');
    return runNodeProcess(args.config, args.overrides);
  },
};

export default command;
