import t from 'tap';
import { randomBytes } from 'node:crypto';
import { ScratchBuffer } from '../../../core/scratch.js';
import { sha256 } from '../../../core/hash.js';
import { keyPairFromSeed, sign, verify } from '../../../core/ed25519.js';

t.test('holding copies the bytes to the start and returns a view of their length', async (t) => {
  const s = new ScratchBuffer(64);
  const a = new Uint8Array(randomBytes(20));
  const v = s.holding(a)!;
  t.same([...v], [...a]);
  t.equal(v.length, 20);
  t.equal(s.view(20), v, 'one view per length');
  const b = new Uint8Array(randomBytes(20));
  s.holding(b);
  t.same([...v], [...b], 'the next call overwrites the bytes: only for synchronous native calls');
});

t.test('holding refuses what does not fit, write places bytes at an offset', async (t) => {
  const s = new ScratchBuffer(8);
  t.equal(s.holding(new Uint8Array(9)), undefined);
  s.write(Uint8Array.of(1, 2), 0);
  s.write(Uint8Array.of(3, 4), 2);
  t.same([...s.view(4)], [1, 2, 3, 4]);
});

t.test('hashing and verifying through the scratch buffers leave the inputs intact', async (t) => {
  const keys = keyPairFromSeed(new Uint8Array(32).fill(7));
  // Small (on-heap) and large messages, and a message larger than the scratch buffer.
  for (const len of [1, 32, 64, 65, 300, 5000]) {
    const msg = new Uint8Array(randomBytes(len));
    const copy = new Uint8Array(msg);
    const sig = sign(msg, keys.seed);
    t.ok(verify(sig, msg, keys.publicKey), `valid signature over ${len} bytes`);
    const bad = new Uint8Array(sig);
    bad[0] = bad[0]! ^ 1;
    t.notOk(verify(bad, msg, keys.publicKey), `altered signature over ${len} bytes`);
    t.same([...msg], [...copy]);
    t.same(sha256(msg), sha256(copy.subarray(0, len / 2), copy.subarray(len / 2)), 'one part or two');
  }
});
