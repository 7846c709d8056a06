/**
 * Shared helpers of the bridge tests (not a test file itself): a real anvil with a deployed bridge and a
 * committee with known keys, tokens, time travel, a checkpoint chain that tracks sequence numbers and the
 * withdrawals tree, and `expectRevert`, which checks the revert reason by simulation, then mines the
 * transaction anyway and checks that it reverted and that no observable state changed.
 */
import {
  decodeErrorResult,
  encodeFunctionData,
  erc20Abi,
  zeroAddress,
  zeroHash,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem';
import { startAnvil, type Anvil } from '../../../bridge/anvil.js';
import { artifact } from '../../../bridge/compile.js';
import {
  buildCheckpoint,
  checkpointHash,
  EMPTY_WITHDRAWALS_ROOT,
  type Checkpoint,
} from '../../../bridge/checkpoint.js';
import { BridgeContract, ETH } from '../../../bridge/contract.js';
import { deployBridge, type BridgeDeployParams } from '../../../bridge/deploy.js';
import { devCommittee, signByMembers, type DevCommittee } from '../../../bridge/devnet.js';
import { GENESIS_DEPOSIT_HASH } from '../../../bridge/deposits.js';
import {
  connectL1,
  deployContract,
  revertOf,
  waitForReceipt,
  writeContract,
  type L1,
} from '../../../bridge/l1.js';
import { assembleSubmission, type Submission } from '../../../bridge/signatures.js';
import { WithdrawalTree } from '../../../bridge/withdrawals.js';

export const SIDECHAIN_CHAIN_ID = 4242n;
export const GENESIS_HASH: Hex = `0x${'ab'.repeat(32)}`;
export const DELAY = 60n;
export const TIMELOCK = 600n;
export const PERIOD = 3_600n;
export const ETH_LIMIT = 100n * 10n ** 18n;

export interface BridgeEnv {
  readonly anvil: Anvil;
  /** Deployer and guardian. */
  readonly deployer: L1;
  /** Other funded accounts. */
  readonly users: readonly L1[];
  readonly dev: DevCommittee;
  readonly bridge: BridgeContract;
  readonly deployBlock: bigint;
  readonly params: BridgeDeployParams;
  stop(): Promise<void>;
}

export interface EnvOptions {
  readonly stakes?: readonly bigint[];
  readonly seed?: string;
  readonly params?: Partial<BridgeDeployParams>;
  readonly anvil?: Anvil;
}

/** Starts anvil (unless given one) and deploys a bridge whose guardian is the deployer. */
export async function startBridgeEnv(opts: EnvOptions = {}): Promise<BridgeEnv> {
  const anvil = opts.anvil ?? (await startAnvil());
  try {
    const l1s = await Promise.all(
      anvil.privateKeys
        .slice(0, 5)
        .map((k) => connectL1(anvil.rpcUrl, { privateKey: k, pollingIntervalMs: 10 })),
    );
    const deployer = l1s[0]!;
    const dev = devCommittee(opts.stakes ?? [1n, 1n, 1n, 1n], opts.seed);
    const params: BridgeDeployParams = {
      sidechainChainId: SIDECHAIN_CHAIN_ID,
      genesisHash: GENESIS_HASH,
      guardian: deployer.account!.address,
      withdrawalDelay: DELAY,
      pauseTimelock: TIMELOCK,
      limitPeriod: PERIOD,
      defaultLimit: 10n ** 24n,
      limits: [{ token: ETH, limit: ETH_LIMIT }],
      ...opts.params,
    };
    const d = await deployBridge(deployer, dev.committee, params);
    return {
      anvil,
      deployer,
      users: l1s.slice(1),
      dev,
      bridge: d.contract,
      deployBlock: d.deployBlock,
      params,
      stop: () => (opts.anvil === undefined ? anvil.stop() : Promise.resolve()),
    };
  } catch (err) {
    if (opts.anvil === undefined) await anvil.stop();
    throw err;
  }
}

export type TestContract = 'TestToken' | 'FeeOnTransferToken' | 'ReentrantToken' | 'MerkleHarness';

export async function deployTest(
  l1: L1,
  name: TestContract,
  args: readonly unknown[] = [],
): Promise<Address> {
  return (await deployContract(l1, await artifact(name), args, name)).address;
}

export async function callToken(
  l1: L1,
  token: Address,
  functionName: string,
  args: readonly unknown[],
): Promise<void> {
  const a = await artifact('ReentrantToken'); // every test token has mint and the ERC-20 functions
  await writeContract(l1, { address: token, abi: a.abi, functionName, args });
}

export async function balanceOf(l1: L1, token: Address, who: Address): Promise<bigint> {
  if (token === ETH) return l1.public.getBalance({ address: who });
  return l1.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [who] });
}

async function rpc(l1: L1, method: string, params: unknown[]): Promise<unknown> {
  return l1.public.request({ method: method as never, params: params as never });
}

/** Moves the chain's clock forward and mines a block. */
export async function increaseTime(l1: L1, seconds: bigint | number): Promise<void> {
  await rpc(l1, 'evm_increaseTime', [Number(seconds)]);
  await rpc(l1, 'evm_mine', []);
}

export async function mineBlocks(l1: L1, n: number): Promise<void> {
  await rpc(l1, 'anvil_mine', [`0x${n.toString(16)}`]);
}

export async function setNextTimestamp(l1: L1, t: bigint): Promise<void> {
  await rpc(l1, 'evm_setNextBlockTimestamp', [Number(t)]);
}

export async function latestTimestamp(l1: L1): Promise<bigint> {
  return (await l1.public.getBlock({ blockTag: 'latest' })).timestamp;
}

/** A 20-byte sidechain recipient. */
export function recipientOf(i: number): Hex {
  return `0x${(0x5100 + i).toString(16).padStart(40, '0')}`;
}

export interface Call {
  readonly functionName: string;
  readonly args: readonly unknown[];
  readonly value?: bigint;
  /** The contract called (default: the bridge). */
  readonly address?: Address;
  readonly abi?: import('viem').Abi;
}

export type Outcome =
  | { ok: true; receipt: TransactionReceipt }
  | { ok: false; reason: string; args: readonly unknown[]; receipt: TransactionReceipt };

/**
 * Runs `call` as `l1`: simulates it (at `atTime` when given, the timestamp the block will have) to learn the
 * outcome and revert reason, then mines it with a fixed gas limit whatever the simulation said, and checks
 * that the chain agrees with the simulation.
 */
export async function execute(bridge: BridgeContract, l1: L1, call: Call, atTime?: bigint): Promise<Outcome> {
  const address = call.address ?? bridge.address;
  const abi = call.abi ?? bridge.abi;
  const data = encodeFunctionData({ abi, functionName: call.functionName, args: call.args } as never);
  let reason: { name: string; args: readonly unknown[] } | undefined;
  try {
    await l1.public.call({
      account: l1.account!,
      to: address,
      data,
      value: call.value,
      ...(atTime !== undefined ? { blockOverrides: { time: atTime } } : {}),
    });
  } catch (err) {
    const raw = findRevertData(err);
    if (raw !== undefined) {
      try {
        const d = decodeErrorResult({ abi: bridge.abi, data: raw });
        reason = { name: d.errorName, args: d.args ?? [] };
      } catch {
        reason = { name: raw.slice(0, 10), args: [] };
      }
    } else {
      reason = revertOf(err) ?? { name: `unexplained: ${(err as Error).message.split('\n')[0]}`, args: [] };
    }
  }
  if (atTime !== undefined) await setNextTimestamp(l1, atTime);
  const hash = await l1.wallet!.sendTransaction({
    account: l1.account!,
    chain: l1.chain,
    to: address,
    data,
    value: call.value,
    gas: 8_000_000n,
  });
  const receipt = await waitForReceipt(l1, hash);
  if ((receipt.status === 'success') !== (reason === undefined)) {
    throw new Error(
      `${call.functionName}: simulation said ${reason?.name ?? 'success'} but the chain said ${receipt.status}`,
    );
  }
  return reason === undefined
    ? { ok: true, receipt }
    : { ok: false, reason: reason.name, args: reason.args, receipt };
}

function findRevertData(err: unknown): Hex | undefined {
  let e: unknown = err;
  for (let i = 0; i < 10 && e !== undefined && e !== null; i++) {
    const d = (e as { data?: unknown }).data;
    if (typeof d === 'string' && d.startsWith('0x') && d.length >= 10) return d as Hex;
    if (typeof d === 'object' && d !== null && typeof (d as { data?: unknown }).data === 'string')
      return (d as { data: Hex }).data;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Everything observable of the bridge, for "nothing changed" checks. */
export async function snapshot(
  env: BridgeEnv,
  tokens: readonly Address[] = [],
  ids: readonly bigint[] = [],
  roots: readonly Hex[] = [],
): Promise<unknown> {
  const b = env.bridge;
  const state = await b.state();
  const assets = [ETH, ...tokens];
  const seqs = Array.from({ length: Number(state.latestSequence) + 3 }, (_, i) => BigInt(i));
  const nonces = Array.from({ length: Number(state.depositCount) + 2 }, (_, i) => BigInt(i));
  const out = {
    state,
    committeeHash: await b.committeeHash(),
    locked: await Promise.all(assets.map((a) => b.lockedBalance(a))),
    balances: await Promise.all(assets.map((a) => balanceOf(env.deployer, a, b.address))),
    withdrawn: await Promise.all(assets.map((a) => b.withdrawnThisPeriod(a))),
    checkpoints: await Promise.all(seqs.map((s) => b.checkpointHashOf(s))),
    deposits: await Promise.all(nonces.map((n) => b.depositHash(n))),
    paid: await Promise.all(ids.map((id) => b.isPaid(id))),
    roots: await Promise.all(roots.map((r) => b.rootRecord(r))),
  };
  return JSON.parse(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

/**
 * The sidechain's side of checkpoints in a test: sequence numbers, the previous hash, the cumulative
 * withdrawals tree and the deposits applied. `next()` builds the next checkpoint without submitting it.
 */
export class CheckpointChain {
  sequence = 0n;
  epoch = 1n;
  height = 0n;
  previous: Hex = zeroHash;
  readonly tree = new WithdrawalTree();
  deposits = { nonce: 0n, hash: GENESIS_DEPOSIT_HASH };

  next(overrides: Partial<Checkpoint> = {}): Checkpoint {
    const size = this.tree.size;
    const cp = buildCheckpoint({
      chainId: SIDECHAIN_CHAIN_ID,
      sequence: this.sequence + 1n,
      epoch: this.epoch,
      beaconHeightFrom: this.height + 1n,
      beaconHeightTo: this.height + 32n,
      previousCheckpoint: this.previous,
      beaconBlockHash: `0x${(this.sequence + 1n).toString(16).padStart(64, 'b')}`,
      withdrawals: { root: size === 0 ? EMPTY_WITHDRAWALS_ROOT : this.tree.root(), count: size },
      deposits: this.deposits,
    });
    return { ...cp, ...overrides };
  }

  /** Records that `cp` was produced (submitted or skipped by the relayer). */
  advance(cp: Checkpoint): void {
    this.sequence = cp.sequence;
    this.epoch = cp.epoch;
    this.height = cp.beaconHeightTo;
    this.previous = checkpointHash(cp);
  }
}

/** The committee's signatures by `indices`, assembled (checked) for submission. */
export async function signed(
  env: BridgeEnv,
  cp: Checkpoint,
  indices: readonly number[],
  dev: DevCommittee = env.dev,
): Promise<Submission> {
  const sigs = await signByMembers(dev, cp, env.bridge.domain, indices);
  return assembleSubmission(dev.committee, cp, env.bridge.domain, sigs);
}

export const all = (dev: DevCommittee): number[] => dev.committee.members.map((_, i) => i);

export { ETH, zeroAddress };
