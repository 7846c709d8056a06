/**
 * Committee signatures on checkpoints: signing (with the rule that a validator never signs two checkpoints
 * with one sequence number), and assembling a submission in the contract's packed format: per signer its
 * committee index (uint16, big-endian) and the EIP-2098 compact signature, indices strictly ascending.
 */
import {
  concat,
  numberToHex,
  parseSignature,
  recoverAddress,
  signatureToCompactSignature,
  type Address,
  type Hex,
} from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import {
  checkpointDigest,
  checkpointHash,
  CHECKPOINT_TYPES,
  eip712Domain,
  type BridgeDomain,
  type Checkpoint,
} from './checkpoint.js';
import { hasQuorum, memberIndex, type BridgeCommittee } from './committee.js';
import { BridgeError } from './errors.js';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A member's signature of a checkpoint, as validators post it on the beacon chain. */
export interface CheckpointSignature {
  readonly signer: Address;
  /** 65-byte r || s || v signature of the EIP-712 digest. */
  readonly signature: Hex;
}

/** One entry of the packed list the contract reads. */
export interface SignatureEntry {
  readonly index: number;
  readonly r: Hex;
  /** yParity in the top bit, s below (EIP-2098). */
  readonly yParityAndS: Hex;
}

/**
 * Where a signer remembers which checkpoint it signed at each sequence number. The node keeps it with its
 * safety data (written durably before a signature leaves the process).
 */
export interface SignedCheckpointStore {
  get(sequence: bigint): Promise<Hex | undefined>;
  put(sequence: bigint, checkpointHash: Hex): Promise<void>;
}

export class MemorySignedCheckpointStore implements SignedCheckpointStore {
  private readonly signed = new Map<bigint, Hex>();
  async get(sequence: bigint): Promise<Hex | undefined> {
    return this.signed.get(sequence);
  }
  async put(sequence: bigint, hash: Hex): Promise<void> {
    this.signed.set(sequence, hash);
  }
}

/** A validator's bridge key: signs checkpoints as EIP-712 typed data, never two with one sequence number. */
export class CheckpointSigner {
  private readonly account: PrivateKeyAccount;

  constructor(
    privateKey: Hex,
    private readonly domain: BridgeDomain,
    private readonly store: SignedCheckpointStore = new MemorySignedCheckpointStore(),
  ) {
    this.account = privateKeyToAccount(privateKey);
  }

  get address(): Address {
    return this.account.address;
  }

  /** Signs `cp`; signing the same checkpoint again returns a signature, a different one at a signed sequence throws. */
  async sign(cp: Checkpoint): Promise<CheckpointSignature> {
    const hash = checkpointHash(cp);
    const previous = await this.store.get(cp.sequence);
    if (previous !== undefined && previous !== hash) {
      throw new BridgeError(
        'BAD_CHECKPOINT',
        `already signed another checkpoint with sequence ${cp.sequence}`,
        {
          sequence: cp.sequence.toString(),
          signed: previous,
          asked: hash,
        },
      );
    }
    if (previous === undefined) await this.store.put(cp.sequence, hash);
    const signature = await this.account.signTypedData({
      domain: eip712Domain(this.domain),
      types: CHECKPOINT_TYPES,
      primaryType: 'Checkpoint',
      message: cp,
    });
    return { signer: this.account.address, signature };
  }
}

/** EIP-2098 compact form of a 65-byte signature, with s moved to the lower half of the curve order. */
export function compactSignature(signature: Hex): { r: Hex; yParityAndS: Hex } {
  let parsed;
  try {
    parsed = parseSignature(signature);
  } catch (err) {
    throw new BridgeError(
      'BAD_SIGNATURE',
      `not a 65-byte signature: ${signature.slice(0, 20)}...`,
      {},
      { cause: err },
    );
  }
  let s = BigInt(parsed.s);
  let yParity = parsed.yParity ?? 0;
  if (s > SECP256K1_N / 2n) {
    s = SECP256K1_N - s;
    yParity = 1 - yParity;
  }
  const c = signatureToCompactSignature({ r: parsed.r, s: numberToHex(s, { size: 32 }), yParity });
  return { r: c.r, yParityAndS: c.yParityAndS };
}

/** Packs entries as the contract reads them; no checks beyond the index fitting in 16 bits (tests use it for bad input). */
export function packSignatures(entries: readonly SignatureEntry[]): Hex {
  return concat(
    entries.flatMap((e) => {
      if (!Number.isInteger(e.index) || e.index < 0 || e.index > 0xffff) {
        throw new BridgeError('BAD_SIGNATURE', `signer index ${e.index} does not fit in 16 bits`);
      }
      return [numberToHex(e.index, { size: 2 }), e.r, e.yParityAndS];
    }),
  );
}

export interface Submission {
  readonly checkpoint: Checkpoint;
  /** The committee's member words. */
  readonly members: readonly Hex[];
  /** Packed signatures. */
  readonly signatures: Hex;
  /** Committee indices of the signers, ascending. */
  readonly signers: readonly number[];
  readonly signedStake: bigint;
}

/**
 * Checks each signature against the member it names, drops duplicates, orders them by committee index and
 * packs them. With `trimToQuorum`, keeps only the largest stakes until the quorum is reached (less gas).
 * Throws BAD_SIGNATURE for a signature that is not its signer's, NO_QUORUM when the stake is not enough.
 */
export async function assembleSubmission(
  committee: BridgeCommittee,
  cp: Checkpoint,
  domain: BridgeDomain,
  signatures: readonly CheckpointSignature[],
  opts: { trimToQuorum?: boolean } = {},
): Promise<Submission> {
  const digest = checkpointDigest(cp, domain);
  const byIndex = new Map<number, SignatureEntry>();
  for (const s of signatures) {
    const index = memberIndex(committee, s.signer);
    if (index < 0) throw new BridgeError('BAD_SIGNATURE', `${s.signer} is not a member of the committee`);
    let recovered: Address;
    try {
      recovered = await recoverAddress({ hash: digest, signature: s.signature });
    } catch (err) {
      throw new BridgeError('BAD_SIGNATURE', `unreadable signature from ${s.signer}`, {}, { cause: err });
    }
    if (recovered.toLowerCase() !== s.signer.toLowerCase()) {
      throw new BridgeError('BAD_SIGNATURE', `the signature named ${s.signer} was made by ${recovered}`, {
        signer: s.signer,
        recovered,
      });
    }
    byIndex.set(index, { index, ...compactSignature(s.signature) });
  }
  let chosen = [...byIndex.values()];
  if (opts.trimToQuorum === true) {
    chosen.sort((a, b) => {
      const d = committee.members[b.index]!.stake - committee.members[a.index]!.stake;
      return d > 0n ? 1 : d < 0n ? -1 : a.index - b.index;
    });
    const kept: SignatureEntry[] = [];
    let stake = 0n;
    for (const e of chosen) {
      if (hasQuorum(committee, stake)) break;
      kept.push(e);
      stake += committee.members[e.index]!.stake;
    }
    chosen = kept;
  }
  chosen.sort((a, b) => a.index - b.index);
  const signedStake = chosen.reduce((s, e) => s + committee.members[e.index]!.stake, 0n);
  if (!hasQuorum(committee, signedStake)) {
    throw new BridgeError(
      'NO_QUORUM',
      `signatures carry ${signedStake} of ${committee.totalStake} stake, not more than two thirds`,
      {
        signedStake: signedStake.toString(),
        totalStake: committee.totalStake.toString(),
      },
    );
  }
  return {
    checkpoint: cp,
    members: committee.words,
    signatures: packSignatures(chosen),
    signers: chosen.map((e) => e.index),
    signedStake,
  };
}
