/**
 * testnet.json: what scripts read to find a running testnet (the RPC
 * endpoint and pid of each validator, the funded accounts and their key
 * files). Written when all validators are ready; paths in it are absolute.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { TestnetError } from './errors.js';
import { TestnetLayout } from './layout.js';

export interface TestnetValidatorEntry {
  readonly name: string;
  readonly shard: number;
  readonly rpc: string;
  readonly pid: number;
  readonly p2p: string;
  readonly publicKey: string;
  readonly configFile: string;
  readonly logFile: string;
}

export interface TestnetAccountEntry {
  readonly address: string;
  readonly keyFile: string;
  readonly shard: number;
  /** Genesis balance of the native asset, decimal. */
  readonly balance: string;
}

export interface TestnetFile {
  readonly version: 1;
  readonly dir: string;
  readonly chainId: number;
  readonly genesisFile: string;
  readonly genesisHash: string;
  /** The native asset's id (0x-hex), the asset of fees and of test balances. */
  readonly nativeAsset: string;
  readonly startedAt: string;
  readonly validators: readonly TestnetValidatorEntry[];
  readonly accounts: readonly TestnetAccountEntry[];
}

/** Writes testnet.json atomically (a reader never sees half a file). */
export function writeTestnetFile(layout: TestnetLayout, file: TestnetFile): void {
  const tmp = layout.testnetFile + '.tmp';
  writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n');
  renameSync(tmp, layout.testnetFile);
}

/** Reads and checks testnet.json of a testnet directory. */
export function readTestnetFile(dir: string): TestnetFile {
  const layout = new TestnetLayout(dir);
  let text: string;
  try {
    text = readFileSync(layout.testnetFile, 'utf8');
  } catch {
    throw new TestnetError(
      'BAD_DIR',
      `no ${layout.testnetFile}: start the testnet first with \`hotshard testnet --dir ${dir}\`, or give --rpc URL`,
      { dir },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TestnetError(
      'BAD_DIR',
      `${layout.testnetFile} is not JSON; start the testnet again to rewrite it`,
      { dir },
    );
  }
  const o = json as Partial<TestnetFile>;
  const okValidators =
    Array.isArray(o.validators) &&
    o.validators.every(
      (v) => typeof v?.rpc === 'string' && typeof v?.pid === 'number' && typeof v?.shard === 'number',
    );
  const okAccounts =
    Array.isArray(o.accounts) &&
    o.accounts.every((a) => typeof a?.address === 'string' && typeof a?.keyFile === 'string');
  if (o.version !== 1 || !okValidators || !okAccounts || typeof o.chainId !== 'number') {
    throw new TestnetError(
      'BAD_DIR',
      `${layout.testnetFile} is not a testnet file of this version; start the testnet again to rewrite it`,
      {
        dir,
      },
    );
  }
  return o as TestnetFile;
}
