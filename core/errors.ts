/**
 * One error base class for the whole project. Every error carries a stable
 * machine-readable `code` (an upper-case string per area) and a typed
 * `context`, in the spirit of Lodestar's `LodestarError`.
 *
 * Callers branch on `code`, never on the message text.
 */
export class HotshardError<
  Code extends string = string,
  Ctx extends object = Record<string, unknown>,
> extends Error {
  readonly code: Code;
  readonly context: Ctx;

  constructor(code: Code, message: string, context?: Ctx, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    this.context = (context ?? {}) as Ctx;
    this.name = new.target.name;
  }

  /** A plain object for structured logs and JSON-RPC error data. */
  toJSON(): { name: string; code: Code; message: string; context: Ctx } {
    return { name: this.name, code: this.code, message: this.message, context: this.context };
  }
}

/** Malformed, non-canonical or oversized encodings. */
export type CodecErrorCode =
  'TYPE' | 'RANGE' | 'LENGTH' | 'NOT_CANONICAL' | 'MALFORMED' | 'VERSION' | 'TOO_LARGE' | 'UNKNOWN_TAG';
export class CodecError extends HotshardError<CodecErrorCode, { path?: string; [k: string]: unknown }> {}

/** Keys, signatures and the start-up self-test of the verifier. */
export type CryptoErrorCode = 'BAD_KEY' | 'BAD_SIGNATURE_LENGTH' | 'SELF_TEST_FAILED' | 'BAD_SEED';
export class CryptoError extends HotshardError<CryptoErrorCode> {}

/** Merkle tree construction and proofs. */
export type MerkleErrorCode = 'EMPTY_TREE' | 'INDEX_OUT_OF_RANGE' | 'BAD_PROOF';
export class MerkleError extends HotshardError<MerkleErrorCode> {}

/** Returns true when `err` is a HotshardError with the given code. */
export function hasCode(err: unknown, code: string): boolean {
  return err instanceof HotshardError && err.code === code;
}
