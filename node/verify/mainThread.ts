/**
 * Verification on the calling thread: THE rule of core/ed25519.ts, item by
 * item. For tests, tools, small batches and machines where worker threads do
 * not pay (one core, or several validators sharing few cores).
 *
 * Every call verifies its first slice at once (a small batch, as most
 * gossip batches are, is answered without waiting); the rest waits in one
 * queue shared by all calls. Each turn of the event loop runs as many slices
 * as batches wait, the same work per turn as if each batch looped on its
 * own, but in order: urgent batches first (the signatures a block being
 * executed or built still needs), then the oldest. An admission batch
 * becomes urgent when a block joins it (CachedTxVerifier): otherwise the
 * block would wait for its share of every turn behind the other batches.
 */
import { ed25519SelfTest, verify } from '../../core/ed25519.js';
import { VerifyError } from './errors.js';
import type { SignatureVerifier, VerifyItem, VerifyOptions } from './interface.js';
import { isWellFormed } from './packing.js';

/** Signatures per slice of a batch (see the constructor). */
export const MAIN_THREAD_SLICE = 32;

/** One call of verifyBatch waiting for (the rest of) its slices. */
interface Job {
  readonly options: VerifyOptions;
  readonly items: readonly VerifyItem[];
  readonly out: boolean[];
  next: number;
  readonly resolve: (out: boolean[]) => void;
  readonly reject: (err: unknown) => void;
}

const isUrgent = (job: Job): boolean => job.options.urgent === true;

/** Runs the start-up self-test once: throws CryptoError SELF_TEST_FAILED on a runtime that disagrees with the rule. */
export class MainThreadVerifier implements SignatureVerifier {
  private closed = false;
  /** Oldest first; a job's class is read at each turn (VerifyOptions.urgent may be raised while it waits). */
  private readonly queue: Job[] = [];
  private turnScheduled = false;
  /** Slices served so far, by class (tests read it to check the order). */
  readonly stats = { urgentSlices: 0, normalSlices: 0 };

  /**
   * @param sliceSize signatures of one batch verified in one turn of the event loop
   *   (about 2 ms of work at 32): a batch of hundreds of transactions would
   *   otherwise hold the loop for tens of milliseconds while a proposal or a
   *   vote waits behind it (a validator's round time is its latency).
   */
  constructor(private readonly sliceSize = MAIN_THREAD_SLICE) {
    ed25519SelfTest();
  }

  verifyBatch(items: readonly VerifyItem[], options: VerifyOptions = {}): Promise<boolean[]> {
    if (this.closed) return Promise.reject(new VerifyError('CLOSED', 'the verifier is closed'));
    return new Promise((resolve, reject) => {
      const job: Job = { options, items, out: new Array<boolean>(items.length), next: 0, resolve, reject };
      // Every call's first slice runs now: a small batch (most gossip
      // batches) is answered at once, with no wait behind the queue.
      if (this.runSlice(job)) return;
      this.queue.push(job);
      this.scheduleTurn();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.reject(new VerifyError('CLOSED', 'the verifier was closed during verification'));
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => this.turn());
  }

  /**
   * As many slices as batches wait (each would have run one on its own), each
   * for the oldest urgent batch, else the oldest batch: the same work per
   * turn as independent loops, but the first batches finish first.
   */
  private turn(): void {
    this.turnScheduled = false;
    for (let n = this.queue.length; n > 0 && this.queue.length > 0 && !this.closed; n--) {
      const urgent = this.queue.findIndex(isUrgent);
      const at = urgent >= 0 ? urgent : 0;
      if (this.runSlice(this.queue[at]!)) this.queue.splice(at, 1);
    }
    if (this.queue.length > 0 && !this.closed) this.scheduleTurn();
  }

  /** Verifies the job's next slice; true (and the job settled) when it was the last. */
  private runSlice(job: Job): boolean {
    if (isUrgent(job)) this.stats.urgentSlices++;
    else this.stats.normalSlices++;
    const end = Math.min(job.items.length, job.next + this.sliceSize);
    try {
      for (let i = job.next; i < end; i++) {
        const it = job.items[i]!;
        job.out[i] = isWellFormed(it) && verify(it.signature, it.message, it.publicKey);
      }
    } catch (err) {
      // `verify` answers false for anything malformed: a throw is a fault of the runtime, passed on as it is.
      job.reject(err);
      return true;
    }
    job.next = end;
    if (end < job.items.length) return false;
    job.resolve(job.out);
    return true;
  }
}
