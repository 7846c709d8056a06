/**
 * Typed access to a deployed HotshardBridge: reads of its state, and its transactions. The ABI is the one
 * compiled from bridge/contracts (bridge/compile.ts), so it can never drift from the Solidity.
 */
import { getAddress, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem';
import { artifact } from './compile.js';
import { type BridgeDomain, type Checkpoint } from './checkpoint.js';
import { BridgeError } from './errors.js';
import { toBridgeError, writeContract, type L1, type WriteResult } from './l1.js';
import type { WithdrawalProof } from './withdrawals.js';

export const ETH: Address = '0x0000000000000000000000000000000000000000';
export const PAUSED_BY_GUARDIAN = 1;
export const PAUSED_BY_DEPOSIT_MISMATCH = 2;

/** The contract's one-slot state. */
export interface BridgeState {
  readonly latestSequence: bigint;
  readonly latestEpoch: bigint;
  readonly depositCount: bigint;
  /** Seconds; when the current pause began. */
  readonly pausedAt: number;
  /** PAUSED_BY_GUARDIAN | PAUSED_BY_DEPOSIT_MISMATCH. */
  readonly pauseFlags: number;
  readonly frozen: boolean;
}

/** What the contract keeps of an accepted withdrawals root. */
export interface RootRecord {
  /** The first accepted checkpoint with this root; 0n when the root was never accepted. */
  readonly sequence: bigint;
  /** Seconds: that checkpoint's acceptance. Withdrawals against the root are payable withdrawalDelay later. */
  readonly acceptedAt: bigint;
  readonly withdrawalsCount: bigint;
}

/** The deployment's fixed parameters. */
export interface BridgeImmutables {
  readonly sidechainChainId: bigint;
  readonly genesisHash: Hex;
  readonly guardian: Address;
  readonly withdrawalDelay: bigint;
  readonly pauseTimelock: bigint;
  readonly limitPeriod: bigint;
  readonly defaultLimit: bigint;
}

/** The contract's getters of the immutables, one per field of BridgeImmutables. */
const IMMUTABLE_NAMES = [
  'sidechainChainId',
  'genesisHash',
  'guardian',
  'withdrawalDelay',
  'pauseTimelock',
  'limitPeriod',
  'defaultLimit',
] as const satisfies readonly (keyof BridgeImmutables)[];

/** What `submitCheckpoint` returned: the enum of the contract. */
export type SubmitOutcome = 'accepted' | 'already-accepted' | 'frozen';
const OUTCOMES: readonly SubmitOutcome[] = ['accepted', 'already-accepted', 'frozen'];

export class BridgeContract {
  private constructor(
    readonly l1: L1,
    readonly address: Address,
    readonly abi: Abi,
  ) {}

  /** The bridge at `address` (checks that code is there). */
  static async at(l1: L1, address: string): Promise<BridgeContract> {
    const a = await artifact('HotshardBridge');
    const addr = getAddress(address);
    const code = await l1.public.getCode({ address: addr }).catch((err: unknown) => {
      throw toBridgeError(err, 'getCode');
    });
    if (code === undefined || code === '0x') {
      throw new BridgeError(
        'BAD_CONFIG',
        `no contract at ${addr} on chain ${l1.chain.id}: check the address in bridge.json`,
      );
    }
    return new BridgeContract(l1, addr, a.abi);
  }

  /** Where checkpoint signatures for this contract are valid. */
  get domain(): BridgeDomain {
    return { l1ChainId: this.l1.chain.id, contract: this.address };
  }

  /** The same contract, sending transactions from another connection (another key). */
  connect(l1: L1): BridgeContract {
    return new BridgeContract(l1, this.address, this.abi);
  }

  async read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    try {
      return (await this.l1.public.readContract({
        address: this.address,
        abi: this.abi,
        functionName,
        args,
      } as never)) as T;
    } catch (err) {
      throw toBridgeError(err, functionName);
    }
  }

  write<T = unknown>(
    functionName: string,
    args: readonly unknown[],
    value?: bigint,
  ): Promise<WriteResult<T>> {
    return writeContract<T>(this.l1, { address: this.address, abi: this.abi, functionName, args, value });
  }

  // ---------------------------------------------------------------- reads

  state(): Promise<BridgeState> {
    return this.read<BridgeState>('state');
  }

  committeeHash(): Promise<Hex> {
    return this.read<Hex>('committeeHash');
  }

  /** The hash of the accepted checkpoint with `sequence`; the zero hash when none was accepted. */
  checkpointHashOf(sequence: bigint): Promise<Hex> {
    return this.read<Hex>('checkpointHashOf', [sequence]);
  }

  rootRecord(root: Hex): Promise<RootRecord> {
    return this.read<RootRecord>('rootRecord', [root]);
  }

  depositHash(nonce: bigint): Promise<Hex> {
    return this.read<Hex>('depositHash', [nonce]);
  }

  lockedBalance(token: Address): Promise<bigint> {
    return this.read<bigint>('lockedBalance', [token]);
  }

  isPaid(id: bigint): Promise<boolean> {
    return this.read<boolean>('isPaid', [id]);
  }

  limitOf(token: Address): Promise<bigint> {
    return this.read<bigint>('limitOf', [token]);
  }

  withdrawnThisPeriod(token: Address): Promise<bigint> {
    return this.read<bigint>('withdrawnThisPeriod', [token]);
  }

  async immutables(): Promise<BridgeImmutables> {
    const values = await Promise.all(IMMUTABLE_NAMES.map((name) => this.read<unknown>(name)));
    return Object.fromEntries(
      IMMUTABLE_NAMES.map((name, i) => [name, values[i]]),
    ) as unknown as BridgeImmutables;
  }

  /** The contract's own hash of a checkpoint (equals checkpointHash() of bridge/checkpoint.ts). */
  hashCheckpoint(cp: Checkpoint): Promise<Hex> {
    return this.read<Hex>('hashCheckpoint', [cp]);
  }

  checkpointDigest(cp: Checkpoint): Promise<Hex> {
    return this.read<Hex>('checkpointDigest', [cp]);
  }

  // ---------------------------------------------------------------- transactions

  async submitCheckpoint(
    cp: Checkpoint,
    members: readonly Hex[],
    signatures: Hex,
  ): Promise<{ receipt: TransactionReceipt; outcome: SubmitOutcome }> {
    const { receipt, result } = await this.write<number>('submitCheckpoint', [cp, members, signatures]);
    return { receipt, outcome: OUTCOMES[Number(result)] ?? 'accepted' };
  }

  depositEth(recipient: Hex, amount: bigint): Promise<WriteResult<bigint>> {
    return this.write<bigint>('depositEth', [recipient], amount);
  }

  depositErc20(token: Address, amount: bigint, recipient: Hex): Promise<WriteResult<bigint>> {
    return this.write<bigint>('depositErc20', [token, amount, recipient]);
  }

  /** Pays a withdrawal proven against the accepted withdrawals root `root` (the tree of `p.size` leaves). */
  withdraw(root: Hex, p: WithdrawalProof): Promise<WriteResult<void>> {
    return this.write<void>('withdraw', [root, p.withdrawal, BigInt(p.index), p.proof]);
  }

  pause(): Promise<WriteResult<void>> {
    return this.write<void>('pause', []);
  }

  unpause(): Promise<WriteResult<void>> {
    return this.write<void>('unpause', []);
  }
}
