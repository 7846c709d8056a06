/**
 * The validator's configuration file (.team/NODE-CONTRACT.md, docs/node.md):
 * parsed, validated and completed with defaults here, so that every other
 * module receives typed options and the operator gets one error that names
 * the field to fix.
 *
 * Relative paths in the file are resolved against the directory of the file
 * (not the working directory), so that a testnet folder can be moved.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { HotshardError } from '../core/errors.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';

/**
 * - READ_FAILED: the file cannot be read.
 * - NOT_JSON: the file is not JSON.
 * - MISSING: a required field is absent.
 * - BAD_FIELD: a field has the wrong type or is out of range.
 * - UNKNOWN_FIELD: a field this version does not know (a typo, most likely).
 */
export type NodeConfigErrorCode = 'READ_FAILED' | 'NOT_JSON' | 'MISSING' | 'BAD_FIELD' | 'UNKNOWN_FIELD';
export class NodeConfigError extends HotshardError<NodeConfigErrorCode, { field?: string; file?: string }> {}

export interface ListenAddress {
  readonly host: string;
  /** 0 picks a free port; the chosen one is logged in the "node started" line. */
  readonly port: number;
}

/** Optional knobs; each default carries its reason in DEFAULT_TUNING. */
export interface NodeTuning {
  /** Verification worker threads; 0 verifies on the main thread. */
  readonly verifierThreads: number;
  /**
   * Most transactions in a block this validator proposes. 2,000, the
   * protocol's cap (DESIGN.md, Defaults): building and executing a block
   * cost about 20-30 µs per transaction each (`node dist/bench/pipeline.js`),
   * so a full block keeps a stage near 60 ms of CPU, far inside the 1 s round
   * timeout even on a busy machine, and the work each block costs whatever
   * its size (consensus messages, the state tree's upper levels, a commit's
   * write) is spread over twice as many transactions as at 1,000: 10% less
   * CPU per transfer under load (docs/benchmark.md).
   */
  readonly maxBlockTransactions: number;
  /** Mempool capacity (DESIGN.md Defaults: 50,000). */
  readonly mempoolCapacity: number;
  /** Blocks fetched per sync request: enough to amortise a round trip, few enough that a response of full blocks stays within a frame cap. */
  readonly syncBatchBlocks: number;
  /**
   * hs_sendTransaction calls per second per RPC client (DESIGN.md: the RPC
   * limits the rate of submissions per client). 5,000: above what one
   * validator can verify (about 3,500 signatures a second per core), so a
   * single load generator can saturate the node, while a runaway client
   * cannot queue unbounded work. The burst is twice the rate.
   */
  readonly rpcSubmissionRate: number;
}

export const DEFAULT_TUNING: NodeTuning = {
  verifierThreads: -1, // -1: one per core (node/verify's default), resolved where the verifier is built
  maxBlockTransactions: 2000,
  mempoolCapacity: 50_000,
  syncBatchBlocks: 64,
  rpcSubmissionRate: 5000,
};

export interface NodeConfig {
  /** LevelDB lives in `<dataDir>/db`. */
  readonly dataDir: string;
  /** Validator key file written by `hotshard keys generate`. */
  readonly keyFile: string;
  readonly genesisFile: string;
  /** The shard committee this validator serves (it must be a member). */
  readonly shard: number;
  readonly p2p: ListenAddress;
  readonly rpc: ListenAddress;
  /** Static peers as multiaddrs ending in /p2p/<peer id>. */
  readonly peers: readonly string[];
  readonly logLevel: LogLevel;
  readonly tuning: NodeTuning;
}

/** Command-line overrides (`hotshard node start --data-dir ... --peers a,b`). */
export interface NodeConfigOverrides {
  dataDir?: string;
  keyFile?: string;
  genesisFile?: string;
  shard?: number;
  p2pPort?: number;
  rpcPort?: number;
  peers?: string[];
  logLevel?: string;
}

const TOP_FIELDS = [
  'dataDir',
  'keyFile',
  'genesisFile',
  'shard',
  'p2p',
  'rpc',
  'peers',
  'logLevel',
  'tuning',
];

function bad(field: string, why: string, file?: string): NodeConfigError {
  return new NodeConfigError('BAD_FIELD', `${where(file)}"${field}" ${why}`, {
    field,
    ...(file ? { file } : {}),
  });
}

function where(file?: string): string {
  return file ? `${file}: ` : '';
}

function requireString(obj: Record<string, unknown>, field: string, file?: string): string {
  const v = obj[field];
  if (v === undefined)
    throw new NodeConfigError('MISSING', `${where(file)}"${field}" is required`, { field });
  if (typeof v !== 'string' || v.length === 0) throw bad(field, 'must be a non-empty string', file);
  return v;
}

function port(v: unknown, field: string, file?: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)
    throw bad(field, 'must be a port number 0-65535 (0 picks a free one)', file);
  return v;
}

function listen(v: unknown, field: string, file?: string): ListenAddress {
  if (v === undefined) return { host: '127.0.0.1', port: 0 };
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw bad(field, 'must be an object { "host": "127.0.0.1", "port": N }', file);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'host' && k !== 'port') throw unknown(`${field}.${k}`, file);
  const host = o.host === undefined ? '127.0.0.1' : o.host;
  if (typeof host !== 'string' || !/^[0-9a-zA-Z.:-]+$/.test(host))
    throw bad(`${field}.host`, 'must be an IP address or host name', file);
  return { host, port: o.port === undefined ? 0 : port(o.port, `${field}.port`, file) };
}

function unknown(field: string, file?: string): NodeConfigError {
  return new NodeConfigError(
    'UNKNOWN_FIELD',
    `${where(file)}unknown field "${field}" (check its spelling; docs/node.md lists the fields)`,
    {
      field,
    },
  );
}

const PEER_ADDR = /^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/;

function peersOf(v: unknown, file?: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v))
    throw bad('peers', 'must be a list of multiaddrs like /ip4/127.0.0.1/tcp/9000/p2p/12D3Koo...', file);
  return v.map((p, i) => {
    if (typeof p !== 'string' || !PEER_ADDR.test(p)) {
      throw bad(
        `peers[${i}]`,
        `is not a multiaddr like /ip4/127.0.0.1/tcp/9000/p2p/12D3Koo... (got ${JSON.stringify(p)})`,
        file,
      );
    }
    return p;
  });
}

function logLevelOf(v: unknown, file?: string): LogLevel {
  if (v === undefined) return 'info';
  if (typeof v !== 'string' || !(LOG_LEVELS as readonly string[]).includes(v))
    throw bad('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`, file);
  return v as LogLevel;
}

function tuningOf(v: unknown, file?: string): NodeTuning {
  if (v === undefined) return DEFAULT_TUNING;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('tuning', 'must be an object', file);
  const o = v as Record<string, unknown>;
  const out: Record<string, number> = { ...DEFAULT_TUNING };
  const ranges: Record<keyof NodeTuning, [number, number]> = {
    verifierThreads: [-1, 64],
    maxBlockTransactions: [1, 2000],
    mempoolCapacity: [1, 10_000_000],
    syncBatchBlocks: [1, 256],
    rpcSubmissionRate: [1, 1_000_000],
  };
  for (const [k, val] of Object.entries(o)) {
    const range = ranges[k as keyof NodeTuning];
    if (range === undefined) throw unknown(`tuning.${k}`, file);
    if (typeof val !== 'number' || !Number.isInteger(val) || val < range[0] || val > range[1]) {
      throw bad(`tuning.${k}`, `must be an integer in [${range[0]}, ${range[1]}]`, file);
    }
    out[k] = val;
  }
  return out as unknown as NodeTuning;
}

/**
 * Validates a parsed JSON object; relative paths resolve against `baseDir`.
 * Throws NodeConfigError naming the first field to fix.
 */
export function parseNodeConfig(json: unknown, baseDir: string, file?: string): NodeConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new NodeConfigError('NOT_JSON', `${where(file)}the configuration must be a JSON object`, {});
  }
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!TOP_FIELDS.includes(k)) throw unknown(k, file);
  const path = (field: string): string => {
    const p = requireString(o, field, file);
    return isAbsolute(p) ? p : resolve(baseDir, p);
  };
  const shard = o.shard;
  if (shard === undefined)
    throw new NodeConfigError(
      'MISSING',
      `${where(file)}"shard" is required (the shard whose committee this validator is in)`,
      { field: 'shard' },
    );
  if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0 || shard > 0xfffe)
    throw bad('shard', 'must be a shard id (an integer >= 0)', file);
  return {
    dataDir: path('dataDir'),
    keyFile: path('keyFile'),
    genesisFile: path('genesisFile'),
    shard,
    p2p: listen(o.p2p, 'p2p', file),
    rpc: listen(o.rpc, 'rpc', file),
    peers: peersOf(o.peers, file),
    logLevel: logLevelOf(o.logLevel, file),
    tuning: tuningOf(o.tuning, file),
  };
}

/** Reads and validates a configuration file. */
export function loadNodeConfig(file: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NodeConfigError(
      'READ_FAILED',
      `cannot read the configuration file ${file} (${code ?? (err as Error).message})`,
      { file },
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new NodeConfigError(
      'NOT_JSON',
      `${file} is not valid JSON: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  return parseNodeConfig(json, dirname(resolve(file)), file);
}

/**
 * Applies command-line overrides; relative paths given on the command line
 * resolve against the working directory (as a shell user expects).
 */
export function applyOverrides(config: NodeConfig, o: NodeConfigOverrides, cwd = process.cwd()): NodeConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  return {
    ...config,
    ...(o.dataDir !== undefined ? { dataDir: abs(o.dataDir) } : {}),
    ...(o.keyFile !== undefined ? { keyFile: abs(o.keyFile) } : {}),
    ...(o.genesisFile !== undefined ? { genesisFile: abs(o.genesisFile) } : {}),
    ...(o.shard !== undefined ? { shard: o.shard } : {}),
    ...(o.p2pPort !== undefined ? { p2p: { ...config.p2p, port: port(o.p2pPort, '--p2p-port') } } : {}),
    ...(o.rpcPort !== undefined ? { rpc: { ...config.rpc, port: port(o.rpcPort, '--rpc-port') } } : {}),
    ...(o.peers !== undefined ? { peers: peersOf(o.peers) } : {}),
    ...(o.logLevel !== undefined ? { logLevel: logLevelOf(o.logLevel) } : {}),
  };
}
