/**
 * The deposit hash chain (DESIGN.md, Bridge to Ethereum): the contract stores, per nonce,
 * h[n] = sha256(h[n-1] || abi.encode(uint64 n, address token, address sender, bytes20 recipient, uint256 amount)),
 * with h[0] = 0. A checkpoint states (nonce, h[nonce]) for the deposits the sidechain applied.
 */
import { concat, encodeAbiParameters, sha256, zeroHash, type Address, type Hex } from 'viem';

export const GENESIS_DEPOSIT_HASH: Hex = zeroHash;

export interface Deposit {
  readonly nonce: bigint;
  /** address(0) for ETH. */
  readonly token: Address;
  readonly sender: Address;
  /** The sidechain address (20 bytes) credited. */
  readonly recipient: Hex;
  /** What the contract received (after any fee-on-transfer). */
  readonly amount: bigint;
}

const DEPOSIT_ABI = [
  { type: 'uint64' },
  { type: 'address' },
  { type: 'address' },
  { type: 'bytes20' },
  { type: 'uint256' },
] as const;

/** h[n] from h[n-1] and deposit n. */
export function nextDepositHash(previous: Hex, d: Deposit): Hex {
  return sha256(
    concat([previous, encodeAbiParameters(DEPOSIT_ABI, [d.nonce, d.token, d.sender, d.recipient, d.amount])]),
  );
}

/** h[n] of a whole sequence of deposits 1..n, in nonce order. */
export function depositChainHash(deposits: readonly Deposit[]): Hex {
  return deposits.reduce<Hex>((h, d) => nextDepositHash(h, d), GENESIS_DEPOSIT_HASH);
}
