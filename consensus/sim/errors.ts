/** Typed errors of the simulator. */
import { HotshardError } from '../../core/errors.js';

export type SimErrorCode =
  /** An option is missing, out of range or inconsistent; the message says what to fix. */
  | 'BAD_OPTIONS'
  /** The faulty nodes hold a third of the stake or more, and the run did not allow it. */
  | 'UNSAFE_FAULTS'
  /** A simulated block fetch found no answer (peer down, partitioned, or the message was dropped). */
  | 'FETCH_FAILED'
  /** The engine threw out of a call that must not throw (a crash of the engine, not of the network). */
  | 'ENGINE_THREW';

export class SimError extends HotshardError<SimErrorCode> {}
