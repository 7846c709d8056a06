/**
 * The connection to Ethereum (the "L1"): a viem public client, and a wallet client when a key is given.
 * Also the typed decoding of contract reverts into BridgeError('CONTRACT_REVERT') with the Solidity error's
 * name in `context.reason`, so that callers and tests branch on names, never on message text.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  TransactionReceiptNotFoundError,
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { setTimeout as sleep } from 'node:timers/promises';
import { BridgeError } from './errors.js';

export interface L1 {
  readonly rpcUrl: string;
  readonly chain: Chain;
  readonly public: PublicClient;
  /** Present when connected with a key. */
  readonly wallet?: WalletClient;
  readonly account?: Account;
}

export interface ConnectOptions {
  /** The key that signs transactions; read-only without it. */
  readonly privateKey?: Hex;
  /** Milliseconds between polls for receipts and blocks (default 1,000; 20 suits a local anvil). */
  readonly pollingIntervalMs?: number;
}

/** Connects to the node at `rpcUrl` and reads its chain id. */
export async function connectL1(rpcUrl: string, opts: ConnectOptions = {}): Promise<L1> {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    throw new BridgeError(
      'BAD_CONFIG',
      `"${rpcUrl}" is not a URL: give the Ethereum JSON-RPC endpoint, e.g. http://127.0.0.1:8545`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BridgeError('BAD_CONFIG', `the L1 RPC must be http(s), got ${url.protocol}`);
  }
  const pollingInterval = opts.pollingIntervalMs ?? 1_000;
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 1 }) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (err) {
    throw new BridgeError('RPC', `no Ethereum node answers at ${rpcUrl}: is it running?`, {}, { cause: err });
  }
  const chain = defineChain({
    id: chainId,
    name: `l1-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval, cacheTime: 0 });
  if (opts.privateKey === undefined) return { rpcUrl, chain, public: publicClient };
  let account: Account;
  try {
    account = privateKeyToAccount(opts.privateKey);
  } catch (err) {
    throw new BridgeError('BAD_CONFIG', 'the private key is not 32 bytes of 0x-hex', {}, { cause: err });
  }
  const wallet = createWalletClient({ chain, transport, account, pollingInterval, cacheTime: 0 });
  return { rpcUrl, chain, public: publicClient, wallet, account };
}

export interface RevertInfo {
  readonly name: string;
  readonly args: readonly unknown[];
}

/** The Solidity error behind a viem error, if the failure was a revert. */
export function revertOf(err: unknown): RevertInfo | undefined {
  if (err instanceof BridgeError && err.code === 'CONTRACT_REVERT') {
    return { name: String(err.context.reason), args: (err.context.args as unknown[]) ?? [] };
  }
  if (!(err instanceof BaseError)) return undefined;
  const r = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(r instanceof ContractFunctionRevertedError)) return undefined;
  if (r.data !== undefined) return { name: r.data.errorName, args: r.data.args ?? [] };
  return { name: r.signature ?? r.reason ?? 'unknown', args: [] };
}

function stringify(v: unknown): string {
  return typeof v === 'bigint'
    ? v.toString()
    : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** Turns a viem failure into a BridgeError: CONTRACT_REVERT with the reason, or RPC. */
export function toBridgeError(err: unknown, what: string): BridgeError {
  if (err instanceof BridgeError) return err;
  const revert = revertOf(err);
  if (revert !== undefined) {
    return new BridgeError(
      'CONTRACT_REVERT',
      `${what} reverted: ${revert.name}(${revert.args.map(stringify).join(', ')})`,
      { reason: revert.name, args: [...revert.args] },
      { cause: err },
    );
  }
  const msg = err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err);
  return new BridgeError('RPC', `${what} failed: ${msg}`, {}, { cause: err });
}

/**
 * Polls for a transaction's receipt. viem's waitForTransactionReceipt waits for new blocks, and anvil in
 * automine can publish a block number before that block's receipts: the wait then sees no receipt, and no
 * further block ever comes. Asking for the receipt itself has no such race.
 */
export async function waitForReceipt(l1: L1, hash: Hex, timeoutMs = 180_000): Promise<TransactionReceipt> {
  const deadline = Date.now() + timeoutMs;
  const interval = Math.min(Math.max(l1.public.pollingInterval, 10), 2_000);
  for (;;) {
    try {
      return await l1.public.getTransactionReceipt({ hash });
    } catch (err) {
      if (!(err instanceof TransactionReceiptNotFoundError)) throw err;
    }
    if (Date.now() > deadline)
      throw new BridgeError('RPC', `transaction ${hash} was not mined within ${timeoutMs / 1000} s`);
    await sleep(interval);
  }
}

export interface WriteResult<T = unknown> {
  readonly receipt: TransactionReceipt;
  /** What the function returned in the simulation that preceded the transaction. */
  readonly result: T;
}

/**
 * Simulates a call (so that a revert is reported with its reason and no transaction is sent), then sends it
 * and waits for its receipt.
 */
export async function writeContract<T = unknown>(
  l1: L1,
  call: { address: Address; abi: Abi; functionName: string; args?: readonly unknown[]; value?: bigint },
): Promise<WriteResult<T>> {
  if (l1.wallet === undefined || l1.account === undefined) {
    throw new BridgeError(
      'BAD_CONFIG',
      `${call.functionName} needs a key: give --key-file or set HOTSHARD_L1_KEY`,
    );
  }
  try {
    const sim = await l1.public.simulateContract({ ...call, account: l1.account } as never);
    const { request, result } = sim as unknown as { request: unknown; result: T };
    const hash = await l1.wallet.writeContract(request as never);
    const receipt = await waitForReceipt(l1, hash);
    if (receipt.status !== 'success') {
      throw new BridgeError('CONTRACT_REVERT', `${call.functionName} reverted on chain in ${hash}`, {
        reason: 'unknown',
        args: [],
      });
    }
    return { receipt, result };
  } catch (err) {
    throw toBridgeError(err, call.functionName);
  }
}

/** Deploys a compiled contract and waits for it. */
export async function deployContract(
  l1: L1,
  contract: { abi: Abi; bytecode: Hex },
  args: readonly unknown[],
  name = 'contract',
): Promise<{ address: Address; receipt: TransactionReceipt }> {
  if (l1.wallet === undefined || l1.account === undefined) {
    throw new BridgeError(
      'BAD_CONFIG',
      `deploying ${name} needs a key: give --key-file or set HOTSHARD_L1_KEY`,
    );
  }
  try {
    const hash = await l1.wallet.deployContract({
      abi: contract.abi,
      bytecode: contract.bytecode,
      args,
      account: l1.account,
      chain: l1.chain,
    } as never);
    const receipt = await waitForReceipt(l1, hash);
    if (receipt.status !== 'success' || receipt.contractAddress == null) {
      throw new BridgeError('CONTRACT_REVERT', `deploying ${name} failed in ${hash}`, {
        reason: 'unknown',
        args: [],
      });
    }
    return { address: getAddress(receipt.contractAddress), receipt };
  } catch (err) {
    throw toBridgeError(err, `deploy ${name}`);
  }
}
