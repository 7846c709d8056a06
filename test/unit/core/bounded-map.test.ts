/** core/bounded-map: eviction of the oldest entries of the node's caches. */
import t from 'tap';
import { makeRoom } from '../../../core/bounded-map.js';

t.test('makeRoom: nothing below capacity; at capacity the oldest eighth goes, newest kept', async (t) => {
  const m = new Map<number, number>();
  for (let i = 0; i < 15; i++) {
    makeRoom(m, 16);
    m.set(i, i);
  }
  t.equal(m.size, 15, 'below capacity nothing is evicted');
  makeRoom(m, 16);
  m.set(15, 15);
  t.equal(m.size, 16);
  makeRoom(m, 16);
  t.equal(m.size, 14, 'an eighth of 16 (2) evicted');
  t.notOk(m.has(0) || m.has(1), 'the two oldest went');
  t.ok(m.has(2) && m.has(15));
  // Over capacity (a smaller capacity than before): down to below it in one call.
  makeRoom(m, 4);
  t.ok(m.size < 4, `size ${m.size} is below the capacity`);
  t.ok(m.has(15), 'the newest stays');
});

t.test('makeRoom keeps a full cache bounded over many inserts', async (t) => {
  const m = new Map<string, number>();
  for (let i = 0; i < 100_000; i++) {
    makeRoom(m, 1000);
    m.set(String(i), i);
  }
  t.ok(m.size <= 1000 && m.size > 800, `size ${m.size}`);
  t.ok(m.has('99999'));
});
