/**
 * The user's side of the bridge: deposit ETH or an ERC-20, withdraw with a proof, and follow a withdrawal:
 * "not yet checkpointed", "in its delay", "provable", "paid".
 */
import { erc20Abi, parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem';
import type { BridgeContract } from './contract.js';
import { BridgeError } from './errors.js';
import { readEvents } from './events.js';
import { toBridgeError, writeContract } from './l1.js';
import type { WithdrawalProof } from './withdrawals.js';

export type WithdrawalState = 'not yet checkpointed' | 'in its delay' | 'provable' | 'paid';

export interface WithdrawalStatus {
  readonly state: WithdrawalState;
  /** For "in its delay" and "provable": the root to prove against, its checkpoint and its leaf count. */
  readonly root?: Hex;
  readonly sequence?: bigint;
  readonly size?: bigint;
  /** For "in its delay": the Ethereum timestamp from which it is payable. */
  readonly readyAt?: bigint;
  /** Payable only while the bridge is neither paused nor frozen. */
  readonly paused: boolean;
  readonly frozen: boolean;
}

export interface AcceptedCheckpoint {
  readonly sequence: bigint;
  readonly checkpointHash: Hex;
  readonly epoch: bigint;
  readonly withdrawalsRoot: Hex;
  readonly withdrawalsCount: bigint;
  readonly depositNonce: bigint;
  readonly blockNumber: bigint;
}

export interface DepositReceipt {
  readonly nonce: bigint;
  readonly amount: bigint;
  readonly depositHash: Hex;
  readonly transactionHash: Hex;
  readonly gasUsed: bigint;
}

export class BridgeClient {
  constructor(
    readonly bridge: BridgeContract,
    /** The deployment block: events are read from there. */
    readonly deployBlock: bigint,
  ) {}

  /** Locks `amount` wei for the sidechain address `recipient` (20 bytes). */
  async depositEth(recipient: Hex, amount: bigint): Promise<DepositReceipt> {
    const { receipt } = await this.bridge.depositEth(recipient, amount);
    return this.depositReceipt(receipt);
  }

  /** Approves the bridge when needed, then locks `amount` of `token` (the credit is what the bridge receives). */
  async depositErc20(token: Address, amount: bigint, recipient: Hex): Promise<DepositReceipt> {
    const owner = this.bridge.l1.account?.address;
    if (owner === undefined)
      throw new BridgeError('BAD_CONFIG', 'depositing needs a key: give --key-file or set HOTSHARD_L1_KEY');
    let allowance: bigint;
    try {
      allowance = await this.bridge.l1.public.readContract({
        address: token,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [owner, this.bridge.address],
      });
    } catch (err) {
      throw toBridgeError(err, `allowance of ${token}`);
    }
    if (allowance < amount) {
      await writeContract(this.bridge.l1, {
        address: token,
        abi: erc20Abi,
        functionName: 'approve',
        args: [this.bridge.address, amount],
      });
    }
    const { receipt } = await this.bridge.depositErc20(token, amount, recipient);
    return this.depositReceipt(receipt);
  }

  private depositReceipt(receipt: TransactionReceipt): DepositReceipt {
    const [log] = parseEventLogs({
      abi: this.bridge.abi,
      logs: receipt.logs,
      eventName: 'Deposited' as never,
    });
    const args = (log as unknown as { args: { nonce: bigint; amount: bigint; depositHash: Hex } } | undefined)
      ?.args;
    if (args === undefined) throw new BridgeError('RPC', `no Deposited event in ${receipt.transactionHash}`);
    return {
      nonce: args.nonce,
      amount: args.amount,
      depositHash: args.depositHash,
      transactionHash: receipt.transactionHash,
      gasUsed: receipt.gasUsed,
    };
  }

  /** Pays a proven withdrawal against the accepted root `root`; anyone may send it, the recipient is paid. */
  async withdraw(root: Hex, proof: WithdrawalProof): Promise<{ transactionHash: Hex; gasUsed: bigint }> {
    const { receipt } = await this.bridge.withdraw(root, proof);
    return { transactionHash: receipt.transactionHash, gasUsed: receipt.gasUsed };
  }

  /** Every accepted checkpoint, in sequence order. */
  async acceptedCheckpoints(): Promise<AcceptedCheckpoint[]> {
    const latest = await this.bridge.l1.public.getBlockNumber().catch((err: unknown) => {
      throw toBridgeError(err, 'eth_blockNumber');
    });
    const logs = await readEvents(this.bridge, 'CheckpointAccepted', this.deployBlock, latest);
    return logs.map((l) => {
      const a = l.args as {
        sequence: bigint;
        checkpointHash: Hex;
        epoch: bigint;
        withdrawalsRoot: Hex;
        withdrawalsCount: bigint;
        depositNonce: bigint;
      };
      return { ...a, blockNumber: l.blockNumber };
    });
  }

  /**
   * Where withdrawal `id`, leaf `index` of the withdrawals tree, stands. It is covered by every accepted
   * checkpoint whose tree has more than `index` leaves; the earliest one becomes payable first.
   */
  async status(id: bigint, index: number): Promise<WithdrawalStatus> {
    const [state, paid] = await Promise.all([this.bridge.state(), this.bridge.isPaid(id)]);
    const flags = { paused: state.pauseFlags !== 0, frozen: state.frozen };
    if (paid) return { state: 'paid', ...flags };
    const covering = (await this.acceptedCheckpoints()).filter((c) => c.withdrawalsCount > BigInt(index));
    if (covering.length === 0) return { state: 'not yet checkpointed', ...flags };
    const { withdrawalDelay } = await this.bridge.immutables();
    const now = (await this.bridge.l1.public.getBlock({ blockTag: 'latest' })).timestamp;
    // Acceptance times grow with the sequence: the earliest covering checkpoint decides.
    const c = covering[0]!;
    const rec = await this.bridge.rootRecord(c.withdrawalsRoot);
    const readyAt = rec.acceptedAt + withdrawalDelay;
    const at = { root: c.withdrawalsRoot, sequence: rec.sequence, size: rec.withdrawalsCount, ...flags };
    return now >= readyAt ? { state: 'provable', ...at } : { state: 'in its delay', readyAt, ...at };
  }
}
