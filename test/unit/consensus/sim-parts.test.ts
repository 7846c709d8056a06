/** Parts of the simulator: PRNG, event queue and clocks, network schedule, stakes, storage, options. */
import t from 'tap';
import { Prng, scenarioSeed } from '../../../consensus/sim/prng.js';
import { EventQueue, NodeClock } from '../../../consensus/sim/scheduler.js';
import { deliveryTime, drawSchedule, twinsSplits } from '../../../consensus/sim/schedule.js';
import { drawStakes, faultyStakeShare } from '../../../consensus/sim/stakes.js';
import { DurableSafety, IncarnationSafetyStorage } from '../../../consensus/sim/storage.js';
import { resolveOptions } from '../../../consensus/sim/options.js';
import { SimError } from '../../../consensus/sim/errors.js';
import { initialSafetyData } from '../../../consensus/safety-rules.js';

t.test('the PRNG replays from its seed; scenario seeds differ', async (t) => {
  const a = new Prng(42);
  const b = new Prng(42);
  const xs = Array.from({ length: 100 }, () => a.nextU32());
  t.same(
    Array.from({ length: 100 }, () => b.nextU32()),
    xs,
  );
  t.not(new Prng(43).nextU32(), new Prng(42).nextU32());
  const seeds = new Set(Array.from({ length: 1000 }, (_, i) => scenarioSeed(1, i)));
  t.equal(seeds.size, 1000);
  t.not(scenarioSeed(1, 0), scenarioSeed(2, 0));
  const p = new Prng(1);
  const xs7 = Array.from({ length: 1000 }, () => p.int(7));
  t.ok(
    xs7.every((x) => x >= 0 && x < 7 && Number.isInteger(x)),
    'int(7) stays in 0..6',
  );
  t.equal(new Set(xs7).size, 7, 'and reaches every value');
  // A fork does not move its parent.
  const c = new Prng(5);
  const d = new Prng(5);
  c.fork(1);
  t.equal(c.nextU32(), d.nextU32());
});

t.test('the event queue runs in (time, insertion) order; a halted clock fires nothing', async (t) => {
  const q = new EventQueue();
  const seen: string[] = [];
  q.at(10, () => seen.push('b'));
  q.at(5, () => seen.push('a'));
  q.at(10, () => seen.push('c'));
  const cancel = q.at(7, () => seen.push('never'));
  cancel();
  const clock = new NodeClock(q, 1_000, 3);
  clock.setTimer(20, () => seen.push('timer'));
  const halted = new NodeClock(q, 1_000, 0);
  halted.setTimer(1, () => seen.push('halted'));
  halted.halt();
  halted.setTimer(1, () => seen.push('after halt'));
  await q.run(1_000, () => false);
  t.same(seen, ['a', 'b', 'c', 'timer']);
  t.equal(clock.now(), 1_000 + 20 + 3);
});

t.test('Twins splits keep the twins of each pair apart, each split once', async (t) => {
  const splits = twinsSplits(5, [[0, 1]]);
  t.equal(splits.length, 8); // 3 other instances, 2 sides each
  t.ok(splits.every((g) => g[0] !== g[1]));
  t.equal(new Set(splits.map((g) => g.join(''))).size, splits.length);
  t.ok(
    twinsSplits(6, [
      [0, 1],
      [2, 3],
    ]).every((g) => g[0] !== g[1] && g[2] !== g[3]),
  );
});

t.test('after GST nothing is lost and delays are bounded; before, partitions cut', async (t) => {
  const prng = new Prng(9);
  const s = drawSchedule(prng, {
    instances: 4,
    gstMs: 1000,
    deltaMs: 10,
    twinPairs: [],
    twinRounds: 0,
    maxDropRate: 0.3,
    partitions: true,
  });
  t.ok(s.gstAt >= 500 && s.gstAt <= 1000);
  let late = 0;
  for (let i = 0; i < 500; i++) {
    const now = s.gstAt + i;
    const at = deliveryTime(s, prng, now, i % 4, (i + 1) % 4, i);
    if (at === null || at <= now || at > now + s.deltaMs) late++;
  }
  t.equal(late, 0, 'after GST every message arrives within delta');
  late = 0;
  for (let i = 0; i < 500; i++) {
    const at = deliveryTime(s, prng, prng.int(s.gstAt), 0, 1, null);
    if (at !== null && at > s.gstAt + s.deltaMs) late++;
  }
  t.equal(late, 0, 'what is sent before GST arrives by GST + delta');
  const cut = { ...s, dropRate: 0, partitions: [{ from: 0, to: s.gstAt, group: [0, 0, 1, 1] }] };
  t.equal(deliveryTime(cut, prng, 10, 0, 2, null), null);
  t.not(deliveryTime(cut, prng, 10, 0, 1, null), null);
});

t.test('skewed stakes keep the faulty stake under a third', async (t) => {
  const prng = new Prng(3);
  let bad = 0;
  for (let i = 0; i < 200; i++) {
    const { stakes, faulty } = drawStakes(prng, 7, 2, 'skewed', false);
    const share = faultyStakeShare(stakes, faulty);
    if (!(3n * share.faulty < share.total) || faulty.length !== 2) bad++;
  }
  t.equal(bad, 0, '200 draws of 7 validators with 2 faulty');
  let heavy = 0;
  for (let i = 0; i < 50; i++)
    if (!drawStakes(prng, 4, 2, [9n, 9n, 1n, 1n], false).faulty.every((f) => f >= 2)) heavy++;
  t.equal(heavy, 0, 'given stakes: only a set under a third is drawn');
  const fixed = drawStakes(prng, 4, 1, [5n, 1n, 1n, 1n], false, [0]);
  t.same(fixed.stakes, [5n, 1n, 1n, 1n]);
  t.same(fixed.faulty, [0]);
});

t.test('a crashed incarnation writes nothing; the durable data survives as bytes', async (t) => {
  const disk = new DurableSafety();
  const first = new IncarnationSafetyStorage(disk);
  await first.save({ ...initialSafetyData(1), lastVotedRound: 5 });
  first.cut();
  let resolved = false;
  void first.save({ ...initialSafetyData(1), lastVotedRound: 9 }).then(() => (resolved = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(resolved, 'a dead process never hears back');
  const second = new IncarnationSafetyStorage(disk);
  t.equal((await second.load())?.lastVotedRound, 5);
  t.equal(disk.saves, 1);
});

t.test('options: defaults, and errors that say what to fix', async (t) => {
  const o = resolveOptions({});
  t.equal(o.validators, 4);
  t.equal(o.faulty, 1);
  t.equal(o.behaviour, 'mixed');
  t.equal(o.scenarios, 100);
  t.equal(o.seed, 1);
  t.throws(() => resolveOptions({ validators: 4, faulty: 2 }), { code: 'UNSAFE_FAULTS' });
  t.doesNotThrow(() => resolveOptions({ validators: 4, faulty: 2, allowUnsafeFaults: true }));
  t.throws(() => resolveOptions({ behaviour: 'nasty' as never }), SimError);
  t.throws(() => resolveOptions({ stakes: [1n, 2n] }), /2 stakes given for 4 validators/);
  t.throws(() => resolveOptions({ mutations: { nope: true } as never }), /unknown mutation nope/);
  t.throws(() => resolveOptions({ deltaMs: 50 }), /at least 4 x delta/);
  t.throws(() => resolveOptions({ stakes: [1n, 1n, 1n, 9n], faultyIndices: [3], faulty: 1 }), {
    code: 'UNSAFE_FAULTS',
  });
  t.throws(
    () => resolveOptions({ stakes: [5n, 5n, 5n, 1n], faulty: 2 }),
    /any 2 faulty validators hold a third/,
  );
  t.doesNotThrow(() => resolveOptions({ stakes: [9n, 9n, 1n, 1n], faulty: 2 }));
});
