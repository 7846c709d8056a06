/** Typed errors of the simulator. */
import { HotshardError } from '../../core/errors.js';

export type SimErrorCode =
  /** An option is missing, out of range or inconsistent; the message says what to fix. */
  | 'BAD_OPTIONS'
  /** The faulty nodes hold a third of the stake or more, and the run did not allow it. */
  | 'UNSAFE_FAULTS'
  /** A worker thread of a parallel sweep failed. */
  | 'WORKER_FAILED';

export class SimError extends HotshardError<SimErrorCode> {}
