/**
 * Verification on the calling thread: THE rule of core/ed25519.ts, item by
 * item. For tests, tools, small batches and machines where worker threads do
 * not pay (one core).
 */
import { ed25519SelfTest, verify } from '../../core/ed25519.js';
import { VerifyError } from './errors.js';
import type { SignatureVerifier, VerifyItem } from './interface.js';
import { isWellFormed } from './packing.js';

export class MainThreadVerifier implements SignatureVerifier {
  private closed = false;

  /** Runs the start-up self-test once: throws CryptoError SELF_TEST_FAILED on a runtime that disagrees with the rule. */
  constructor() {
    ed25519SelfTest();
  }

  async verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (this.closed) throw new VerifyError('CLOSED', 'the verifier is closed');
    return items.map((it) => isWellFormed(it) && verify(it.signature, it.message, it.publicKey));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
