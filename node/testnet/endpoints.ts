/**
 * Which validators a CLI command talks to: one `--rpc URL`, or the
 * validators of a testnet directory (its testnet.json), by default ./testnet.
 */
import { existsSync } from 'node:fs';
import { shardOfAddress } from '../../genesis/buckets.js';
import { readGenesisFile } from '../../genesis/json.js';
import { TestnetError } from './errors.js';
import { readTestnetFile, type TestnetFile } from './file.js';
import { TestnetLayout } from './layout.js';

export const DEFAULT_TESTNET_DIR = 'testnet';

export interface Endpoint {
  readonly name: string;
  readonly rpc: string;
  /** The shard the validator serves, when known (from testnet.json). */
  readonly shard?: number;
}

export interface EndpointChoice {
  readonly rpc?: string;
  readonly testnet?: string;
}

export interface ResolvedEndpoints {
  readonly endpoints: readonly Endpoint[];
  /** The testnet file when the endpoints came from one. */
  readonly testnet?: TestnetFile;
}

export function resolveEndpoints(choice: EndpointChoice): ResolvedEndpoints {
  if (choice.rpc !== undefined && choice.testnet !== undefined) {
    throw new TestnetError('BAD_OPTIONS', 'give either --rpc URL or --testnet DIR, not both', {});
  }
  if (choice.rpc !== undefined) return { endpoints: [{ name: choice.rpc, rpc: choice.rpc }] };
  const dir = choice.testnet ?? DEFAULT_TESTNET_DIR;
  if (choice.testnet === undefined && !existsSync(new TestnetLayout(dir).testnetFile)) {
    throw new TestnetError(
      'BAD_OPTIONS',
      `no ./${DEFAULT_TESTNET_DIR}/testnet.json here: give --rpc URL of a validator, or --testnet DIR of a running testnet (start one with \`hotshard testnet\`)`,
      {},
    );
  }
  const file = readTestnetFile(dir);
  return {
    endpoints: file.validators.map((v) => ({ name: v.name, rpc: v.rpc, shard: v.shard })),
    testnet: file,
  };
}

/** The endpoints that serve `shard` (all of them when the shards are unknown, as with --rpc). */
export function endpointsOfShard(resolved: ResolvedEndpoints, shard: number): Endpoint[] {
  return resolved.endpoints.filter((e) => e.shard === undefined || e.shard === shard);
}

/**
 * The shard of an address in a testnet (from its genesis), or undefined
 * when the endpoints came from --rpc (the node then tells, via hs_getAccount).
 */
export function shardOfAddressIn(resolved: ResolvedEndpoints, address: Uint8Array): number | undefined {
  if (resolved.testnet === undefined) return undefined;
  const g = readGenesisFile(resolved.testnet.genesisFile);
  return shardOfAddress(address, g.bucketCount, g.shardCount);
}
