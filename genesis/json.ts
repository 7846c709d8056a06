/**
 * The genesis file humans read and write (docs/genesis.md, File format):
 * JSON with hex strings for keys and addresses, decimal strings for amounts
 * and stakes (JSON numbers lose precision above 2^53), integers for
 * parameters. Unknown fields are errors, so a misspelt field cannot be
 * silently ignored.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fromHex, toHex } from '../core/bytes.js';
import { formatAssetId, parseAssetId } from './asset-id.js';
import { BUCKET_RULES, type BucketRule } from './buckets.js';
import { normalizeGenesis } from './codec.js';
import { parseEthAddress, toChecksumAddress } from './eth-address.js';
import { GenesisError } from './errors.js';
import { validateGenesis } from './validate.js';
import {
  GENESIS_VERSION,
  type BridgeParams,
  type ConsensusParams,
  type FeeParams,
  type Genesis,
  type GenesisBalance,
  type GenesisValidator,
} from './types.js';

type Json = unknown;
type Obj = Record<string, Json>;

function fail(code: ConstructorParameters<typeof GenesisError>[0], path: string, msg: string): never {
  throw new GenesisError(code, `${path}: ${msg}`, { path });
}

function obj(v: Json, path: string, fields: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail('BAD_FIELD', path || '<root>', 'expected an object');
  for (const k of Object.keys(v)) {
    if (!fields.includes(k))
      fail(
        'UNKNOWN_FIELD',
        path ? `${path}.${k}` : k,
        `unknown field; known fields here: ${fields.join(', ')}`,
      );
  }
  return v as Obj;
}

function req(o: Obj, k: string, path: string): Json {
  if (!(k in o)) fail('MISSING_FIELD', path ? `${path}.${k}` : k, 'required field is missing');
  return o[k];
}

function int(v: Json, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail('BAD_FIELD', path, `expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

/** A decimal string (or a safe JSON integer) as a bigint; the range is checked by validation. */
function amount(v: Json, path: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]*)$/.test(v))
    fail('BAD_FIELD', path, `expected a decimal string such as "1000", got ${JSON.stringify(v)}`);
  if (v.length > 60) fail('AMOUNT_TOO_LARGE', path, 'exceeds 2^128 - 1');
  return BigInt(v);
}

function hex(v: Json, path: string, bytes: number): Uint8Array {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]*$/.test(v))
    fail('BAD_HEX', path, `expected 0x-prefixed hex, got ${JSON.stringify(v)}`);
  if (v.length !== 2 + 2 * bytes)
    fail('BAD_HEX', path, `expected ${bytes} bytes (${2 * bytes} hex digits), got ${(v.length - 2) / 2}`);
  return fromHex(v);
}

function ethAddress(v: Json, path: string): Uint8Array {
  if (typeof v !== 'string') fail('BAD_HEX', path, 'expected an Ethereum address (0x + 40 hex digits)');
  const r = parseEthAddress(v);
  if (r.ok) return r.address;
  if (r.reason === 'checksum')
    fail(
      'BAD_CHECKSUM',
      path,
      `${v} has a wrong EIP-55 checksum (a typo?); write it all lower-case to skip the check`,
    );
  return fail('BAD_HEX', path, `expected an Ethereum address (0x + 40 hex digits), got ${JSON.stringify(v)}`);
}

function asset(v: Json, path: string): Uint8Array {
  const a = typeof v === 'string' ? parseAssetId(v) : null;
  if (a === null)
    fail(
      'BAD_HEX',
      path,
      `expected "native", "eth" or a token address (0x + 40 hex digits), got ${JSON.stringify(v)}`,
    );
  return a;
}

function array(v: Json, path: string): Json[] {
  if (!Array.isArray(v)) fail('BAD_FIELD', path, 'expected an array');
  return v;
}

function member(v: Json, path: string): GenesisValidator {
  const o = obj(v, path, ['publicKey', 'ethAddress', 'stake']);
  return {
    publicKey: hex(req(o, 'publicKey', path), `${path}.publicKey`, 32),
    ethAddress: ethAddress(req(o, 'ethAddress', path), `${path}.ethAddress`),
    stake: amount(req(o, 'stake', path), `${path}.stake`),
  };
}

function committee(v: Json, path: string): GenesisValidator[] {
  return array(v, path).map((m, i) => member(m, `${path}[${i}]`));
}

function balance(v: Json, path: string): GenesisBalance {
  const o = obj(v, path, ['shard', 'address', 'asset', 'amount']);
  return {
    shard: int(req(o, 'shard', path), `${path}.shard`, 0, 0xffff),
    address: hex(req(o, 'address', path), `${path}.address`, 20),
    asset: 'asset' in o ? asset(o['asset'], `${path}.asset`) : asset('native', path),
    amount: amount(req(o, 'amount', path), `${path}.amount`),
  };
}

const U32 = 0xffffffff;

function consensus(v: Json, path: string): ConsensusParams {
  const keys = [
    'baseRoundTimeoutMs',
    'roundTimeoutBackoffPercent',
    'maxRoundTimeoutMs',
    'minProposalIntervalMs',
    'maxClockDriftMs',
  ] as const;
  const o = obj(v, path, keys);
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = int(req(o, k, path), `${path}.${k}`, 0, U32);
  return out as unknown as ConsensusParams;
}

function fees(v: Json, path: string): FeeParams {
  const keys = ['minTransferFee', 'minCrossShardFee', 'minWithdrawFee'] as const;
  const o = obj(v, path, keys);
  const out: Record<string, bigint> = {};
  for (const k of keys) out[k] = amount(req(o, k, path), `${path}.${k}`);
  return out as unknown as FeeParams;
}

function bridge(v: Json, path: string): BridgeParams {
  const o = obj(v, path, [
    'withdrawalDelaySeconds',
    'limitPeriodSeconds',
    'withdrawalLimits',
    'guardian',
    'guardianUnpauseDelaySeconds',
    'checkpointInterval',
  ]);
  const g = req(o, 'guardian', path);
  return {
    withdrawalDelaySeconds: int(
      req(o, 'withdrawalDelaySeconds', path),
      `${path}.withdrawalDelaySeconds`,
      0,
      U32,
    ),
    limitPeriodSeconds: int(req(o, 'limitPeriodSeconds', path), `${path}.limitPeriodSeconds`, 0, U32),
    withdrawalLimits: array(req(o, 'withdrawalLimits', path), `${path}.withdrawalLimits`).map((l, i) => {
      const p = `${path}.withdrawalLimits[${i}]`;
      const lo = obj(l, p, ['asset', 'amountPerPeriod']);
      return {
        asset: asset(req(lo, 'asset', p), `${p}.asset`),
        amountPerPeriod: amount(req(lo, 'amountPerPeriod', p), `${p}.amountPerPeriod`),
      };
    }),
    guardian: g === null ? null : ethAddress(g, `${path}.guardian`),
    guardianUnpauseDelaySeconds: int(
      req(o, 'guardianUnpauseDelaySeconds', path),
      `${path}.guardianUnpauseDelaySeconds`,
      0,
      U32,
    ),
    checkpointInterval: int(req(o, 'checkpointInterval', path), `${path}.checkpointInterval`, 0, U32),
  };
}

const TOP_FIELDS = [
  'version',
  'chainId',
  'ethereumChainId',
  'genesisTime',
  'shardCount',
  'bucketCount',
  'bucketRule',
  'consensus',
  'fees',
  'bridge',
  'beaconCommittee',
  'shardCommittees',
  'balances',
] as const;

/**
 * Reads a genesis from its parsed JSON, checking each field's type and
 * format but not the whole (see listGenesisProblems), in the file's order
 * (normalizeGenesis sorts the balances). Throws GenesisError.
 */
export function genesisFromJsonUnvalidated(v: Json): Genesis {
  if (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    'version' in v &&
    (v as Obj)['version'] !== GENESIS_VERSION
  ) {
    fail(
      'VERSION',
      'version',
      `genesis version ${JSON.stringify((v as Obj)['version'])} is not supported; this build reads version ${GENESIS_VERSION}`,
    );
  }
  const o = obj(v, '', TOP_FIELDS);
  req(o, 'version', '');
  const rule = req(o, 'bucketRule', '');
  if (typeof rule !== 'string' || !(rule in BUCKET_RULES)) {
    fail(
      'BAD_BUCKETS',
      'bucketRule',
      `expected one of ${Object.keys(BUCKET_RULES).join(', ')}, got ${JSON.stringify(rule)}`,
    );
  }
  // Not normalized yet: error paths (balances[i]) must name the entries as the file orders them.
  const g: Genesis = {
    version: GENESIS_VERSION,
    chainId: int(req(o, 'chainId', ''), 'chainId', 0, U32),
    ethereumChainId: int(req(o, 'ethereumChainId', ''), 'ethereumChainId', 0, Number.MAX_SAFE_INTEGER),
    genesisTime: int(req(o, 'genesisTime', ''), 'genesisTime', 0, Number.MAX_SAFE_INTEGER),
    shardCount: int(req(o, 'shardCount', ''), 'shardCount', 0, 0xffff),
    bucketCount: int(req(o, 'bucketCount', ''), 'bucketCount', 0, U32),
    bucketRule: rule as BucketRule,
    consensus: consensus(req(o, 'consensus', ''), 'consensus'),
    fees: fees(req(o, 'fees', ''), 'fees'),
    bridge: bridge(req(o, 'bridge', ''), 'bridge'),
    beaconCommittee: committee(req(o, 'beaconCommittee', ''), 'beaconCommittee'),
    shardCommittees: array(req(o, 'shardCommittees', ''), 'shardCommittees').map((c, s) =>
      committee(c, `shardCommittees[${s}]`),
    ),
    balances: array(req(o, 'balances', ''), 'balances').map((b, i) => balance(b, `balances[${i}]`)),
  };
  return g;
}

/** Reads a genesis from its parsed JSON, checks every field, then validates the whole. Throws GenesisError. */
export function genesisFromJson(v: Json): Genesis {
  const g = genesisFromJsonUnvalidated(v);
  validateGenesis(g);
  return normalizeGenesis(g);
}

/** Parses JSON text; throws GenesisError BAD_JSON. */
export function parseJsonText(text: string): Json {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GenesisError('BAD_JSON', `not valid JSON: ${(err as Error).message}`, {}, { cause: err });
  }
}

/** Parses and validates genesis JSON text. */
export function parseGenesisJson(text: string): Genesis {
  return genesisFromJson(parseJsonText(text));
}

function memberJson(m: GenesisValidator): Obj {
  return {
    publicKey: '0x' + toHex(m.publicKey),
    ethAddress: toChecksumAddress(m.ethAddress),
    stake: m.stake.toString(),
  };
}

/** The JSON form of `g` (balances in canonical order). */
export function genesisToJson(g: Genesis): Obj {
  const n = normalizeGenesis(g);
  return {
    version: n.version,
    chainId: n.chainId,
    ethereumChainId: n.ethereumChainId,
    genesisTime: n.genesisTime,
    shardCount: n.shardCount,
    bucketCount: n.bucketCount,
    bucketRule: n.bucketRule,
    consensus: { ...n.consensus },
    fees: Object.fromEntries(Object.entries(n.fees).map(([k, v]) => [k, (v as bigint).toString()])),
    bridge: {
      ...n.bridge,
      withdrawalLimits: n.bridge.withdrawalLimits.map((l) => ({
        asset: formatAssetId(l.asset),
        amountPerPeriod: l.amountPerPeriod.toString(),
      })),
      guardian: n.bridge.guardian === null ? null : toChecksumAddress(n.bridge.guardian),
    },
    beaconCommittee: n.beaconCommittee.map(memberJson),
    shardCommittees: n.shardCommittees.map((c) => c.map(memberJson)),
    balances: n.balances.map((b) => ({
      shard: b.shard,
      address: '0x' + toHex(b.address),
      asset: formatAssetId(b.asset),
      amount: b.amount.toString(),
    })),
  };
}

export function formatGenesisJson(g: Genesis): string {
  return JSON.stringify(genesisToJson(g), null, 2) + '\n';
}

export function readGenesisText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new GenesisError(
      'IO',
      `cannot read genesis file ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}

/** Reads and validates a genesis file. Throws GenesisError (code IO when the file cannot be read). */
export function readGenesisFile(path: string): Genesis {
  return parseGenesisJson(readGenesisText(path));
}

export function writeGenesisFile(path: string, g: Genesis): void {
  validateGenesis(g);
  try {
    writeFileSync(path, formatGenesisJson(g));
  } catch (err) {
    throw new GenesisError(
      'IO',
      `cannot write genesis file ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}
