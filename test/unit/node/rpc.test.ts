import t from 'tap';
import { request } from 'node:http';
import { HotshardError } from '../../../core/errors.js';
import { MetricsRegistry } from '../../../node/metrics/index.js';
import {
  RpcCode,
  RpcRegistry,
  RpcServer,
  TokenBucketLimiter,
  p,
  params,
  toJsonValue,
} from '../../../node/rpc/index.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** A raw HTTP call (no client library between the test and the server). */
function http(
  url: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const post = (url: string, body: unknown): Promise<Answer> =>
  http(url, 'POST', '/', typeof body === 'string' ? body : JSON.stringify(body));

async function startServer(
  t: { teardown(fn: () => unknown): void },
  opts: { maxBodyBytes?: number; submissionRate?: number; submissionBurst?: number } = {},
) {
  const registry = new RpcRegistry();
  const metrics = new MetricsRegistry();
  let healthy = true;
  registry.register('test_echo', {
    description: 'echoes its params',
    params: params(
      p.hex({ length: 4 }),
      p.optional(p.object({ flag: p.optional(p.bool()), amount: p.optional(p.amount()) })),
    ),
    handler: ([bytes, opts]) => ({
      bytes,
      flag: opts?.flag ?? false,
      amount: opts?.amount ?? 0n,
      big: 10n ** 30n,
      height: 7,
    }),
  });
  registry.register('test_fail', {
    description: 'fails with a typed error',
    params: params(),
    handler: () => {
      throw new HotshardError('NONCE_TOO_LOW', 'nonce 3 is below 5', {
        expected: 5n,
        sender: new Uint8Array([0xab]),
      });
    },
  });
  registry.register('test_crash', {
    description: 'a bug',
    params: params(),
    handler: () => {
      throw new TypeError('x is undefined');
    },
  });
  registry.register('test_submit', {
    description: 'a rate-limited submission',
    rateLimited: true,
    params: params(p.uint()),
    handler: ([n]) => ({ accepted: n }),
  });
  const server = new RpcServer(
    { port: 0, ...opts },
    { registry, metrics, health: () => ({ ok: healthy, height: 12 }) },
  );
  const url = await server.start();
  t.teardown(() => server.stop());
  return { url, server, registry, metrics, setHealthy: (h: boolean) => (healthy = h) };
}

t.test('valid calls, typed params and JSON encoding of bigint and bytes', async (t) => {
  const { url } = await startServer(t);
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'listens on 127.0.0.1 by default');
  const r = await post(url, {
    jsonrpc: '2.0',
    id: 1,
    method: 'test_echo',
    params: ['0x01020304', { flag: true, amount: '340282366920938463463374607431768211455' }],
  });
  t.equal(r.status, 200);
  t.same(r.json, {
    jsonrpc: '2.0',
    id: 1,
    result: {
      bytes: '0x01020304',
      flag: true,
      amount: '340282366920938463463374607431768211455',
      big: '1000000000000000000000000000000',
      height: 7,
    },
  });
  const noOpt = await post(url, { jsonrpc: '2.0', id: 'a', method: 'test_echo', params: ['0xaabbccdd'] });
  t.same(noOpt.json.result.flag, false, 'trailing optional param may be left out');
  t.equal(noOpt.json.id, 'a', 'string ids echo back');

  const list = await post(url, { jsonrpc: '2.0', id: 2, method: 'rpc_methods' });
  t.same(
    list.json.result.map((m: { name: string }) => m.name),
    ['rpc_methods', 'test_crash', 'test_echo', 'test_fail', 'test_submit'],
  );
  t.same(list.json.result.find((m: { name: string }) => m.name === 'test_echo').params, [
    'hex4',
    '{flag?: bool, amount?: decimal}?',
  ]);
});

t.test('bad requests get the right JSON-RPC errors', async (t) => {
  const { url } = await startServer(t);
  const err = async (body: unknown) => (await post(url, body)).json;

  t.match(
    await err('{"jsonrpc": "2.0", "id": 1, "method": '),
    { jsonrpc: '2.0', id: null, error: { code: RpcCode.PARSE_ERROR } },
    'malformed JSON: -32700',
  );
  t.match(
    await err({ jsonrpc: '1.0', id: 3, method: 'test_echo' }),
    { id: 3, error: { code: RpcCode.INVALID_REQUEST } },
    'wrong version: -32600',
  );
  t.match(
    await err({ id: 3, method: 'test_echo' }),
    { error: { code: RpcCode.INVALID_REQUEST } },
    'missing version: -32600',
  );
  t.match(
    await err({ jsonrpc: '2.0', id: 4, method: 7 }),
    { id: 4, error: { code: RpcCode.INVALID_REQUEST } },
    'method not a string: -32600',
  );
  t.match(
    await err({ jsonrpc: '2.0', id: { x: 1 }, method: 'rpc_methods' }),
    { id: null, error: { code: RpcCode.INVALID_REQUEST } },
    'bad id: -32600',
  );
  t.match(
    await err({ jsonrpc: '2.0', id: 5, method: 'rpc_methods', params: 'x' }),
    { error: { code: RpcCode.INVALID_REQUEST } },
    'params not structured: -32600',
  );
  t.match(await err(42), { id: null, error: { code: RpcCode.INVALID_REQUEST } }, 'not an object: -32600');
  t.match(
    await err({ jsonrpc: '2.0', id: 6, method: 'hs_nothing' }),
    { id: 6, error: { code: RpcCode.METHOD_NOT_FOUND } },
    'unknown method: -32601',
  );

  const bad = [
    [['0x0102'], 'params[0]'],
    [['0x0102030g'], 'params[0]'],
    [[1], 'params[0]'],
    [[], 'params[0]'],
    [['0x01020304', { flag: 'yes' }], 'params[1].flag'],
    [['0x01020304', { other: 1 }], 'params[1].other'],
    [['0x01020304', { amount: '-1' }], 'params[1].amount'],
    [['0x01020304', {}, 3], 'params'],
    [{ bytes: '0x01020304' }, 'params'],
  ] as const;
  for (const [ps, path] of bad) {
    t.match(
      await err({ jsonrpc: '2.0', id: 7, method: 'test_echo', params: ps }),
      { id: 7, error: { code: RpcCode.INVALID_PARAMS, data: { code: 'INVALID_PARAMS', path } } },
      `bad params ${JSON.stringify(ps)}: -32602 at ${path}`,
    );
  }

  t.same(
    await err({ jsonrpc: '2.0', id: 8, method: 'test_fail' }),
    {
      jsonrpc: '2.0',
      id: 8,
      error: {
        code: RpcCode.APPLICATION_ERROR,
        message: 'NONCE_TOO_LOW: nonce 3 is below 5',
        data: { expected: '5', sender: '0xab', code: 'NONCE_TOO_LOW' },
      },
    },
    'typed application error: -32000 with the HotshardError code in data.code',
  );
  t.same(
    await err({ jsonrpc: '2.0', id: 9, method: 'test_crash' }),
    { jsonrpc: '2.0', id: 9, error: { code: RpcCode.INTERNAL_ERROR, message: 'internal error' } },
    'a bug: -32603, no detail leaked',
  );
});

t.test('batches: in order, per-call errors, notifications, limits', async (t) => {
  const { url } = await startServer(t);
  const r = await post(url, [
    { jsonrpc: '2.0', id: 1, method: 'test_submit', params: [1] },
    { jsonrpc: '2.0', id: 2, method: 'nope_nope' },
    { jsonrpc: '2.0', method: 'test_submit', params: [3] }, // notification: no answer
    'garbage',
    { jsonrpc: '2.0', id: 5, method: 'test_echo', params: [] },
  ]);
  t.equal(r.status, 200);
  t.match(r.json, [
    { id: 1, result: { accepted: 1 } },
    { id: 2, error: { code: RpcCode.METHOD_NOT_FOUND } },
    { id: null, error: { code: RpcCode.INVALID_REQUEST } },
    { id: 5, error: { code: RpcCode.INVALID_PARAMS } },
  ]);
  t.equal(r.json.length, 4);
  t.match(
    (await post(url, [])).json,
    { id: null, error: { code: RpcCode.INVALID_REQUEST } },
    'empty batch: -32600',
  );
  const huge = Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'rpc_methods' }));
  t.match(
    (await post(url, huge)).json,
    { id: null, error: { code: RpcCode.INVALID_REQUEST, message: /batch of 101/ } },
    'batch over the limit: -32600',
  );
  const onlyNotes = await post(url, [{ jsonrpc: '2.0', method: 'rpc_methods' }]);
  t.equal(onlyNotes.status, 204, 'a batch of notifications gets no body');
  t.equal(
    (await post(url, { jsonrpc: '2.0', method: 'rpc_methods' })).status,
    204,
    'a notification gets no body',
  );
});

t.test('oversized bodies are refused with -32600 and HTTP 413, declared or streamed', async (t) => {
  const { url } = await startServer(t, { maxBodyBytes: 1024 });
  const big = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'test_echo',
    params: ['0x' + 'ab'.repeat(2000)],
  });
  const declared = await post(url, big);
  t.equal(declared.status, 413);
  t.match(declared.json, { id: null, error: { code: RpcCode.INVALID_REQUEST, message: /larger than 1024/ } });
  const streamed = await http(url, 'POST', '/', Buffer.from(big), { 'transfer-encoding': 'chunked' });
  t.equal(streamed.status, 413, 'a chunked body without a length is cut off at the limit too');
  t.equal(
    (await post(url, { jsonrpc: '2.0', id: 2, method: 'rpc_methods' })).status,
    200,
    'the server still answers',
  );
});

t.test('per-client rate limit on submissions only', async (t) => {
  const { url, metrics } = await startServer(t, { submissionRate: 1, submissionBurst: 3 });
  const codes: (number | 'ok')[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await post(url, { jsonrpc: '2.0', id: i, method: 'test_submit', params: [i] });
    codes.push(r.json.error ? r.json.error.code : 'ok');
    if (i === 4) t.match(r.json.error, { code: RpcCode.RATE_LIMITED, data: { code: 'RATE_LIMITED' } });
  }
  t.same(codes, ['ok', 'ok', 'ok', RpcCode.RATE_LIMITED, RpcCode.RATE_LIMITED], 'a burst of 3, then refused');
  t.notOk(
    (await post(url, { jsonrpc: '2.0', id: 9, method: 'rpc_methods' })).json.error,
    'queries are not limited',
  );
  t.ok(
    metrics
      .expose()
      .includes(`hotshard_rpc_calls_total{method="test_submit",result="${RpcCode.RATE_LIMITED}"} 2`),
    'counted',
  );

  // The bucket itself: refill over time, bounded client table.
  let now = 0;
  const b = new TokenBucketLimiter({ ratePerSec: 2, burst: 2, maxClients: 2, now: () => now });
  t.ok(b.take('a') && b.take('a'));
  t.notOk(b.take('a'));
  t.equal(b.retryAfterMs('a'), 500);
  now = 500;
  t.ok(b.take('a'), 'a token back after 500 ms');
  t.ok(b.take('b') && b.take('c'), 'other clients have their own buckets');
});

t.test('GET /metrics and /health on the same server', async (t) => {
  const { url, setHealthy } = await startServer(t);
  await post(url, { jsonrpc: '2.0', id: 1, method: 'rpc_methods' });
  const m = await http(url, 'GET', '/metrics');
  t.equal(m.status, 200);
  t.match(m.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.match(
    m.text,
    /# TYPE hotshard_rpc_calls_total counter\nhotshard_rpc_calls_total\{method="rpc_methods",result="ok"\} 1\n/,
  );
  const h = await http(url, 'GET', '/health');
  t.same([h.status, h.json], [200, { status: 'ok', height: 12 }]);
  setHealthy(false);
  t.equal((await http(url, 'GET', '/health')).status, 503);
  t.equal((await http(url, 'GET', '/')).status, 405, 'GET / is not JSON-RPC');
  t.equal((await http(url, 'GET', '/nothing')).status, 404);
});

t.test('registry and JSON helpers', async (t) => {
  const r = new RpcRegistry();
  t.throws(() => r.register('rpc_methods', { description: '', params: params(), handler: () => null }), {
    code: 'DUPLICATE_METHOD',
  });
  t.throws(() => r.register('noNamespace', { description: '', params: params(), handler: () => null }), {
    code: 'BAD_METHOD_NAME',
  });
  t.same(
    toJsonValue({ a: 1n, b: new Uint8Array([1, 255]), c: new Map([[1, 2n]]), d: undefined, e: [null] }),
    { a: '1', b: '0x01ff', c: { 1: '2' }, e: [null] },
  );
  t.throws(() => toJsonValue(NaN));
});
