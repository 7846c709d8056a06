/**
 * Assets (docs/transactions.md, Assets). An asset id is 20 bytes: a bridged
 * asset is its Ethereum token address, ETH is the zero address, and the
 * native token (which pays fees) is 0xff..ff. The ids are defined in
 * genesis/asset-id.ts (genesis names assets in initial balances) and
 * re-exported here for the state machine.
 */
import { toHex } from '../core/bytes.js';

export {
  ASSET_ID_LENGTH,
  NATIVE_ASSET_ID,
  ETH_ASSET_ID,
  isNativeAsset,
  parseAssetId,
  formatAssetId,
} from '../genesis/asset-id.js';

/** A Map key for an asset id (lower-case hex without 0x). */
export function assetKey(asset: Uint8Array): string {
  return toHex(asset);
}
