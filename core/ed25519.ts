/**
 * ed25519 keys, signing and THE verification rule (DESIGN.md, Signatures).
 *
 * - Keys and signing use @noble/ed25519 (`signFast` uses node:crypto, which
 *   produces byte-identical signatures ten times faster, for load generators).
 * - Verification is cofactorless RFC 8032 with canonical S and R, as
 *   node:crypto (OpenSSL) implements it. It is the only verifier anywhere in
 *   the consensus path: different verifiers accept different edge cases, and
 *   a crafted signature must never split validators. KeyObjects are cached
 *   per public key.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { CryptoError } from './errors.js';
import { byteKey, fromHex, toHex } from './bytes.js';
import { SPECCHECK_ACCEPTED, SPECCHECK_CASES } from './ed25519-speccheck.js';
import { ScratchBuffer } from './scratch.js';

ed.hashes.sha512 = sha512;

export const PUBLIC_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;
export const SEED_LENGTH = 32;

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A 32-byte secret seed and its public key. */
export interface Ed25519KeyPair {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateKeyPair(): Ed25519KeyPair {
  return keyPairFromSeed(new Uint8Array(randomBytes(SEED_LENGTH)));
}

export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_LENGTH) {
    throw new CryptoError('BAD_SEED', `an ed25519 seed is ${SEED_LENGTH} bytes`);
  }
  return { seed: new Uint8Array(seed), publicKey: ed.getPublicKey(seed) };
}

/** Signs with @noble/ed25519 (RFC 8032 deterministic signatures). */
export function sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return ed.sign(message, seed);
}

const privateKeyCache = new Map<string, KeyObject>();
/** Signs with node:crypto: the same bytes as `sign`, about ten times faster. */
export function signFast(message: Uint8Array, seed: Uint8Array): Uint8Array {
  const k = toHex(seed);
  let key = privateKeyCache.get(k);
  if (key === undefined) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    privateKeyCache.set(k, key);
  }
  return new Uint8Array(nodeSign(null, message, key));
}

// Bounded cache: committees are small, but user keys are many.
const KEY_CACHE_LIMIT = 100_000;
const publicKeyCache = new Map<string, KeyObject | null>();

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const k = byteKey(publicKey);
  let key = publicKeyCache.get(k);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    } catch {
      key = null; // not a valid point encoding: every signature under it fails
    }
    if (publicKeyCache.size >= KEY_CACHE_LIMIT) publicKeyCache.clear();
    publicKeyCache.set(k, key);
  }
  return key;
}

// Signed messages and signatures are copied off the V8 heap before node:crypto reads them (core/scratch.ts).
const verifyMessage = new ScratchBuffer(4096);
const verifySignature = new ScratchBuffer(SIGNATURE_LENGTH);

/**
 * THE signature verification rule of hotshard. Returns false (never throws)
 * for a signature, key or length that does not verify.
 */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_LENGTH || publicKey.length !== PUBLIC_KEY_LENGTH) return false;
  const key = publicKeyObject(publicKey);
  if (key === null) return false;
  try {
    return nodeVerify(
      null,
      verifyMessage.holding(message) ?? message,
      key,
      verifySignature.holding(signature)!,
    );
  } catch {
    return false;
  }
}

/**
 * Runs the 12 speccheck vectors through `verify` and throws when this
 * runtime's verifier gives another result than the rule hotshard pins: a node
 * must refuse to run rather than disagree with its peers on a signature.
 */
export function ed25519SelfTest(): void {
  const got = SPECCHECK_CASES.map((c) => verify(fromHex(c.signature), fromHex(c.message), fromHex(c.pubKey)));
  const bad = got.map((v, i) => (v !== SPECCHECK_ACCEPTED[i] ? i : -1)).filter((i) => i >= 0);
  if (bad.length > 0) {
    throw new CryptoError(
      'SELF_TEST_FAILED',
      `this runtime's ed25519 verifier disagrees with hotshard's rule on speccheck cases ${bad.join(', ')}; ` +
        `run hotshard on a Node.js whose OpenSSL implements cofactorless RFC 8032 verification`,
      { cases: bad, openssl: process.versions.openssl },
    );
  }
}
