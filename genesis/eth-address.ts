/**
 * Ethereum addresses of the validators' secp256k1 bridge keys: the last 20
 * bytes of keccak-256 of the uncompressed public key (without its 0x04
 * prefix), written with the EIP-55 mixed-case checksum.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { fromHex, toHex } from '../core/bytes.js';

export const ETH_ADDRESS_LENGTH = 20;
export const SECP256K1_SECRET_LENGTH = 32;

export function generateSecp256k1Secret(): Uint8Array {
  return secp256k1.utils.randomSecretKey();
}

export function isValidSecp256k1Secret(secret: Uint8Array): boolean {
  return secret.length === SECP256K1_SECRET_LENGTH && secp256k1.utils.isValidSecretKey(secret);
}

export function ethAddressFromSecret(secret: Uint8Array): Uint8Array {
  const pub = secp256k1.getPublicKey(secret, false);
  return keccak_256(pub.subarray(1)).slice(12);
}

/** EIP-55: a hex digit is upper-case when the matching nibble of keccak(lower-case hex) is >= 8. */
export function toChecksumAddress(address: Uint8Array): string {
  const lower = toHex(address);
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out;
}

export type EthAddressParse =
  { ok: true; address: Uint8Array } | { ok: false; reason: 'format' | 'checksum' };

/**
 * Parses `0x` + 40 hex digits. All lower-case or all upper-case is accepted
 * as is; mixed case must be the EIP-55 checksum (a typo is then caught).
 */
export function parseEthAddress(text: string): EthAddressParse {
  if (typeof text !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(text)) return { ok: false, reason: 'format' };
  const address = fromHex(text);
  const digits = text.slice(2);
  const mixed = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  if (mixed && toChecksumAddress(address) !== text) return { ok: false, reason: 'checksum' };
  return { ok: true, address };
}
