/**
 * Reading the bridge's events over a block range in chunks (public RPCs cap the range of eth_getLogs).
 */
import { parseEventLogs, type Log } from 'viem';
import type { BridgeContract } from './contract.js';
import { toBridgeError } from './l1.js';

export const DEFAULT_MAX_BLOCK_RANGE = 5_000n;

export interface DecodedLog {
  readonly eventName: string;
  readonly args: Record<string, unknown>;
  readonly blockNumber: bigint;
  readonly blockHash: `0x${string}`;
  readonly transactionHash: `0x${string}`;
  readonly logIndex: number;
}

/** The contract's `eventName` logs in [fromBlock, toBlock], in chain order. */
export async function readEvents(
  bridge: BridgeContract,
  eventName: string,
  fromBlock: bigint,
  toBlock: bigint,
  maxRange: bigint = DEFAULT_MAX_BLOCK_RANGE,
): Promise<DecodedLog[]> {
  const out: DecodedLog[] = [];
  for (let from = fromBlock; from <= toBlock; from += maxRange) {
    const to = from + maxRange - 1n < toBlock ? from + maxRange - 1n : toBlock;
    let logs: Log[];
    try {
      logs = await bridge.l1.public.getLogs({ address: bridge.address, fromBlock: from, toBlock: to });
    } catch (err) {
      throw toBridgeError(err, `eth_getLogs ${from}..${to}`);
    }
    const parsed = parseEventLogs({
      abi: bridge.abi,
      logs,
      eventName: eventName as never,
      strict: true,
    }) as unknown as (Log & {
      eventName: string;
      args: Record<string, unknown>;
    })[];
    for (const l of parsed) {
      out.push({
        eventName: l.eventName,
        args: l.args,
        blockNumber: l.blockNumber!,
        blockHash: l.blockHash!,
        transactionHash: l.transactionHash!,
        logIndex: l.logIndex!,
      });
    }
  }
  return out;
}
