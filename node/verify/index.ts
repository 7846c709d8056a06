/** node/verify: signature verification (one interface, main-thread and pooled implementations, a cache by tx hash). */
export type { SignatureVerifier, VerifyItem, VerifyOptions } from './interface.js';
export { VerifyError, type VerifyErrorCode } from './errors.js';
export { MainThreadVerifier } from './mainThread.js';
export { PooledVerifier } from './pooled.js';
export { defaultPooledVerifierOptions, type PooledVerifierOptions } from './options.js';
export {
  CachedTxVerifier,
  VerifiedTxCache,
  DEFAULT_VERIFIED_CACHE_SIZE,
  type HashedVerifyItem,
  type CachedVerifierStats,
} from './cache.js';
export { txVerifyItem, verifyTransactionSignatures } from './transactions.js';

import { MainThreadVerifier } from './mainThread.js';
import { PooledVerifier } from './pooled.js';
import type { PooledVerifierOptions } from './options.js';
import type { SignatureVerifier } from './interface.js';

/**
 * The one way to build a verifier from configuration: `threads: 0` verifies
 * on the main thread, otherwise a pool of that many workers.
 */
export function createSignatureVerifier(
  options: Partial<PooledVerifierOptions> & { threads?: number } = {},
): SignatureVerifier {
  return options.threads === 0 ? new MainThreadVerifier() : new PooledVerifier(options);
}
