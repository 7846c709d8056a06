import { HotshardError } from '../../core/errors.js';

/**
 * Failures of a local testnet, each message saying what to do:
 * - BAD_OPTIONS: a count or amount out of range.
 * - DIR_CONFLICT: the directory holds a testnet created with other options (or other files).
 * - BAD_DIR: a file of the testnet directory is missing or unreadable.
 * - ALREADY_RUNNING: validators of this directory are still running.
 * - NO_BUILD: dist/cmd/hotshard.js is missing (run `npm run build`).
 * - START_FAILED: a validator process exited before it was ready.
 * - NOT_READY: a validator did not answer hs_status in time.
 * - NO_PORTS: no free ports on the host.
 */
export type TestnetErrorCode =
  | 'BAD_OPTIONS'
  | 'DIR_CONFLICT'
  | 'BAD_DIR'
  | 'ALREADY_RUNNING'
  | 'NO_BUILD'
  | 'START_FAILED'
  | 'NOT_READY'
  | 'NO_PORTS';

export class TestnetError extends HotshardError<TestnetErrorCode> {}
