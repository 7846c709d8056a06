/** `hotshard account`: an account's balances and nonce, optionally with its Merkle proof. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { addressFromHex, addressToHex } from '../core/address.js';
import { fromHex } from '../core/bytes.js';
import { formatAssetId } from '../genesis/asset-id.js';
import { readKeyFile } from '../genesis/keyfile.js';
import { HotshardClient } from '../node/client/client.js';
import { RpcError } from '../node/client/errors.js';
import { toJson, type AccountView } from '../node/client/views.js';
import {
  DEFAULT_TESTNET_DIR,
  endpointsOfShard,
  resolveEndpoints,
  shardOfAddressIn,
} from '../node/testnet/endpoints.js';
import { UsageError, type Command } from './command.js';

const HELP = `Usage: hotshard account ADDRESS|KEYFILE [--proof] [--testnet DIR | --rpc URL] [--json]

Shows an account's nonce and balances at the last committed block of a
validator of its shard, with the height and state root they were read at.

Arguments:
  ADDRESS|KEYFILE   an address (0x and 40 hex digits) or a key file to take it from

Options:
  --proof           also fetch the Merkle proof of the account against the state root
  --testnet DIR     ask a validator of this testnet (default: ./${DEFAULT_TESTNET_DIR})
  --rpc URL         ask this validator instead
  --json            print one JSON object
  -h, --help        this text`;

interface Flags {
  proof?: boolean;
  testnet?: string;
  rpc?: string;
  json?: boolean;
}

function addressOf(arg: string): Uint8Array {
  if (/^0x[0-9a-fA-F]{40}$/.test(arg)) return addressFromHex(arg);
  if (existsSync(arg)) return readKeyFile(arg).address;
  throw new UsageError(`account: "${arg}" is neither an address (0x and 40 hex digits) nor a key file`);
}

function print(a: AccountView): void {
  console.log(`address     ${a.address}`);
  console.log(`shard       ${a.shard}`);
  console.log(`nonce       ${a.nonce}`);
  const entries = Object.entries(a.balances);
  if (entries.length === 0) console.log('balances    (none)');
  entries.forEach(([asset, amount], i) => {
    let name = asset;
    try {
      name = formatAssetId(fromHex(asset));
    } catch {
      // keep the node's spelling
    }
    console.log(`${i === 0 ? 'balances' : ''.padEnd(8)}    ${amount} ${name}`);
  });
  console.log(`at height   ${a.height} (state root ${a.stateRoot})`);
  if (a.proof !== undefined) console.log(`proof       ${JSON.stringify(a.proof)}`);
}

const command: Command = {
  name: 'account',
  summary: "Show an account's balances and nonce",
  help: HELP,
  async run(argv) {
    let parsed: { values: Flags; positionals: string[] };
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          proof: { type: 'boolean' },
          testnet: { type: 'string' },
          rpc: { type: 'string' },
          json: { type: 'boolean' },
        },
        strict: true,
        allowPositionals: true,
      });
    } catch (err) {
      throw new UsageError(`account: ${(err as Error).message}. Run \`hotshard account --help\`.`);
    }
    if (parsed.positionals.length !== 1)
      throw new UsageError('account: give one ADDRESS or KEYFILE. Run `hotshard account --help`.');
    const address = addressOf(parsed.positionals[0]!);
    const f = parsed.values;
    const resolved = resolveEndpoints({ rpc: f.rpc, testnet: f.testnet });
    const shard = shardOfAddressIn(resolved, address);
    const candidates = shard === undefined ? resolved.endpoints : endpointsOfShard(resolved, shard);
    let lastErr: unknown = new UsageError(`account: no validator of shard ${shard} in this testnet`);
    for (const e of candidates) {
      const client = new HotshardClient(e.rpc);
      try {
        const account = await client.getAccount(addressToHex(address), { proof: f.proof === true });
        if (f.json) console.log(toJson({ ...account, rpc: e.rpc }));
        else print(account);
        return 0;
      } catch (err) {
        lastErr = err;
        if (!(err instanceof RpcError && err.code === 'UNREACHABLE')) break;
      } finally {
        client.close();
      }
    }
    throw lastErr;
  },
};

export default command;
