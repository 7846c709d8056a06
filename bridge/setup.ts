/**
 * What a deployment needs, read from the genesis (genesis/): the beacon committee's Ethereum addresses and
 * stakes, the genesis hash, the sidechain's chain id and the bridge parameters; or, without a genesis, from
 * a committee file `{"members": [{"address": "0x..", "stake": "1000"}, ...]}`.
 */
import { readFileSync } from 'node:fs';
import { bytesToHex, getAddress, zeroAddress, type Address, type Hex } from 'viem';
import { toHex } from '../core/bytes.js';
import { isNativeAsset } from '../genesis/asset-id.js';
import { genesisHash } from '../genesis/codec.js';
import type { Genesis } from '../genesis/types.js';
import { makeCommittee, MAX_STAKE, type BridgeCommittee } from './committee.js';
import type { BridgeDeployParams } from './deploy.js';
import { BridgeError } from './errors.js';

export interface BridgeSetup {
  readonly committee: BridgeCommittee;
  readonly genesisHash: Hex;
  readonly sidechainChainId: bigint;
  /** The Ethereum chain the genesis names (the deployment must be on it). */
  readonly ethereumChainId: number;
  readonly params: BridgeDeployParams;
}

/** The bridge committee of a genesis: its beacon committee's bridge keys and stakes. */
export function committeeFromGenesis(g: Genesis): BridgeCommittee {
  g.beaconCommittee.forEach((m, i) => {
    if (m.stake > MAX_STAKE) {
      throw new BridgeError(
        'BAD_COMMITTEE',
        `beaconCommittee[${i}].stake ${m.stake} is above 2^96 - 1, the largest stake the bridge contract counts`,
      );
    }
  });
  return makeCommittee(
    g.beaconCommittee.map((m) => ({ address: `0x${toHex(m.ethAddress)}`, stake: m.stake })),
  );
}

/**
 * Everything to deploy for genesis `g`. Assets the genesis lists limits for are accepted with those limits
 * (the native token is not an Ethereum asset and is skipped); other assets get `defaultLimit` (0: refused).
 */
export function setupFromGenesis(g: Genesis, defaultLimit = 0n): BridgeSetup {
  const limits: { token: Address; limit: bigint }[] = [];
  for (const l of g.bridge.withdrawalLimits) {
    if (isNativeAsset(l.asset)) continue;
    limits.push({ token: getAddress(`0x${toHex(l.asset)}`), limit: l.amountPerPeriod });
  }
  return {
    committee: committeeFromGenesis(g),
    genesisHash: bytesToHex(genesisHash(g)),
    sidechainChainId: BigInt(g.chainId),
    ethereumChainId: g.ethereumChainId,
    params: {
      sidechainChainId: BigInt(g.chainId),
      genesisHash: bytesToHex(genesisHash(g)),
      guardian: g.bridge.guardian === null ? zeroAddress : getAddress(`0x${toHex(g.bridge.guardian)}`),
      withdrawalDelay: BigInt(g.bridge.withdrawalDelaySeconds),
      pauseTimelock: BigInt(g.bridge.guardianUnpauseDelaySeconds),
      limitPeriod: BigInt(g.bridge.limitPeriodSeconds),
      defaultLimit,
      limits,
    },
  };
}

/** Reads a committee file: `{"members": [{"address", "stake"}]}` or the bare array; stakes as decimal strings or integers. */
export function readCommitteeFile(path: string): BridgeCommittee {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new BridgeError(
      'BAD_CONFIG',
      `cannot read the committee file ${path}: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  const list = Array.isArray(j) ? j : (j as { members?: unknown } | null)?.members;
  if (!Array.isArray(list))
    throw new BridgeError(
      'BAD_CONFIG',
      `${path}: expected {"members": [{"address": "0x..", "stake": "1000"}, ...]}`,
    );
  return makeCommittee(
    list.map((m: unknown, i: number) => {
      const o = m as { address?: unknown; stake?: unknown } | null;
      const stake = o?.stake;
      if (!(
        (typeof stake === 'string' && /^[0-9]+$/.test(stake)) ||
        (typeof stake === 'number' && Number.isSafeInteger(stake))
      )) {
        throw new BridgeError(
          'BAD_CONFIG',
          `${path}: members[${i}].stake must be a decimal string such as "1000"`,
        );
      }
      return { address: String(o?.address), stake: BigInt(stake) };
    }),
  );
}

export function committeeToJson(c: BridgeCommittee): {
  members: { address: string; stake: string }[];
  hash: Hex;
} {
  return { members: c.members.map((m) => ({ address: m.address, stake: m.stake.toString() })), hash: c.hash };
}
