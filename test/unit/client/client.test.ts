/**
 * The JSON-RPC client against a small in-process HTTP server that speaks
 * JSON-RPC 2.0: error mapping, batches answered out of order, parsing of
 * bigint and hex fields, timeouts. The real validator is exercised by the
 * e2e tests (test/e2e/testnet*.test.ts).
 */
import t from 'tap';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HotshardClient, RpcError, toJson } from '../../../node/client/index.js';
import { freePort } from '../../../node/testnet/ports.js';

type Handler = (method: string, params: unknown[]) => unknown;

interface Req {
  id: number;
  method: string;
  params: unknown[];
}

async function serve(
  handler: Handler,
  opts: { reverseBatch?: boolean; delayMs?: number } = {},
): Promise<{ url: string; server: Server }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const answer = (r: Req): unknown => {
        try {
          return { jsonrpc: '2.0', id: r.id, result: handler(r.method, r.params) };
        } catch (err) {
          const e = err as { rpcCode?: number; message: string; data?: unknown };
          return {
            jsonrpc: '2.0',
            id: r.id,
            error: { code: e.rpcCode ?? -32000, message: e.message, data: e.data },
          };
        }
      };
      const parsed = JSON.parse(body) as Req | Req[];
      let out: unknown = Array.isArray(parsed) ? parsed.map(answer) : answer(parsed);
      if (Array.isArray(out) && opts.reverseBatch) out = [...out].reverse();
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(out));
      }, opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, server };
}

const ADDR = '0x' + 'ab'.repeat(20);
const ASSET = '0x' + '00'.repeat(20);

t.test('typed results: bigints from decimal strings, hex lower-cased', async (t) => {
  const { url, server } = await serve((method, params) => {
    if (method === 'hs_getAccount') {
      return {
        address: params[0],
        shard: 0,
        nonce: '7',
        balances: { [ASSET]: '340282366920938463463374607431768211455' },
        height: 12,
        stateRoot: '0x' + 'CD'.repeat(32),
        ...((params[1] as { proof?: boolean } | undefined)?.proof ? { proof: { siblings: [] } } : {}),
      };
    }
    if (method === 'hs_getReceipt')
      return params[0] === '0x01'
        ? null
        : { txHash: params[0], status: 'success', height: 3, blockId: '0x02', index: 0, fee: '10' };
    throw new Error('unknown method');
  });
  t.teardown(() => server.close());
  const c = new HotshardClient(url);
  t.teardown(() => c.close());
  const acct = await c.getAccount(ADDR);
  t.equal(acct.nonce, 7n);
  t.equal(acct.balances[ASSET], (1n << 128n) - 1n, 'u128 amounts survive');
  t.equal(acct.stateRoot, '0x' + 'cd'.repeat(32));
  t.notOk('proof' in acct, 'no proof unless asked');
  const withProof = await c.getAccount(ADDR, { proof: true });
  t.same(withProof.proof, { siblings: [] });
  t.equal(await c.getReceipt('0x01'), null, 'null receipt while not committed');
  const r = await c.getReceipt('0x03');
  t.equal(r?.fee, 10n);
  t.match(toJson(acct), /"nonce":"7"/, 'toJson writes bigints as decimal strings');
});

t.test('a JSON-RPC error keeps its typed data code', async (t) => {
  const { url, server } = await serve(() => {
    throw Object.assign(new Error('nonce too low'), {
      rpcCode: -32010,
      data: { code: 'NONCE_TOO_LOW', expected: '3' },
    });
  });
  t.teardown(() => server.close());
  const c = new HotshardClient(url);
  t.teardown(() => c.close());
  const err = await c.sendTransaction(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
  t.ok(err instanceof RpcError);
  t.equal((err as RpcError).code, 'REMOTE');
  t.equal((err as RpcError).context.dataCode, 'NONCE_TOO_LOW');
  t.equal((err as RpcError).context.rpcCode, -32010);
  t.match((err as RpcError).message, /nonce too low/);
});

t.test('batches are matched by id, whatever order the server answers in', async (t) => {
  const { url, server } = await serve(
    (method, params) => {
      if (params[0] === '0x0bad')
        throw Object.assign(new Error('bad transaction'), { data: { code: 'MALFORMED' } });
      return { hash: '0x' + String(params[0]).slice(2).padStart(64, '0') };
    },
    { reverseBatch: true },
  );
  t.teardown(() => server.close());
  const c = new HotshardClient(url);
  t.teardown(() => c.close());
  const out = await c.sendTransactions(['0x01', '0x0bad', '0x03']);
  t.equal(out.length, 3);
  t.same(out[0], { hash: '0x' + '1'.padStart(64, '0') });
  t.ok(
    out[1] instanceof RpcError && out[1].context.dataCode === 'MALFORMED',
    'the failed one carries its own error',
  );
  t.same(out[2], { hash: '0x' + '3'.padStart(64, '0') });
});

t.test('a malformed result is BAD_RESPONSE, naming the field', async (t) => {
  const { url, server } = await serve(() => ({
    address: ADDR,
    shard: 0,
    nonce: -1,
    balances: {},
    height: 1,
    stateRoot: '0x00',
  }));
  t.teardown(() => server.close());
  const c = new HotshardClient(url);
  t.teardown(() => c.close());
  const err = await c.getAccount(ADDR).catch((e: unknown) => e);
  t.equal((err as RpcError).code, 'BAD_RESPONSE');
  t.match((err as RpcError).message, /nonce/);
});

t.test('no node listening: UNREACHABLE says what to check', async (t) => {
  const port = await freePort();
  const c = new HotshardClient(`http://127.0.0.1:${port}`);
  t.teardown(() => c.close());
  const err = await c.status().catch((e: unknown) => e);
  t.equal((err as RpcError).code, 'UNREACHABLE');
  t.match((err as RpcError).message, /is the node running/);
});

t.test('a slow node: TIMEOUT', async (t) => {
  const { url, server } = await serve(() => ({}), { delayMs: 500 });
  t.teardown(() => server.close());
  const c = new HotshardClient(url, { timeoutMs: 100 });
  t.teardown(() => c.close());
  const err = await c.status().catch((e: unknown) => e);
  t.equal((err as RpcError).code, 'TIMEOUT');
});

t.test('a non-http URL is refused with a hint', async (t) => {
  t.throws(() => new HotshardClient('ws://127.0.0.1:1'), { code: 'BAD_URL' });
  t.throws(() => new HotshardClient('localhost:8545'), { code: 'BAD_URL' });
});

const HASH32 = '0x' + '11'.repeat(32);
const statusAt = (committedHeight: number): unknown => ({
  chainId: 1,
  shard: 0,
  committee: [],
  self: 0,
  round: committedHeight + 2,
  height: committedHeight + 1,
  committedHeight,
  lastCommittedId: HASH32,
  peers: 3,
  syncing: false,
  mempoolSize: 0,
  genesisHash: HASH32,
});
const blockAt = (height: number): unknown => ({
  id: HASH32,
  height,
  round: height,
  epoch: 0,
  parentId: HASH32,
  proposer: 0,
  timestamp: 1,
  stateRoot: HASH32,
  txRoot: HASH32,
  receiptsRoot: HASH32,
  transactions: [],
});
const RECEIPT = { txHash: '0x0a', status: 'success', height: 7, blockId: '0x0b', index: 2, fee: '1' };

t.test(
  'waitForReceipt follows the committed blocks: it reads the receipt again at each new block',
  async (t) => {
    let committed = 5;
    const calls: string[] = [];
    const { url, server } = await serve((method, params) => {
      calls.push(method === 'hs_waitForBlock' ? `${method}(${String(params[0])})` : method);
      if (method === 'hs_status') return statusAt(committed);
      if (method === 'hs_getReceipt') return committed >= 7 ? RECEIPT : null;
      if (method === 'hs_waitForBlock') {
        t.ok((params[1] as number) <= 5000, 'each wait stays inside the transport timeout');
        committed = params[0] as number; // the next block is committed at once
        return blockAt(committed);
      }
      throw new Error(`unexpected ${method}`);
    });
    t.teardown(() => server.close());
    const c = new HotshardClient(url);
    t.teardown(() => c.close());
    const r = await c.waitForReceipt('0x0a', { timeoutMs: 5000 });
    t.equal(r.height, 7);
    t.same(calls, [
      'hs_status',
      'hs_getReceipt',
      'hs_waitForBlock(6)',
      'hs_getReceipt',
      'hs_waitForBlock(7)',
      'hs_getReceipt',
    ]);
    calls.length = 0;
    const again = await c.waitForReceipt('0x0a', { timeoutMs: 0 });
    t.equal(again.index, 2, 'already committed: resolves at once, even with no time to wait');
    t.same(calls, ['hs_status', 'hs_getReceipt']);
  },
);

t.test('waitForReceipt polls a node without hs_waitForBlock, and times out with a hint', async (t) => {
  let receiptReads = 0;
  const { url, server } = await serve((method) => {
    if (method === 'hs_status') return statusAt(5);
    if (method === 'hs_getReceipt') return ++receiptReads < 3 ? null : RECEIPT;
    throw Object.assign(new Error(`method ${method} not found`), { rpcCode: -32601 });
  });
  t.teardown(() => server.close());
  const c = new HotshardClient(url);
  t.teardown(() => c.close());
  const r = await c.waitForReceipt('0x0a', { pollMs: 10, timeoutMs: 5000 });
  t.equal(r.height, 7);
  t.equal(receiptReads, 3, 'polled until the receipt appeared');

  receiptReads = -1_000_000; // never committed from now on
  const err = await c.waitForReceipt('0x0a', { pollMs: 10, timeoutMs: 50 }).catch((e: unknown) => e);
  t.ok(err instanceof RpcError && err.code === 'TIMEOUT', 'TIMEOUT once the wait is over');
  t.match((err as Error).message, /hotshard status/, 'the message says what to check');
});

t.test('a node that drops connections: UNREACHABLE, also on a reused keep-alive socket', async (t) => {
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    if (n === 1) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { hash: '0x01' } }));
    } else req.socket.destroy(); // every later request: the connection is reset, no answer
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  const c = new HotshardClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  t.teardown(() => c.close());
  t.same(await c.sendTransaction('0x01'), { hash: '0x01' });
  const err = await c.sendTransaction('0x02').catch((e: unknown) => e);
  t.ok(err instanceof RpcError, 'a typed error, never a raw socket error');
  t.equal((err as RpcError).code, 'UNREACHABLE');
  t.equal(n, 3, 'sent once more on a fresh connection after the reused one was reset');
});
