/** An AccountReader over a shard state view (committed state, or a block's overlay). */
import { accountStateKey, balanceOf, decodeAccount } from '../../shards/account.js';
import { assetKey } from '../../shards/assets.js';
import type { StateReader } from '../../shards/state.js';
import type { AccountReader } from './types.js';

export function accountReaderOf(view: StateReader): AccountReader {
  const account = (address: Uint8Array) => {
    const bytes = view.getValue(accountStateKey(address));
    return bytes === undefined ? null : decodeAccount(bytes);
  };
  return {
    getNonce: (address) => account(address)?.nonce ?? 0n,
    getBalance: (address, asset) => {
      const a = account(address);
      return a === null ? 0n : balanceOf(a.balances, assetKey(asset));
    },
  };
}
