import t from 'tap';
import { TestNetwork } from '../../support/consensus-harness.js';
t.test('smoke', async (t) => {
  const net = new TestNetwork(4);
  await net.start();
  await net.clock.advance(3000);
  for (const n of net.nodes) {
    console.log(n.index, JSON.stringify(n.engine.status(), (k, v) => typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? 'b' : v), n.executor.committed.length);
    const errs = n.events.filter(e => e.type === 'error' || e.type === 'refused' || e.type === 'invalidBlock');
    console.log(errs.slice(0,5));
  }
  const vs: Record<string, number> = {};
  for (const v of net.verdicts) vs[v.type + ':' + v.verdict] = (vs[v.type + ':' + v.verdict] ?? 0) + 1;
  console.log(vs);
  net.stop();
});
