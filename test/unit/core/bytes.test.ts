import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { bigintToBytes, byteKey, bytesToBigint, equalBytes, toHex } from '../../../core/bytes.js';
import { sha256 } from '../../../core/hash.js';

// The helpers read small (on-heap) arrays, views into larger buffers and Buffers alike.
const shapes = (bytes: Uint8Array): Uint8Array[] => {
  const big = Buffer.alloc(bytes.length + 10);
  big.set(bytes, 3);
  return [new Uint8Array(bytes), big.subarray(3, 3 + bytes.length), Buffer.from(bytes)];
};

t.test('toHex and byteKey give the same strings as Buffer for every shape of array', async (t) => {
  for (const len of [0, 1, 32, 64, 65, 300]) {
    const bytes = new Uint8Array(randomBytes(len));
    for (const b of shapes(bytes)) {
      t.equal(toHex(b), Buffer.from(bytes).toString('hex'));
      t.equal(byteKey(b), Buffer.from(bytes).toString('latin1'));
    }
  }
});

t.test('equalBytes compares contents, short and long', async (t) => {
  for (const len of [0, 1, 32, 64, 65, 300]) {
    const bytes = new Uint8Array(randomBytes(len));
    const [a, b, c] = shapes(bytes);
    t.ok(equalBytes(a!, b!) && equalBytes(b!, c!));
    if (len > 0) {
      const d = new Uint8Array(bytes);
      d[len - 1] = d[len - 1]! ^ 1;
      t.notOk(equalBytes(a!, d));
    }
  }
  t.notOk(equalBytes(new Uint8Array(3), new Uint8Array(4)));
});

t.test('bigintToBytes and bytesToBigint round-trip at every width and edge', async (t) => {
  for (const width of [1, 3, 4, 5, 8, 16, 32]) {
    const max = (1n << BigInt(width * 8)) - 1n;
    const values = [0n, 1n, 255n, 256n, max, max >> 1n, (max >> 3n) + 7n];
    for (let i = 0; i < 20; i++) values.push(bytesToBigint(new Uint8Array(randomBytes(width))));
    for (const v of values) {
      if (v > max) continue;
      const b = bigintToBytes(v, width);
      t.equal(b.length, width);
      t.equal(toHex(b), v.toString(16).padStart(width * 2, '0'), `${v} in ${width} bytes`);
      t.equal(bytesToBigint(b), v);
    }
    t.throws(() => bigintToBytes(max + 1n, width), RangeError);
  }
  t.throws(() => bigintToBytes(-1n, 4), RangeError);
  t.equal(bytesToBigint(new Uint8Array(0)), 0n);
});

t.test('sha256 of many small parts and of inputs beyond the joining buffer', async (t) => {
  const parts = Array.from({ length: 9 }, (_, i) => new Uint8Array(randomBytes(i * 7)));
  const expect = createHash('sha256');
  for (const p of parts) expect.update(p);
  t.equal(toHex(sha256(...parts)), expect.digest('hex'));
  const large = [new Uint8Array(randomBytes(3000)), new Uint8Array(randomBytes(3000))];
  t.equal(toHex(sha256(...large)), createHash('sha256').update(large[0]!).update(large[1]!).digest('hex'));
  // Two digests in a row do not share memory.
  const a = sha256(parts[1]!);
  const b = sha256(parts[2]!);
  t.not(toHex(a), toHex(b));
  t.equal(toHex(a), createHash('sha256').update(parts[1]!).digest('hex'));
});
