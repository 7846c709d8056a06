/**
 * node/rpc/height-waiters.ts: a wait on the committed height is released by
 * the first commit that reaches it, ends false at its timeout or when the
 * waiters close, and the number of waits is bounded.
 */
import t from 'tap';
import { HeightWaitError, HeightWaiters } from '../../../node/rpc/height-waiters.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('a reached height answers at once; a commit releases exactly the waits it reaches', async (t) => {
  let height = 5;
  const waiters = new HeightWaiters(() => height);
  t.equal(await waiters.wait(5, 10_000), true, 'the committed height itself: at once');
  t.equal(await waiters.wait(0, 10_000), true, 'below it: at once');
  t.equal(waiters.size, 0);

  const settled: number[] = [];
  const six = waiters.wait(6, 10_000).then((r) => (settled.push(6), r));
  const eight = waiters.wait(8, 10_000).then((r) => (settled.push(8), r));
  t.equal(waiters.size, 2);
  waiters.notify(); // nothing new committed
  await sleep(5);
  t.same(settled, [], 'a notify without a new commit releases nothing');

  height = 7;
  waiters.notify();
  t.equal(await six, true, 'height 7 releases the wait for 6');
  t.same(settled, [6], 'and not the wait for 8');
  t.equal(waiters.size, 1);

  height = 8;
  waiters.notify();
  t.equal(await eight, true);
  t.equal(waiters.size, 0);
});

t.test('a wait ends false at its timeout and is forgotten', async (t) => {
  // The waits' timers do not keep a process alive (a node's server does): this one keeps the test's.
  const keepAlive = setInterval(() => undefined, 1000);
  t.teardown(() => clearInterval(keepAlive));
  const waiters = new HeightWaiters(() => 1);
  const started = Date.now();
  t.equal(await waiters.wait(2, 30), false);
  t.ok(Date.now() - started >= 25, 'not before its timeout');
  t.equal(waiters.size, 0);
});

t.test('waits beyond the bound are refused with TOO_MANY_WAITERS; close ends the others', async (t) => {
  const waiters = new HeightWaiters(() => 0, { maxWaiters: 2 });
  const a = waiters.wait(1, 10_000);
  const b = waiters.wait(2, 10_000);
  await t.rejects(waiters.wait(3, 10_000), { code: 'TOO_MANY_WAITERS' });
  t.equal(await waiters.wait(0, 10_000), true, 'a reached height still answers when the bound is full');

  waiters.close();
  t.same(await Promise.all([a, b]), [false, false], 'close ends the pending waits with false');
  t.equal(waiters.size, 0);
  const refused = await waiters.wait(1, 10).catch((err: unknown) => err);
  t.ok(refused instanceof HeightWaitError && refused.code === 'CLOSED', 'a new wait after close: CLOSED');
});
