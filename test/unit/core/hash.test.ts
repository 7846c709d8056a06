import t from 'tap';
import { createHash } from 'node:crypto';
import { domainPrefix, sha256, taggedHash, Tags } from '../../../core/hash.js';
import { toHex } from '../../../core/bytes.js';
import { isQuorum, exceedsOneThird } from '../../../core/quorum.js';

t.test('sha256 matches node:crypto for one and several parts', async (t) => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array([4, 5]);
  t.equal(toHex(sha256(a)), createHash('sha256').update(a).digest('hex'));
  t.equal(toHex(sha256(a, b)), createHash('sha256').update(a).update(b).digest('hex'));
});

t.test('tagged hashes separate domains', async (t) => {
  const data = new Uint8Array([9, 9, 9]);
  t.not(toHex(taggedHash(Tags.vote, data)), toHex(taggedHash(Tags.timeout, data)));
  t.not(toHex(taggedHash(Tags.vote, data)), toHex(sha256(data)));
  // The length prefix keeps a tag from being a prefix of another tag plus data.
  t.not(toHex(taggedHash('ab', new Uint8Array([0x63]))), toHex(taggedHash('abc')));
  t.equal(domainPrefix('xyz')[0], 3);
  t.equal(new Set(Object.values(Tags)).size, Object.values(Tags).length, 'every tag is unique');
});

t.test('quorums are by stake with strict inequalities', async (t) => {
  t.notOk(isQuorum(2n, 3n)); // exactly two thirds is not enough
  t.ok(isQuorum(3n, 4n));
  t.notOk(isQuorum(66n, 100n));
  t.notOk(isQuorum(200n, 300n));
  t.ok(isQuorum(201n, 300n));
  t.notOk(exceedsOneThird(1n, 3n));
  t.ok(exceedsOneThird(2n, 4n));
});
