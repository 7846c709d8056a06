/**
 * The withdrawals tree (DESIGN.md, Bridge to Ethereum): cumulative and append-only, a leaf per withdrawal,
 * the leaf being `abi.encode(uint64 id, address recipient, address token, uint256 amount)` hashed with the
 * RFC 6962 leaf/node separation of core/merkle.ts. A checkpoint names the root and size of a prefix of it;
 * a proof of leaf `index` is taken against that prefix.
 */
import {
  bytesToHex,
  encodeAbiParameters,
  getAddress,
  hexToBytes,
  isAddress,
  type Address,
  type Hex,
} from 'viem';
import { hashLeaf, inclusionProof, rootFromLeafHashes } from '../core/merkle.js';
import { BridgeError } from './errors.js';

export interface WithdrawalLeaf {
  /** Global id, unique over the sidechain's life; the contract pays each id once. */
  readonly id: bigint;
  readonly recipient: Address;
  /** address(0) for ETH. */
  readonly token: Address;
  readonly amount: bigint;
}

/** Everything `withdraw` needs: the leaf, its place in the tree of a checkpoint, and the audit path. */
export interface WithdrawalProof {
  readonly withdrawal: WithdrawalLeaf;
  readonly index: number;
  /** Leaf count of the tree the proof is for (the checkpoint's withdrawalsCount). */
  readonly size: number;
  readonly proof: readonly Hex[];
}

const LEAF_ABI = [{ type: 'uint64' }, { type: 'address' }, { type: 'address' }, { type: 'uint256' }] as const;

export function validateWithdrawal(w: WithdrawalLeaf): WithdrawalLeaf {
  if (typeof w.id !== 'bigint' || w.id < 0n || w.id >= 1n << 64n) {
    throw new BridgeError('BAD_WITHDRAWAL', `withdrawal id ${String(w.id)} is not a uint64`);
  }
  if (typeof w.amount !== 'bigint' || w.amount < 0n || w.amount >= 1n << 128n) {
    throw new BridgeError('BAD_WITHDRAWAL', `amount ${String(w.amount)} is not a u128`);
  }
  for (const f of ['recipient', 'token'] as const) {
    if (typeof w[f] !== 'string' || !isAddress(w[f], { strict: false })) {
      throw new BridgeError('BAD_WITHDRAWAL', `${f} "${String(w[f])}" is not an Ethereum address`);
    }
  }
  return { id: w.id, recipient: getAddress(w.recipient), token: getAddress(w.token), amount: w.amount };
}

/** The leaf bytes: abi.encode(id, recipient, token, amount). */
export function encodeWithdrawalLeaf(w: WithdrawalLeaf): Hex {
  const v = validateWithdrawal(w);
  return encodeAbiParameters(LEAF_ABI, [v.id, v.recipient, v.token, v.amount]);
}

/** sha256(0x00 || leaf bytes). */
export function withdrawalLeafHash(w: WithdrawalLeaf): Uint8Array {
  return hashLeaf(hexToBytes(encodeWithdrawalLeaf(w)));
}

/** The cumulative withdrawals tree, in the order the sidechain appends withdrawals. */
export class WithdrawalTree {
  private readonly leaves: WithdrawalLeaf[] = [];
  private readonly hashes: Uint8Array[] = [];
  private readonly indexById = new Map<bigint, number>();

  constructor(withdrawals: Iterable<WithdrawalLeaf> = []) {
    for (const w of withdrawals) this.append(w);
  }

  get size(): number {
    return this.leaves.length;
  }

  /** Appends a withdrawal and returns its leaf index; an id already in the tree is refused. */
  append(w: WithdrawalLeaf): number {
    const v = validateWithdrawal(w);
    if (this.indexById.has(v.id))
      throw new BridgeError('BAD_WITHDRAWAL', `withdrawal id ${v.id} is already in the tree`);
    const index = this.leaves.length;
    this.leaves.push(v);
    this.hashes.push(withdrawalLeafHash(v));
    this.indexById.set(v.id, index);
    return index;
  }

  leaf(index: number): WithdrawalLeaf {
    const w = this.leaves[index];
    if (w === undefined)
      throw new BridgeError('BAD_WITHDRAWAL', `no leaf ${index} in a tree of ${this.size}`);
    return w;
  }

  indexOf(id: bigint): number {
    const i = this.indexById.get(id);
    if (i === undefined) throw new BridgeError('BAD_WITHDRAWAL', `withdrawal id ${id} is not in the tree`);
    return i;
  }

  /** Root of the first `size` leaves (the empty root for none). */
  root(size: number = this.size): Hex {
    this.checkSize(size);
    return bytesToHex(rootFromLeafHashes(this.hashes.slice(0, size)));
  }

  /** Proof of withdrawal `id` in the tree of the first `size` leaves (a checkpoint's view of the tree). */
  proof(id: bigint, size: number = this.size): WithdrawalProof {
    this.checkSize(size);
    const index = this.indexOf(id);
    if (index >= size) {
      throw new BridgeError(
        'BAD_WITHDRAWAL',
        `withdrawal ${id} is leaf ${index}, not in the first ${size} leaves`,
      );
    }
    const path = inclusionProof(this.hashes.slice(0, size), index).map((h) => bytesToHex(h));
    return { withdrawal: this.leaves[index]!, index, size, proof: path };
  }

  private checkSize(size: number): void {
    if (!Number.isInteger(size) || size < 0 || size > this.size) {
      throw new BridgeError('BAD_WITHDRAWAL', `size ${size} is not in 0 .. ${this.size}`);
    }
  }
}
