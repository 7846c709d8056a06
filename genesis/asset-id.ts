/**
 * Asset ids (docs/transactions.md, Assets): 20 bytes, so that a bridged asset
 * is named by its Ethereum token address as it is.
 *
 * - ETH is the zero address (the convention of Ethereum bridges).
 * - The native token (fees) is 0xffffffffffffffffffffffffffffffffffffffff:
 *   distinct from ETH, and not a token the bridge can ever map, because no
 *   contract can be deployed at that address without a keccak preimage.
 *
 * Defined in genesis/ (which fixes the initial balances); shards/assets.ts
 * re-exports it for the state machine.
 */
import { fromHex, toHex } from '../core/bytes.js';

export const ASSET_ID_LENGTH = 20;
export const NATIVE_ASSET_ID: Uint8Array = new Uint8Array(ASSET_ID_LENGTH).fill(0xff);
export const ETH_ASSET_ID: Uint8Array = new Uint8Array(ASSET_ID_LENGTH);

/** The names a human may write instead of hex. */
export const ASSET_ALIASES: Readonly<Record<string, Uint8Array>> = {
  native: NATIVE_ASSET_ID,
  eth: ETH_ASSET_ID,
};

export function isNativeAsset(asset: Uint8Array): boolean {
  return asset.length === ASSET_ID_LENGTH && asset.every((b) => b === 0xff);
}

/** Parses `native`, `eth` or a 0x-prefixed 20-byte hex address; null when it is none of them. */
export function parseAssetId(text: string): Uint8Array | null {
  const alias = ASSET_ALIASES[text.toLowerCase()];
  if (alias !== undefined) return new Uint8Array(alias);
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) return null;
  return fromHex(text);
}

/** `native`, `eth`, or the lower-case hex address of a bridged token. */
export function formatAssetId(asset: Uint8Array): string {
  if (isNativeAsset(asset)) return 'native';
  if (asset.length === ASSET_ID_LENGTH && asset.every((b) => b === 0)) return 'eth';
  return '0x' + toHex(asset);
}
