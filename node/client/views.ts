/**
 * The typed results of the hs_* methods (.team/NODE-CONTRACT.md) and their
 * parsers. On the wire, bigints are decimal strings and bytes are 0x-hex;
 * here amounts and nonces are bigint, heights and rounds are numbers, and
 * hashes stay 0x-hex strings (what users paste and compare).
 */
import { RpcError } from './errors.js';

export interface CommitteeMemberView {
  readonly publicKey: string;
  readonly stake: bigint;
}

export interface StatusView {
  readonly chainId: number;
  readonly shard: number;
  readonly committee: readonly CommitteeMemberView[];
  /** This validator's public key (0x-hex), or its index, as the node reports it. */
  readonly self: unknown;
  readonly round: number;
  readonly height: number;
  readonly committedHeight: number;
  readonly lastCommittedId: string;
  readonly peers: number;
  readonly syncing: boolean;
  readonly mempoolSize: number;
  readonly genesisHash: string;
}

export interface AccountView {
  readonly address: string;
  readonly shard: number;
  readonly nonce: bigint;
  /** Asset (0x-hex id) to amount. */
  readonly balances: Readonly<Record<string, bigint>>;
  /** The committed height and state root the answer was read at. */
  readonly height: number;
  readonly stateRoot: string;
  /** The Merkle proof of the account against `stateRoot`, as the node encodes it. */
  readonly proof?: unknown;
}

export interface BlockView {
  readonly id: string;
  readonly height: number;
  readonly round: number;
  readonly epoch: number;
  readonly parentId: string;
  readonly proposer: number;
  readonly timestamp: number;
  readonly stateRoot: string;
  readonly txRoot: string;
  readonly receiptsRoot: string;
  readonly transactions: readonly string[];
  readonly commitQc?: unknown;
}

export interface ReceiptView {
  readonly txHash: string;
  /** For example "success" or "failed", as the node names it. */
  readonly status: string;
  readonly height: number;
  readonly blockId: string;
  readonly index: number;
  readonly fee: bigint;
  readonly error?: string;
}

export interface SendResult {
  readonly hash: string;
}

class Reader {
  constructor(
    private readonly method: string,
    private readonly obj: Record<string, unknown>,
  ) {}

  static of(method: string, v: unknown): Reader {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw bad(method, 'the result is not an object');
    return new Reader(method, v as Record<string, unknown>);
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined && this.obj[field] !== null;
  }

  raw(field: string): unknown {
    return this.obj[field];
  }

  int(field: string): number {
    const v = this.obj[field];
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw bad(this.method, `field ${field} is not a count`);
    return n;
  }

  big(field: string): bigint {
    return toBigint(this.method, field, this.obj[field]);
  }

  hex(field: string): string {
    const v = this.obj[field];
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]*$/.test(v))
      throw bad(this.method, `field ${field} is not 0x-hex`);
    return v.toLowerCase();
  }

  str(field: string): string {
    const v = this.obj[field];
    if (typeof v !== 'string') throw bad(this.method, `field ${field} is not a string`);
    return v;
  }

  bool(field: string): boolean {
    const v = this.obj[field];
    if (typeof v !== 'boolean') throw bad(this.method, `field ${field} is not a boolean`);
    return v;
  }

  list(field: string): unknown[] {
    const v = this.obj[field];
    if (!Array.isArray(v)) throw bad(this.method, `field ${field} is not a list`);
    return v;
  }

  record(field: string): Record<string, unknown> {
    const v = this.obj[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw bad(this.method, `field ${field} is not an object`);
    return v as Record<string, unknown>;
  }
}

function bad(method: string, why: string): RpcError {
  return new RpcError('BAD_RESPONSE', `${method}: ${why}`, { method });
}

function toBigint(method: string, field: string, v: unknown): bigint {
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw bad(method, `field ${field} is not a non-negative integer`);
}

/** A peer count may come as a number or as the list of peers. */
function peerCount(r: Reader): number {
  const v = r.raw('peers');
  return Array.isArray(v) ? v.length : r.int('peers');
}

export function parseStatus(v: unknown): StatusView {
  const r = Reader.of('hs_status', v);
  return {
    chainId: r.int('chainId'),
    shard: r.int('shard'),
    committee: r.list('committee').map((m) => {
      const mr = Reader.of('hs_status', m);
      return { publicKey: mr.hex('publicKey'), stake: mr.big('stake') };
    }),
    self: r.raw('self'),
    round: r.int('round'),
    height: r.int('height'),
    committedHeight: r.int('committedHeight'),
    lastCommittedId: r.hex('lastCommittedId'),
    peers: peerCount(r),
    syncing: r.bool('syncing'),
    mempoolSize: r.int('mempoolSize'),
    genesisHash: r.hex('genesisHash'),
  };
}

export function parseAccount(v: unknown): AccountView {
  const r = Reader.of('hs_getAccount', v);
  const balances: Record<string, bigint> = {};
  for (const [asset, amount] of Object.entries(r.record('balances'))) {
    balances[asset.toLowerCase()] = toBigint('hs_getAccount', `balances.${asset}`, amount);
  }
  return {
    address: r.hex('address'),
    shard: r.int('shard'),
    nonce: r.big('nonce'),
    balances,
    height: r.int('height'),
    stateRoot: r.hex('stateRoot'),
    ...(r.has('proof') ? { proof: r.raw('proof') } : {}),
  };
}

export function parseBlock(v: unknown): BlockView | null {
  if (v === null) return null;
  const r = Reader.of('hs_getBlock', v);
  return {
    id: r.hex('id'),
    height: r.int('height'),
    round: r.int('round'),
    epoch: r.int('epoch'),
    parentId: r.hex('parentId'),
    proposer: r.int('proposer'),
    timestamp: r.int('timestamp'),
    stateRoot: r.hex('stateRoot'),
    txRoot: r.hex('txRoot'),
    receiptsRoot: r.hex('receiptsRoot'),
    transactions: r.list('transactions').map((t) => {
      if (typeof t === 'string' && /^0x[0-9a-fA-F]*$/.test(t)) return t.toLowerCase();
      // Some nodes may return full transaction objects: keep their hash.
      return Reader.of('hs_getBlock', t).hex('hash');
    }),
    ...(r.has('commitQc') ? { commitQc: r.raw('commitQc') } : {}),
  };
}

export function parseReceipt(v: unknown): ReceiptView | null {
  if (v === null) return null;
  const r = Reader.of('hs_getReceipt', v);
  const status = r.raw('status');
  return {
    txHash: r.hex('txHash'),
    status: typeof status === 'string' ? status : String(status),
    height: r.int('height'),
    blockId: r.hex('blockId'),
    index: r.int('index'),
    fee: r.big('fee'),
    ...(r.has('error') ? { error: String(r.raw('error')) } : {}),
  };
}

export function parseSendResult(v: unknown): SendResult {
  return { hash: Reader.of('hs_sendTransaction', v).hex('hash') };
}

/** JSON.stringify with bigints as decimal strings (the wire convention of hotshard). */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), space);
}
