/** `hotshard status`: the state of every validator of a testnet, or of one node. */
import { parseArgs } from 'node:util';
import { HotshardClient } from '../node/client/client.js';
import { RpcError } from '../node/client/errors.js';
import { toJson, type StatusView } from '../node/client/views.js';
import { resolveEndpoints, type Endpoint } from '../node/testnet/endpoints.js';
import { UsageError, type Command } from './command.js';

const HELP = `Usage: hotshard status [--testnet DIR | --rpc URL] [--json]

Shows each validator's committed height, round, peers, mempool size and the
state root of its last committed block. Exits 1 when a validator does not
answer.

Options:
  --testnet DIR   the validators of a testnet directory (default: ./testnet)
  --rpc URL       one validator's JSON-RPC endpoint, e.g. http://127.0.0.1:8545
  --json          print one JSON object instead of a table
  -h, --help      this text`;

export interface ValidatorStatus {
  readonly name: string;
  readonly rpc: string;
  readonly ok: boolean;
  readonly status?: StatusView;
  /** State root of the block at status.committedHeight. */
  readonly stateRoot?: string;
  readonly error?: string;
}

async function statusOf(e: Endpoint): Promise<ValidatorStatus> {
  const client = new HotshardClient(e.rpc, { timeoutMs: 5000, maxSockets: 2 });
  try {
    const status = await client.status();
    const block = status.committedHeight > 0 ? await client.getBlockByHeight(status.committedHeight) : null;
    return { name: e.name, rpc: e.rpc, ok: true, status, ...(block ? { stateRoot: block.stateRoot } : {}) };
  } catch (err) {
    const msg = err instanceof RpcError ? err.message : String(err);
    return { name: e.name, rpc: e.rpc, ok: false, error: msg };
  } finally {
    client.close();
  }
}

function short(hex: string | undefined): string {
  return hex === undefined ? '-' : hex.length > 14 ? hex.slice(0, 10) + '..' + hex.slice(-4) : hex;
}

function table(rows: readonly ValidatorStatus[]): string {
  const head = [
    'validator',
    'rpc',
    'shard',
    'committed',
    'round',
    'peers',
    'mempool',
    'syncing',
    'state root',
  ];
  const body = rows.map((r) =>
    r.ok && r.status
      ? [
          r.name,
          r.rpc,
          String(r.status.shard),
          String(r.status.committedHeight),
          String(r.status.round),
          String(r.status.peers),
          String(r.status.mempoolSize),
          r.status.syncing ? 'yes' : 'no',
          short(r.stateRoot),
        ]
      : [r.name, r.rpc, '-', '-', '-', '-', '-', '-', `DOWN: ${r.error ?? ''}`],
  );
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.filter((b) => b[i]!.length < 40).map((b) => b[i]!.length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

const command: Command = {
  name: 'status',
  summary: 'Show the height, round and peers of each validator',
  help: HELP,
  async run(argv) {
    let values: { testnet?: string; rpc?: string; json?: boolean };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { testnet: { type: 'string' }, rpc: { type: 'string' }, json: { type: 'boolean' } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError(`status: ${(err as Error).message}. Run \`hotshard status --help\`.`);
    }
    const { endpoints } = resolveEndpoints({ rpc: values.rpc, testnet: values.testnet });
    const rows = await Promise.all(endpoints.map(statusOf));
    if (values.json) console.log(toJson({ validators: rows }));
    else console.log(table(rows));
    return rows.every((r) => r.ok) ? 0 : 1;
  },
};

export default command;
