import t from 'tap';
import { measureMachineBound, measureVerifyRate } from '../../../bench/bound.js';

t.test('verify rate: every thread reports, the total is their sum', async (t) => {
  const r = await measureVerifyRate({ threads: 2, durationMs: 150 });
  t.equal(r.threads, 2);
  t.equal(r.perThread.length, 2);
  for (const x of r.perThread) t.ok(x > 0, 'each thread verified signatures');
  t.ok(
    Math.abs(r.perSecond - r.perThread.reduce((a, b) => a + b, 0)) <= 2,
    'total is the sum of the threads',
  );
});

t.test('the bound divides by the validators that verify each transaction', async (t) => {
  const b = await measureMachineBound(4, { threads: 1, durationMs: 100 });
  t.equal(b.verifiersPerTx, 4);
  t.equal(b.bound, Math.round(b.perSecond / 4));
  t.equal(b.rounds.length, 3, 'three rounds by default');
  t.equal(b.perSecond, Math.max(...b.rounds), 'the best round is the bound');
  const one = await measureMachineBound(4, { threads: 1, durationMs: 100, rounds: 1 });
  t.equal(one.rounds.length, 1);
  await t.rejects(measureMachineBound(0), RangeError);
  await t.rejects(measureMachineBound(4, { rounds: 0 }), RangeError);
});
