/** `hotshard tx transfer`: sign a transfer with a key file, send it, and wait for its commit. */
import { parseArgs } from 'node:util';
import { addressFromHex, addressToHex } from '../core/address.js';
import { HotshardError } from '../core/errors.js';
import { formatAssetId, parseAssetId } from '../genesis/asset-id.js';
import { readGenesisFile } from '../genesis/json.js';
import { readKeyFile } from '../genesis/keyfile.js';
import { DEFAULT_FEE_PARAMS } from '../genesis/types.js';
import { RECEIPT_STATUS_NAMES } from '../shards/receipt.js';
import { HotshardClient } from '../node/client/client.js';
import { RpcError } from '../node/client/errors.js';
import { sendTransfer } from '../node/client/transfer.js';
import { toJson, type ReceiptView } from '../node/client/views.js';
import {
  endpointsOfShard,
  resolveEndpoints,
  shardOfAddressIn,
  DEFAULT_TESTNET_DIR,
} from '../node/testnet/endpoints.js';
import { UsageError, type Command } from './command.js';

const HELP = `Usage: hotshard tx transfer --from KEYFILE --to ADDRESS --amount N [options]

Signs a transfer with the sender's key file, sends it to a validator of the
sender's shard and, by default, waits until it is committed (its receipt).

Options:
  --from KEYFILE     the sender's key file (e.g. testnet/accounts/account-0.json)   [required]
  --to ADDRESS       the recipient's address, 0x and 40 hex digits                  [required]
  --amount N         whole units of the asset                                       [required]
  --asset ASSET      native (default), eth, or a bridged token's 0x address
  --fee N            the fee in native units (default: the genesis minimum)
  --nonce N          the sender's nonce (default: its committed nonce, read from the node)
  --testnet DIR      send to a validator of this testnet (default: ./${DEFAULT_TESTNET_DIR})
  --rpc URL          send to this validator instead
  --no-wait          return once the mempool accepted it, without waiting for the commit
  --timeout SEC      how long to wait for the commit (default: 60)
  --json             print the result as one JSON object
  -h, --help         this text

Exit codes: 0 committed successfully (or accepted, with --no-wait); 1 rejected,
failed or not committed in time; 2 wrong usage.`;

/** What to do about each rejection code of the node's mempool. */
const HINTS: Record<string, string> = {
  NONCE_TOO_LOW: 'that nonce is used already; omit --nonce to use the next one',
  NONCE_TAKEN: 'a transaction with this nonce is pending; wait for it, or pass --nonce with the next value',
  NONCE_GAP_TOO_LARGE: 'the nonce is too far ahead of the committed one; omit --nonce',
  FEE_TOO_LOW: 'raise --fee to the minimum the node names',
  INSUFFICIENT_BALANCE: 'the sender cannot pay amount + fee; check it with `hotshard account`',
  WRONG_SHARD: "send to a validator of the sender's shard (use --testnet DIR, or the right --rpc)",
  WRONG_CHAIN: 'this node runs another chain; check --rpc/--testnet',
  EXPIRED: "the transaction expired on arrival; check this machine's clock",
  MEMPOOL_FULL: 'the node is overloaded; retry later or raise --fee',
  SENDER_LIMIT: 'too many pending transactions from this sender; wait for some to commit',
  BAD_AMOUNT: 'the amount must be positive and amount + fee below 2^128',
  DUPLICATE: 'this exact transaction is pending already',
};

interface Flags {
  from?: string;
  to?: string;
  amount?: string;
  asset?: string;
  fee?: string;
  nonce?: string;
  testnet?: string;
  rpc?: string;
  'no-wait'?: boolean;
  timeout?: string;
  json?: boolean;
}

function wholeNumber(flag: string, v: string): bigint {
  if (!/^\d+$/.test(v))
    throw new UsageError(`tx transfer: --${flag} takes a whole number (no decimals, no sign), got "${v}"`);
  return BigInt(v);
}

function statusName(r: ReceiptView): string {
  return /^\d+$/.test(r.status) ? (RECEIPT_STATUS_NAMES[Number(r.status)] ?? r.status) : r.status;
}

function parse(argv: string[]): Flags {
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        amount: { type: 'string' },
        asset: { type: 'string' },
        fee: { type: 'string' },
        nonce: { type: 'string' },
        testnet: { type: 'string' },
        rpc: { type: 'string' },
        'no-wait': { type: 'boolean' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(`tx: ${(err as Error).message}. Run \`hotshard tx --help\`.`);
  }
  const [sub, ...rest] = parsed.positionals;
  if (sub !== 'transfer' || rest.length > 0) {
    throw new UsageError(
      sub === undefined
        ? 'tx: name the kind of transaction: `hotshard tx transfer ...`'
        : `tx: unknown transaction kind "${parsed.positionals.join(' ')}"; the CLI sends: transfer`,
    );
  }
  return parsed.values;
}

async function transfer(f: Flags): Promise<number> {
  for (const req of ['from', 'to', 'amount'] as const) {
    if (f[req] === undefined)
      throw new UsageError(`tx transfer: --${req} is required. Run \`hotshard tx --help\`.`);
  }
  let to: Uint8Array;
  try {
    to = addressFromHex(f.to!);
  } catch {
    throw new UsageError(`tx transfer: --to must be an address, 0x and 40 hex digits (got "${f.to}")`);
  }
  const amount = wholeNumber('amount', f.amount!);
  if (amount === 0n) throw new UsageError('tx transfer: --amount must be positive');
  const asset = f.asset === undefined ? undefined : parseAssetId(f.asset);
  if (asset === null)
    throw new UsageError(
      `tx transfer: --asset must be native, eth or a token's 0x address (got "${f.asset}")`,
    );
  const timeoutSec = f.timeout === undefined ? 60 : Number(wholeNumber('timeout', f.timeout));
  const keys = readKeyFile(f.from!);

  const resolved = resolveEndpoints({ rpc: f.rpc, testnet: f.testnet });
  const senderShard = shardOfAddressIn(resolved, keys.address);
  const candidates = senderShard === undefined ? resolved.endpoints : endpointsOfShard(resolved, senderShard);
  let fee = f.fee === undefined ? undefined : wholeNumber('fee', f.fee);
  if (fee === undefined && resolved.testnet !== undefined) {
    const g = readGenesisFile(resolved.testnet.genesisFile);
    const recipientShard = shardOfAddressIn(resolved, to);
    fee = recipientShard === senderShard ? g.fees.minTransferFee : g.fees.minCrossShardFee;
  }
  fee ??= DEFAULT_FEE_PARAMS.minTransferFee;

  if (candidates.length === 0)
    throw new UsageError(`tx transfer: no validator of shard ${senderShard} in ${resolved.testnet?.dir}`);
  // Try the validators of the shard in turn: one may be down.
  let lastErr: unknown;
  for (const e of candidates) {
    const client = new HotshardClient(e.rpc);
    try {
      const sent = await sendTransfer(client, keys.ed25519, keys.address, {
        to,
        amount,
        fee,
        ...(asset !== undefined ? { asset } : {}),
        ...(f.nonce !== undefined ? { nonce: wholeNumber('nonce', f.nonce) } : {}),
      });
      const base = {
        hash: sent.hash,
        from: addressToHex(keys.address),
        to: addressToHex(to),
        amount,
        asset: formatAssetId(sent.tx.tx.asset),
        fee,
        nonce: sent.nonce,
        shard: sent.shard,
        rpc: e.rpc,
      };
      if (f['no-wait']) {
        console.log(
          f.json
            ? toJson({ ...base, committed: false })
            : `sent ${sent.hash} (nonce ${sent.nonce}) to ${e.rpc}; not waiting for the commit`,
        );
        return 0;
      }
      if (!f.json)
        console.error(`sent ${sent.hash} (nonce ${sent.nonce}) to ${e.rpc}; waiting for the commit...`);
      const receipt = await client.waitForReceipt(sent.hash, { timeoutMs: timeoutSec * 1000, pollMs: 100 });
      const status = statusName(receipt);
      const ok = status === 'SUCCESS' || status === 'success' || status === '0';
      if (f.json) console.log(toJson({ ...base, committed: true, receipt: { ...receipt, status } }));
      else {
        console.log(
          `${ok ? 'committed' : 'committed but FAILED'}: ${sent.hash} in block ${receipt.height} (index ${receipt.index}), status ${status}, fee ${receipt.fee}` +
            (receipt.error ? `, ${receipt.error}` : ''),
        );
      }
      return ok ? 0 : 1;
    } catch (err) {
      lastErr = err;
      // Only an unreachable node is worth another validator; anything else is the answer.
      if (!(err instanceof RpcError && err.code === 'UNREACHABLE')) break;
    } finally {
      client.close();
    }
  }
  if (lastErr instanceof RpcError && lastErr.code === 'REMOTE') {
    const code = lastErr.context.dataCode;
    const hint = code !== undefined ? HINTS[code] : undefined;
    const msg = `the node rejected the transfer: ${lastErr.message}${hint ? `; ${hint}` : ''}`;
    if (f.json) console.log(toJson({ error: { code: code ?? 'REMOTE', message: msg } }));
    else console.error(`hotshard: ${msg}`);
    return 1;
  }
  if (lastErr instanceof HotshardError && f.json) {
    console.log(toJson({ error: { code: lastErr.code, message: lastErr.message } }));
    return 1;
  }
  throw lastErr;
}

const command: Command = {
  name: 'tx',
  summary: 'Send a transfer and wait for its commit',
  help: HELP,
  async run(argv) {
    return transfer(parse(argv));
  },
};

export default command;
