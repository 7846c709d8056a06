/**
 * Signature schemes the simulator can run with.
 *
 * - `test`: a FAST TEST SCHEME, NOT A SIGNATURE SCHEME. A "signature" is the
 *   domain-tagged SHA-256 of (secret, message), repeated to 64 bytes; the
 *   verifier recomputes it from the secret that the simulator keeps for each
 *   public key. It is unforgeable only inside the simulator, where a faulty
 *   node's code is given its own secret and nothing else. It exists because
 *   ed25519 costs 50 to 150 µs per signature here and a sweep needs
 *   thousands of scenarios.
 * - `ed25519`: the real scheme, `ed25519Scheme` of consensus/signing.ts:
 *   signing through node:crypto (byte-identical to @noble/ed25519, ten times
 *   faster) and verification through THE rule, `verify` of core/ed25519.ts.
 */
import type { SignatureScheme } from '../types.js';
import { ed25519Scheme } from '../signing.js';
import { taggedHash } from '../../core/hash.js';
import { equalBytes, toHex, u64be } from '../../core/bytes.js';
import { keyPairFromSeed } from '../../core/ed25519.js';

const TEST_KEY_TAG = 'hotshard/sim-test-key/v1';
const TEST_SIG_TAG = 'hotshard/sim-test-sig/v1';
const KEY_SEED_TAG = 'hotshard/sim-key-seed/v1';

export type SchemeName = 'test' | 'ed25519';
export const SCHEME_NAMES: readonly SchemeName[] = ['test', 'ed25519'];

/** A key of the simulator: its secret (kept by the node that owns it) and its public key. */
export interface SimKey {
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface SimScheme {
  readonly scheme: SignatureScheme;
  /** The deterministic key of validator `index` (the same in every scenario, so keys are made once). */
  key(index: number): SimKey;
}

function keySeed(index: number): Uint8Array {
  return taggedHash(KEY_SEED_TAG, u64be(index));
}

/** The fast test scheme (see the module comment: only meaningful inside the simulator). */
export class TestScheme implements SimScheme, SignatureScheme {
  readonly name = 'sim-test';
  readonly scheme: SignatureScheme = this;
  private readonly secrets = new Map<string, Uint8Array>();
  private readonly keys = new Map<number, SimKey>();

  key(index: number): SimKey {
    let k = this.keys.get(index);
    if (k === undefined) {
      const secret = keySeed(index);
      const publicKey = taggedHash(TEST_KEY_TAG, secret);
      this.secrets.set(toHex(publicKey), secret);
      k = { secret, publicKey };
      this.keys.set(index, k);
    }
    return k;
  }

  sign(message: Uint8Array, secret: Uint8Array): Uint8Array {
    const h = taggedHash(TEST_SIG_TAG, secret, message);
    const sig = new Uint8Array(64);
    sig.set(h, 0);
    sig.set(h, 32);
    return sig;
  }

  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    const secret = this.secrets.get(toHex(publicKey));
    if (secret === undefined) return false;
    return equalBytes(signature, this.sign(message, secret));
  }
}

/** The real ed25519 scheme of consensus/signing.ts (node:crypto signing, core/ed25519.ts `verify`), with deterministic keys. */
export class Ed25519Scheme implements SimScheme {
  readonly scheme: SignatureScheme = ed25519Scheme;
  private readonly keys = new Map<number, SimKey>();

  key(index: number): SimKey {
    let k = this.keys.get(index);
    if (k === undefined) {
      const pair = keyPairFromSeed(keySeed(index));
      k = { secret: pair.seed, publicKey: pair.publicKey };
      this.keys.set(index, k);
    }
    return k;
  }
}

/** One instance per process and scheme: keys (and node:crypto key objects) are reused across scenarios. */
const instances = new Map<SchemeName, SimScheme>();
export function simScheme(name: SchemeName): SimScheme {
  let s = instances.get(name);
  if (s === undefined) {
    s = name === 'test' ? new TestScheme() : new Ed25519Scheme();
    instances.set(name, s);
  }
  return s;
}
