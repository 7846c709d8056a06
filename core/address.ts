/** Account addresses (DESIGN.md, Shards, accounts and transactions). */
import { sha256 } from './hash.js';
import { fromHex, toHex } from './bytes.js';

export const ADDRESS_LENGTH = 20;

/** An address is the first 20 bytes of SHA-256 of the ed25519 public key. */
export function addressFromPublicKey(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).slice(0, ADDRESS_LENGTH);
}

export function addressToHex(address: Uint8Array): string {
  return '0x' + toHex(address);
}

export function addressFromHex(hex: string): Uint8Array {
  const b = fromHex(hex);
  if (b.length !== ADDRESS_LENGTH)
    throw new TypeError(`an address is ${ADDRESS_LENGTH} bytes, got ${b.length}`);
  return b;
}
