/**
 * Signature verification behind one interface (DESIGN.md, Execution of a
 * block; STYLE.md, Lodestar's chain/bls): a main-thread implementation and a
 * piscina pool implement it, and callers never know which one runs.
 *
 * Both apply THE one rule, `verify` of core/ed25519.ts: the pool only moves
 * the same function to other threads.
 */

/** One signature to check: exactly the triple that core/ed25519.ts `verify` takes. */
export interface VerifyItem {
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * How a batch is served. The verifier reads `urgent` each time it picks the
 * next work, so a caller may raise it while the batch waits: a block came to
 * need signatures that admission is still verifying.
 */
export interface VerifyOptions {
  /**
   * Consensus waits for this batch (a block's signatures): it goes before
   * admission work where the implementation queues work (the main-thread
   * verifier); the pool serves batches in order.
   */
  urgent?: boolean;
}

export interface SignatureVerifier {
  /**
   * Verifies every item; result `i` is true exactly when `verify(items[i])`
   * of core/ed25519.ts is true. A malformed item (wrong lengths) yields
   * false, never an exception. Rejects only when the verifier itself fails
   * (closed, worker crashed): a `VerifyError`.
   */
  verifyBatch(items: readonly VerifyItem[], options?: VerifyOptions): Promise<boolean[]>;
  /** Releases threads; afterwards verifyBatch rejects with VerifyError CLOSED. Idempotent. */
  close(): Promise<void>;
}
