import t from 'tap';
import { MetricsRegistry } from '../../../node/metrics/index.js';
import { createLogger, nullLogger, parseLogLevel } from '../../../node/logger.js';
import { HotshardError } from '../../../core/errors.js';

t.test('counters, gauges and histograms with labels in the Prometheus text format', async (t) => {
  const r = new MetricsRegistry();
  const c = r.counter({ name: 'hotshard_test_events_total', help: 'Events\nby kind', labelNames: ['kind'] });
  c.inc({ kind: 'a' });
  c.inc({ kind: 'a' }, 2);
  c.inc({ kind: 'quote"back\\slash' });
  const g = r.gauge({ name: 'hotshard_test_height', help: 'Height' });
  g.set(undefined, 42);
  g.dec(undefined, 2);
  const h = r.histogram({
    name: 'hotshard_test_seconds',
    help: 'Time',
    labelNames: ['op'],
    buckets: [0.1, 1, 0.5],
  });
  h.observe({ op: 'x' }, 0.05);
  h.observe({ op: 'x' }, 0.5);
  h.observe({ op: 'x' }, 3);
  let collected = 0;
  r.addCollector(() => g.set(undefined, 40 + ++collected));

  const text = r.expose();
  t.equal(
    text,
    [
      '# HELP hotshard_test_events_total Events\\nby kind',
      '# TYPE hotshard_test_events_total counter',
      'hotshard_test_events_total{kind="a"} 3',
      'hotshard_test_events_total{kind="quote\\"back\\\\slash"} 1',
      '# HELP hotshard_test_height Height',
      '# TYPE hotshard_test_height gauge',
      'hotshard_test_height 41',
      '# HELP hotshard_test_seconds Time',
      '# TYPE hotshard_test_seconds histogram',
      'hotshard_test_seconds_bucket{op="x",le="0.1"} 1',
      'hotshard_test_seconds_bucket{op="x",le="0.5"} 2',
      'hotshard_test_seconds_bucket{op="x",le="1"} 2',
      'hotshard_test_seconds_bucket{op="x",le="+Inf"} 3',
      'hotshard_test_seconds_sum{op="x"} 3.55',
      'hotshard_test_seconds_count{op="x"} 3',
      '',
    ].join('\n'),
    'exact exposition: sorted, escaped, cumulative buckets, collectors run first',
  );
  t.equal(c.get({ kind: 'a' }), 3);
  t.equal(c.get({ kind: 'none' }), 0, 'reading does not create a series');
  t.notMatch(r.expose(), /kind="none"/);
  t.same(h.get({ op: 'x' }), { count: 3, sum: 3.55 });
  const stop = h.startTimer({ op: 'y' });
  t.ok(stop() >= 0);
  t.equal(h.get({ op: 'y' }).count, 1);
});

t.test('misuse is a typed error', async (t) => {
  const r = new MetricsRegistry();
  const c = r.counter({ name: 'hotshard_x_total', help: 'x', labelNames: ['a'] });
  t.equal(
    r.counter({ name: 'hotshard_x_total', help: 'x', labelNames: ['a'] }),
    c,
    'same shape: the same metric',
  );
  t.throws(() => r.gauge({ name: 'hotshard_x_total', help: 'x', labelNames: ['a'] }), { code: 'DUPLICATE' });
  t.throws(() => r.counter({ name: 'bad-name', help: 'x' }), { code: 'BAD_NAME' });
  t.throws(() => r.counter({ name: 'hotshard_y_total', help: 'x', labelNames: ['le'] }), {
    code: 'BAD_NAME',
  });
  t.throws(() => c.inc({} as never), { code: 'BAD_LABELS' });
  t.throws(() => c.inc({ a: 'x', b: 'y' } as never), { code: 'BAD_LABELS' });
  t.throws(() => c.inc({ a: 'x' }, -1), { code: 'BAD_VALUE' });
  // Once a label value's series key is cached, the label set is still checked on every call.
  c.inc({ a: 'x' });
  c.inc({ a: 'x' });
  t.equal(c.get({ a: 'x' }), 2);
  t.throws(
    () => c.inc({ a: 'x', b: 'y' } as never),
    { code: 'BAD_LABELS' },
    'an extra label, after a cached call',
  );
  t.equal(c.get({ a: 'x' }), 2, 'nothing counted by the refused call');
  t.throws(() => r.counter({ name: 'hotshard_u_total', help: 'u' }).inc({ a: 'x' } as never), {
    code: 'BAD_LABELS',
  });
  t.throws(() => r.gauge({ name: 'hotshard_g', help: 'g' }).set(undefined, NaN), { code: 'BAD_VALUE' });
  t.throws(() => r.histogram({ name: 'hotshard_h', help: 'h', buckets: [] }), { code: 'BAD_VALUE' });
});

t.test('two registries never share figures', async (t) => {
  const a = new MetricsRegistry();
  const b = new MetricsRegistry();
  a.counter({ name: 'hotshard_shared_total', help: 'x' }).inc();
  t.equal(b.counter({ name: 'hotshard_shared_total', help: 'x' }).get(), 0);
});

t.test('structured JSON logs with child modules and JSON-safe fields', async (t) => {
  const lines: string[] = [];
  const root = createLogger({
    level: 'debug',
    module: 'node',
    sink: (l) => lines.push(l),
    fields: { validator: 2 },
    now: () => 0,
  });
  const net = root.child('network', { chainId: 7 });
  net.info('peer connected', {
    peerId: 'abc',
    amount: 10n ** 30n,
    key: new Uint8Array([1, 2]),
    err: new HotshardError('NO_PEER', 'gone', { n: 1n }),
  });
  net.trace('hidden');
  root.child('db').debug('opened');
  t.equal(lines.length, 2, 'trace is below the level');
  t.same(JSON.parse(lines[0]!), {
    time: '1970-01-01T00:00:00.000Z',
    level: 'info',
    module: 'node.network',
    msg: 'peer connected',
    validator: 2,
    chainId: 7,
    peerId: 'abc',
    amount: '1000000000000000000000000000000',
    key: '0x0102',
    err: { name: 'HotshardError', code: 'NO_PEER', message: 'NO_PEER: gone', context: { n: '1' } },
  });
  t.match(JSON.parse(lines[1]!), { level: 'debug', module: 'node.db', msg: 'opened' });
  t.notOk(net.isEnabled('trace'));
  t.ok(net.isEnabled('warn'));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  net.warn('deep', { cyclic });
  t.equal(JSON.parse(lines[2]!).msg, 'deep', 'a cyclic field does not break logging');
  nullLogger().error('nothing');
  t.equal(parseLogLevel('warn'), 'warn');
  t.throws(() => parseLogLevel('loud'), { code: 'BAD_LOG_LEVEL' });
});
