import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  ed25519SelfTest,
  generateKeyPair,
  keyPairFromSeed,
  sign,
  signFast,
  verify,
} from '../../../core/ed25519.js';
import { SPECCHECK_ACCEPTED, SPECCHECK_CASES } from '../../../core/ed25519-speccheck.js';
import { equalBytes, fromHex } from '../../../core/bytes.js';
import { addressFromPublicKey } from '../../../core/address.js';
import { sha256 } from '../../../core/hash.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../vectors/ed25519-speccheck-cases.json', import.meta.url), 'utf8'),
) as { message: string; pub_key: string; signature: string }[];

t.test('the 12 speccheck vectors pin the one verification rule: cases 0-3 and 11 accepted', async (t) => {
  t.equal(vectors.length, 12);
  const accepted: number[] = [];
  vectors.forEach((c, i) => {
    if (verify(fromHex(c.signature), fromHex(c.message), fromHex(c.pub_key))) accepted.push(i);
  });
  t.same(accepted, [0, 1, 2, 3, 11]);
  t.same(
    SPECCHECK_ACCEPTED.flatMap((v, i) => (v ? [i] : [])),
    accepted,
  );
});

t.test('the embedded vectors equal the copied test vectors', async (t) => {
  t.same(
    SPECCHECK_CASES.map((c) => [c.message, c.pubKey, c.signature]),
    vectors.map((c) => [c.message, c.pub_key, c.signature]),
  );
});

t.test('the start-up self-test passes on this runtime', async (t) => {
  t.doesNotThrow(() => ed25519SelfTest());
});

t.test('noble and node:crypto signatures are byte-identical and verify', async (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 200 }),
      (seed, msg) => {
        const kp = keyPairFromSeed(seed);
        const a = sign(msg, kp.seed);
        const b = signFast(msg, kp.seed);
        return equalBytes(a, b) && verify(a, msg, kp.publicKey);
      },
    ),
    { numRuns: 50 },
  );
  t.pass();
});

t.test('wrong message, key, flipped bits and bad lengths fail without throwing', async (t) => {
  const kp = generateKeyPair();
  const other = generateKeyPair();
  const msg = new TextEncoder().encode('hello');
  const sig = sign(msg, kp.seed);
  t.ok(verify(sig, msg, kp.publicKey));
  t.notOk(verify(sig, new TextEncoder().encode('hellp'), kp.publicKey));
  t.notOk(verify(sig, msg, other.publicKey));
  for (let i = 0; i < 64; i += 7) {
    const bad = new Uint8Array(sig);
    bad[i]! ^= 1;
    t.notOk(verify(bad, msg, kp.publicKey), `flip in byte ${i}`);
  }
  t.notOk(verify(sig.slice(0, 63), msg, kp.publicKey));
  t.notOk(verify(sig, msg, kp.publicKey.slice(0, 31)));
  t.notOk(verify(sig, msg, new Uint8Array(32).fill(0xff)), 'a non-point key fails, no throw');
  t.throws(() => keyPairFromSeed(new Uint8Array(31)), { code: 'BAD_SEED' });
});

t.test('an address is the first 20 bytes of SHA-256 of the public key', async (t) => {
  const kp = generateKeyPair();
  t.same(addressFromPublicKey(kp.publicKey), sha256(kp.publicKey).slice(0, 20));
});
