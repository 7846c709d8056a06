import { HotshardError } from '../../core/errors.js';

/**
 * Failures of the verifier itself, never of a signature (a bad signature is a
 * `false` result):
 * - CLOSED: verifyBatch after close().
 * - WORKER_FAILED: a pool worker crashed or failed its start-up self-test.
 * - BAD_OPTIONS: a tuning option out of range.
 */
export type VerifyErrorCode = 'CLOSED' | 'WORKER_FAILED' | 'BAD_OPTIONS';
export class VerifyError extends HotshardError<VerifyErrorCode> {}
