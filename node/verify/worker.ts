/**
 * The piscina worker of PooledVerifier. It applies THE rule, `verify` of
 * core/ed25519.ts, whose module-level KeyObject cache is per worker (each
 * worker has its own module graph). It loads no libp2p, hence no polyfill.
 *
 * The start-up self-test (12 speccheck vectors) runs once when the worker
 * loads. A failure is not thrown at import time (piscina would respawn the
 * worker forever); every task reports it instead, and the pool turns it into
 * VerifyError WORKER_FAILED.
 */
import { move } from 'piscina';
import { ed25519SelfTest, verify } from '../../core/ed25519.js';
import { packedCount, unpackBatch } from './packing.js';

let selfTestFailure: string | null = null;
try {
  ed25519SelfTest();
} catch (err) {
  selfTestFailure = err instanceof Error ? err.message : String(err);
}

/** A packed batch in (see packing.ts), one byte per item out: 1 valid, 0 invalid. */
export default function verifyPacked(buffer: ArrayBuffer): unknown {
  if (selfTestFailure !== null) throw new Error(`ed25519 self-test failed in worker: ${selfTestFailure}`);
  const count = buffer instanceof ArrayBuffer ? packedCount(buffer) : null;
  if (count === null) throw new Error('malformed packed batch');
  const results = new Uint8Array(count);
  const complete = unpackBatch(buffer, (signature, message, publicKey, i) => {
    results[i] = verify(signature, message, publicKey) ? 1 : 0;
  });
  if (!complete) throw new Error('malformed packed batch');
  return move(results);
}
