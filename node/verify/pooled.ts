/**
 * Verification on a piscina pool of worker threads (DESIGN.md, Execution of
 * a block). Each worker calls `verify` of core/ed25519.ts (THE rule) with its
 * own cache of KeyObjects and runs the start-up self-test once.
 *
 * A batch is split into chunks (options.ts) that run on all workers at once;
 * each chunk travels as one transferred ArrayBuffer (packing.ts) and comes
 * back as one byte per signature.
 */
import { Piscina } from 'piscina';
import { VerifyError } from './errors.js';
import type { SignatureVerifier, VerifyItem } from './interface.js';
import { chunkSizes, defaultPooledVerifierOptions, type PooledVerifierOptions } from './options.js';
import { isWellFormed, packBatch } from './packing.js';

// Works from the sources (tap and ts-node load .ts) and from dist/ (.js).
const WORKER_URL = new URL('./worker' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url);

export class PooledVerifier implements SignatureVerifier {
  readonly options: PooledVerifierOptions;
  private readonly pool: Piscina<ArrayBuffer, Uint8Array>;
  private closed = false;

  constructor(options: Partial<PooledVerifierOptions> = {}) {
    const opts = { ...defaultPooledVerifierOptions(), ...options };
    for (const [name, v] of Object.entries(opts)) {
      if (!Number.isSafeInteger(v) || v < 1)
        throw new VerifyError('BAD_OPTIONS', `${name} must be a positive integer`, { [name]: v });
    }
    if (opts.minChunk > opts.maxChunk)
      throw new VerifyError('BAD_OPTIONS', 'minChunk exceeds maxChunk', { ...opts });
    this.options = opts;
    this.pool = new Piscina({
      filename: WORKER_URL.href,
      // Workers stay up: their KeyObject caches are worth keeping.
      minThreads: opts.threads,
      maxThreads: opts.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Workers inherit process.execArgv, so a TS loader given to the parent
      // (tap, `node --loader ts-node/esm`) also loads worker.ts.
    });
  }

  async verifyBatch(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (this.closed) throw new VerifyError('CLOSED', 'the verifier is closed');
    const results = new Array<boolean>(items.length).fill(false);
    // Wrong lengths never verify (core/ed25519.ts answers false): decided here, not shipped.
    const indexes: number[] = [];
    for (let i = 0; i < items.length; i++) if (isWellFormed(items[i]!)) indexes.push(i);

    const tasks: Promise<void>[] = [];
    let start = 0;
    for (const size of chunkSizes(indexes.length, this.options)) {
      const chunk = indexes.slice(start, start + size);
      start += size;
      const buffer = packBatch(chunk.map((i) => items[i]!));
      tasks.push(
        this.pool.run(buffer, { transferList: [buffer] }).then((out) => {
          if (!(out instanceof Uint8Array) || out.length !== chunk.length) {
            throw new Error(
              `worker answered ${String((out as Uint8Array | undefined)?.length)} results for ${chunk.length}`,
            );
          }
          for (let k = 0; k < chunk.length; k++) results[chunk[k]!] = out[k] === 1;
        }),
      );
    }
    try {
      await Promise.all(tasks);
    } catch (err) {
      // Let the other chunks settle so that no rejection goes unhandled.
      await Promise.allSettled(tasks);
      if (this.closed)
        throw new VerifyError('CLOSED', 'the verifier was closed during verification', {}, { cause: err });
      throw new VerifyError(
        'WORKER_FAILED',
        `signature verification worker failed: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
    return results;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}
