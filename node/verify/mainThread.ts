/**
 * Verification on the calling thread: THE rule of core/ed25519.ts, item by
 * item. For tests, tools, small batches and machines where worker threads do
 * not pay (one core).
 */
import { ed25519SelfTest, verify } from '../../core/ed25519.js';
import { VerifyError } from './errors.js';
import type { SignatureVerifier, VerifyItem } from './interface.js';
import { isWellFormed } from './packing.js';

/** Signatures per slice of a batch (see the constructor). */
export const MAIN_THREAD_SLICE = 32;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the start-up self-test once: throws CryptoError SELF_TEST_FAILED on a runtime that disagrees with the rule. */
export class MainThreadVerifier implements SignatureVerifier {
  private closed = false;

  /**
   * @param sliceSize signatures verified between two turns of the event loop
   *   (about 2 ms of work at 32): a batch of hundreds of transactions would
   *   otherwise hold the loop for tens of milliseconds while a proposal or a
   *   vote waits behind it (a validator's round time is its latency).
   */
  constructor(private readonly sliceSize = MAIN_THREAD_SLICE) {
    ed25519SelfTest();
  }

  async verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (this.closed) throw new VerifyError('CLOSED', 'the verifier is closed');
    const out = new Array<boolean>(items.length);
    for (let start = 0; start < items.length; start += this.sliceSize) {
      if (start > 0) {
        await yieldToEventLoop();
        if (this.closed) throw new VerifyError('CLOSED', 'the verifier was closed during verification');
      }
      const end = Math.min(items.length, start + this.sliceSize);
      for (let i = start; i < end; i++) {
        const it = items[i]!;
        out[i] = isWellFormed(it) && verify(it.signature, it.message, it.publicKey);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
