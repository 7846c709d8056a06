/** Round timing and certificate formation, alone. */
import t from 'tap';
import {
  Pacemaker,
  TimeoutAggregator,
  VoteAggregator,
  roundTimeoutMs,
  DEFAULT_ROUND_TIMING,
} from '../../../consensus/pacemaker.js';
import { verifyQc, verifyTc } from '../../../consensus/verify.js';
import { ValidatorSet } from '../../../consensus/committee.js';
import { Fixture } from '../../support/consensus-fixtures.js';
import { FakeClock } from '../../support/consensus-harness.js';

t.test('round time backs off since the last commit, capped', async (t) => {
  const tm = DEFAULT_ROUND_TIMING;
  t.equal(roundTimeoutMs(tm, 12, 10), 1000, 'happy path: round r with r-2 committed');
  t.equal(roundTimeoutMs(tm, 1, 0), 1000, 'first round');
  t.equal(roundTimeoutMs(tm, 13, 10), 1500);
  t.equal(roundTimeoutMs(tm, 14, 10), 2250);
  t.equal(roundTimeoutMs(tm, 17, 10), 7594);
  t.equal(roundTimeoutMs(tm, 18, 10), 8000, 'capped at 8 s');
  t.equal(roundTimeoutMs(tm, 10_000, 0), 8000, 'no overflow far out');
  t.equal(roundTimeoutMs({ baseTimeoutMs: 100, backoff: 2, maxTimeoutMs: 1000 }, 5, 0), 800, 'configurable');
});

t.test('the pacemaker arms, re-arms and cancels its timer through the clock', async (t) => {
  const clock = new FakeClock(0);
  const fired: number[] = [];
  const pm = new Pacemaker(clock, DEFAULT_ROUND_TIMING, (r) => fired.push(r));
  t.ok(pm.enter(3, 1));
  t.equal(pm.round, 3);
  await clock.advance(999);
  t.same(fired, [], 'not before the round time');
  await clock.advance(1);
  t.same(fired, [3], 'at the round time');
  t.notOk(pm.enter(3, 1), 'rounds only move forward');
  t.notOk(pm.enter(2, 1));
  pm.markTimedOut();
  t.ok(pm.hasTimedOut);
  await clock.advance(1000);
  t.same(fired, [3, 3], 'the timeout is re-armed (the timeout is re-sent)');
  t.ok(pm.enter(5, 1), 'two rounds without a commit');
  t.notOk(pm.hasTimedOut, 'a new round starts fresh');
  t.equal(pm.currentTimeoutMs, 2250);
  await clock.advance(2000);
  pm.enter(6, 5);
  await clock.advance(999);
  t.same(fired, [3, 3], 'entering a round cancels the old timer');
  await clock.advance(1);
  t.same(fired, [3, 3, 6]);
  pm.enter(7, 6);
  pm.stop();
  await clock.advance(10_000);
  t.same(fired, [3, 3, 6], 'stopped');
});

t.test('votes become a QC by stake, per block', async (t) => {
  const f = new Fixture(4);
  const { blocks } = f.chain(2);
  const b2 = blocks[1]!;
  const fork = f.block({ parent: blocks[0]!, payload: new Uint8Array([5]) });
  const agg = new VoteAggregator(f.validators);
  t.equal(agg.add(f.vote(0, b2)), null);
  t.equal(agg.add(f.vote(0, b2)), null, 'a repeated vote counts once');
  t.equal(agg.add(f.vote(1, fork)), null, 'a vote for another block counts for that block');
  t.equal(agg.add(f.vote(2, b2)), null, 'two of four');
  const qc = agg.add(f.vote(3, b2));
  t.ok(qc, 'three of four for the same block');
  t.same(f.validators.signersOf(qc!.signers), [0, 2, 3]);
  verifyQc(f.ctx(), qc!);
  t.equal(agg.add(f.vote(1, b2)), null, 'one QC per round');
  // A whale forms a QC alone; by heads it would not.
  const w = new Fixture(4, [70n, 10n, 10n, 10n]);
  const wb = w.chain(1).blocks[0]!;
  t.ok(new VoteAggregator(w.validators).add(w.vote(0, wb)), 'stake decides');
  const heads = new VoteAggregator(new ValidatorSet(w.committee, { quorumByHeads: true }));
  t.equal(heads.add(w.vote(0, wb)), null, 'the quorumByHeads mutation counts heads');
  agg.prune(3);
  t.ok(agg.add(f.vote(1, b2)) === null, 'pruned rounds start over (one vote is no quorum)');
});

t.test('timeouts become a TC by stake, with the highest QC', async (t) => {
  const f = new Fixture(4);
  const { qcs } = f.chain(3);
  const agg = new TimeoutAggregator(f.validators);
  let r = agg.add(f.timeout(2, 4, qcs[0]!));
  t.same(r.signers, [2]);
  t.equal(r.tc, null);
  t.notOk(f.validators.exceedsOneThird(r.signers), 'one of four is not f+1');
  r = agg.add(f.timeout(0, 4, qcs[2]!));
  t.ok(f.validators.exceedsOneThird(r.signers), 'two of four is more than a third');
  t.ok(agg.has(4, 0));
  r = agg.add(f.timeout(3, 4, qcs[1]!));
  t.ok(r.tc, 'three of four');
  t.same(r.tc!.hqcRounds, [3, 1, 2], "each signer's own hqc round, in index order");
  t.equal(r.tc!.highQc.voteData.block.round, 3, 'the highest QC');
  verifyTc(f.ctx(), r.tc!);
  t.equal(agg.add(f.timeout(1, 4, qcs[2]!)).tc, null, 'one TC per round');
  agg.prune(5);
  t.notOk(agg.has(4, 0));
});
