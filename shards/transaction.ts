/**
 * User transactions (docs/transactions.md): the canonical codec, signing
 * bytes, hash and the signature triple the node verifies on its worker pool.
 *
 *   Transaction       = [version 1, chainId u32, shardId u16, kind u8,
 *                        senderPublicKey bytes32, nonce u64, fee u128,
 *                        expiry uint (ms), recipient bytes20, asset bytes20, amount u128]
 *   SignedTransaction = [Transaction, signature bytes64]
 *
 * - signing bytes = len(tag) || 'hotshard/tx-sign/v1' || encode(Transaction)
 *   (the domain tag first, then chain id, shard id and nonce inside: no
 *   signature is valid in two places);
 * - tx hash = taggedHash('hotshard/tx/v1', encode(SignedTransaction)): the
 *   hash of the whole signed bytes, the key of the signature cache (two
 *   encodings of one signed transaction cannot exist, so neither can two
 *   hashes).
 */
import { addressFromPublicKey } from '../core/address.js';
import {
  bytes20,
  bytes32,
  bytes64,
  decodeOwned,
  encode,
  struct,
  u8,
  u16,
  u32,
  u64,
  u128,
  uint,
} from '../core/codec.js';
import { byteKey, concatBytes } from '../core/bytes.js';
import { CodecError } from '../core/errors.js';
import { sign, signFast, verify } from '../core/ed25519.js';
import { Tags, domainPrefix, taggedHash, type Hash32 } from '../core/hash.js';
import { TransactionError } from './errors.js';
import { readCanonicalSignedTransaction } from './transaction-wire.js';

export const TX_VERSION = 1;
/** Largest signed transaction (DESIGN.md, Defaults), the same on every node. */
export const MAX_TX_BYTES = 4096;
export const TX_SIGN_TAG = 'hotshard/tx-sign/v1';

/** Bytes after the transaction in a signed transaction's encoding: bin8 marker, length 64, the signature. */
const SIGNATURE_TRAILER = 2 + 64;

/** Transaction kinds (the u8 on the wire). System kinds (credits, refunds, deposits) are not user transactions. */
export const TxKind = {
  /** Move `amount` of `asset` to `recipient` (same shard; cross shard once lanes exist). */
  transfer: 0,
  /** Burn `amount` of `asset` here and pay it to Ethereum address `recipient` (encoded; not yet executed). */
  withdraw: 1,
} as const;
export type TxKindName = keyof typeof TxKind;
export const TX_KIND_NAMES: readonly TxKindName[] = ['transfer', 'withdraw'];

export interface Transaction {
  readonly chainId: number;
  readonly shardId: number;
  readonly kind: number;
  readonly senderPublicKey: Uint8Array;
  readonly nonce: bigint;
  readonly fee: bigint;
  /** The last block timestamp (ms) at which the transaction may be included. */
  readonly expiry: number;
  readonly recipient: Uint8Array;
  readonly asset: Uint8Array;
  readonly amount: bigint;
}

export const transactionCodec = struct(
  'Transaction',
  [
    ['chainId', u32],
    ['shardId', u16],
    ['kind', u8],
    ['senderPublicKey', bytes32],
    ['nonce', u64],
    ['fee', u128],
    ['expiry', uint],
    ['recipient', bytes20],
    ['asset', bytes20],
    ['amount', u128],
  ],
  TX_VERSION,
);

export const signedTransactionCodec = struct('SignedTransaction', [
  ['tx', transactionCodec],
  ['signature', bytes64],
]);

/** The bytes the sender signs. */
export function transactionSigningBytes(tx: Transaction): Uint8Array {
  return concatBytes(domainPrefix(TX_SIGN_TAG), encode(transactionCodec, tx));
}

/** What the verifier pool needs: `verify(signature, message, publicKey)` of core/ed25519.ts. */
export interface SignatureTriple {
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A decoded signed transaction with its canonical bytes; hash, sender and signing bytes are computed once, on demand. */
export class SignedTransaction {
  private _hash: Hash32 | undefined;
  private _hashKey: string | undefined;
  private _sender: Uint8Array | undefined;
  private _senderKey: string | undefined;

  private constructor(
    readonly tx: Transaction,
    readonly signature: Uint8Array,
    /** The canonical encoding (what travels, what is hashed). */
    readonly bytes: Uint8Array,
  ) {}

  /** Wraps an already-checked decoding; use decodeSignedTransaction or signTransaction. */
  static fromParts(tx: Transaction, signature: Uint8Array, bytes?: Uint8Array): SignedTransaction {
    return new SignedTransaction(tx, signature, bytes ?? encode(signedTransactionCodec, { tx, signature }));
  }

  /** taggedHash('hotshard/tx/v1', bytes): the id of the transaction and the key of the signature cache. */
  get hash(): Hash32 {
    return (this._hash ??= taggedHash(Tags.transaction, this.bytes));
  }

  /** The hash as a map key (core/bytes.ts byteKey): the mempool and the signature cache look it up several times. */
  get hashKey(): string {
    return (this._hashKey ??= byteKey(this.hash));
  }

  /** The sender's address (first 20 bytes of SHA-256 of its public key). */
  get sender(): Uint8Array {
    return (this._sender ??= addressFromPublicKey(this.tx.senderPublicKey));
  }

  /** The sender's address as a map key (core/bytes.ts byteKey). */
  get senderKey(): string {
    return (this._senderKey ??= byteKey(this.sender));
  }

  /** Sets the hash a caller computed over these very bytes (payload decoding hashes before it decodes). */
  knownHash(hash: Hash32): void {
    this._hash ??= hash;
  }

  /**
   * transactionSigningBytes(tx), cut from the canonical bytes instead of
   * encoding again: the signed encoding is fixarray(2) (one byte), the
   * transaction's encoding, then bin8 of 64 bytes (66 bytes).
   */
  signingBytes(): Uint8Array {
    return concatBytes(
      domainPrefix(TX_SIGN_TAG),
      this.bytes.subarray(1, this.bytes.length - SIGNATURE_TRAILER),
    );
  }

  signatureTriple(): SignatureTriple {
    return { signature: this.signature, message: this.signingBytes(), publicKey: this.tx.senderPublicKey };
  }
}

/** Signs `tx` with the sender's ed25519 seed. `fast` signs through node:crypto (byte-identical, ten times faster). */
export function signTransaction(
  tx: Transaction,
  seed: Uint8Array,
  options: { fast?: boolean } = {},
): SignedTransaction {
  const msg = transactionSigningBytes(tx);
  const signature = options.fast === true ? signFast(msg, seed) : sign(msg, seed);
  return SignedTransaction.fromParts(tx, signature);
}

/**
 * Decodes a signed transaction; throws TransactionError TOO_LARGE (over 4 KiB)
 * or MALFORMED (not the canonical encoding of a valid signed transaction, for
 * example an amount that does not fit 16 bytes or an unknown version).
 */
export function decodeSignedTransaction(bytes: Uint8Array, hash?: Hash32): SignedTransaction {
  if (!(bytes instanceof Uint8Array)) throw new TransactionError('MALFORMED', 'a transaction must be bytes');
  if (bytes.length > MAX_TX_BYTES) {
    throw new TransactionError('TOO_LARGE', `transaction of ${bytes.length} bytes exceeds ${MAX_TX_BYTES}`, {
      size: bytes.length,
    });
  }
  try {
    // One private copy, which the decoded fields view (never the caller's buffer).
    const own = new Uint8Array(bytes);
    // The direct reader recognises canonical bytes without re-encoding them; anything it does not
    // recognise goes through the general decoder, which accepts it or says precisely what is wrong.
    const { tx, signature } =
      readCanonicalSignedTransaction(own) ?? decodeOwned(signedTransactionCodec, own, MAX_TX_BYTES);
    const stx = SignedTransaction.fromParts(tx, signature, own);
    if (hash !== undefined) stx.knownHash(hash);
    return stx;
  } catch (err) {
    if (err instanceof CodecError)
      throw new TransactionError(
        'MALFORMED',
        `transaction encoding: ${err.message}`,
        { codec: err.code },
        { cause: err },
      );
    throw err;
  }
}

/** Encodes a signed transaction (its `bytes`). */
export function encodeSignedTransaction(stx: SignedTransaction): Uint8Array {
  return stx.bytes;
}

/** Checks the signature with THE verifier (core/ed25519.ts `verify`). The node does this on its worker pool instead. */
export function verifyTransactionSignature(stx: SignedTransaction): boolean {
  const t = stx.signatureTriple();
  return verify(t.signature, t.message, t.publicKey);
}
