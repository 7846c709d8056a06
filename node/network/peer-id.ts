/**
 * Peer ids derived from validators' ed25519 keys: the libp2p identity of a
 * validator is its consensus key, so a peer list can be written before any
 * node starts, and a committee's public keys give every validator's peer id.
 */
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id';
import type { PrivateKey } from '@libp2p/interface';
import { CryptoError } from '../../core/errors.js';

/** The libp2p private key of a validator. Beware: `privateKeyFromRaw(seed)` would make a secp256k1 key. */
export async function libp2pKeyForSeed(seed: Uint8Array): Promise<PrivateKey> {
  if (!(seed instanceof Uint8Array) || seed.length !== 32)
    throw new CryptoError('BAD_SEED', 'an ed25519 seed is 32 bytes');
  return generateKeyPairFromSeed('Ed25519', seed);
}

/** The peer id (base58 string, 12D3KooW...) of the validator with this seed. */
export async function peerIdForSeed(seed: Uint8Array): Promise<string> {
  return peerIdFromPrivateKey(await libp2pKeyForSeed(seed)).toString();
}

/** The peer id of the validator whose raw 32-byte ed25519 public key is `publicKey`. */
export function peerIdForPublicKey(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32)
    throw new CryptoError('BAD_KEY', 'an ed25519 public key is 32 bytes');
  try {
    return peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString();
  } catch (err) {
    throw new CryptoError(
      'BAD_KEY',
      `not an ed25519 public key: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
}
