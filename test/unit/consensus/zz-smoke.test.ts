import t from 'tap';
import { TestNetwork } from '../../support/consensus-harness.js';
const show = (net: TestNetwork, vs = true) => {
  for (const n of net.nodes) {
    const s = n.engine.status();
    const errs = n.events.filter(e => e.type === 'error' || e.type === 'invalidBlock' || e.type === 'equivocation');
    const ref = n.events.filter(e => e.type === 'refused').length;
    console.log(n.index, s.round, s.highQcRound, s.highTcRound, s.committedRound, n.executor.committed.length, 'refused', ref, errs.slice(0, 3).map(e => JSON.stringify(e.type === 'error' ? String(e.error) : e)));
  }
  if (vs) { const c: Record<string, number> = {};
  for (const v of net.verdicts) c[v.type + ':' + v.verdict] = (c[v.type + ':' + v.verdict] ?? 0) + 1;
  console.log(c); }
};
t.test('crash', async () => {
  const net = new TestNetwork(4);
  await net.start();
  await net.clock.advance(500);
  net.crash(1);
  await net.clock.advance(20000);
  show(net);
  await net.restart(1);
  await net.clock.advance(20000);
  show(net);
  net.stop();
});
