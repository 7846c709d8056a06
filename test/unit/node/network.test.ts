import '../../../core/polyfill.js';
import t from 'tap';
import { HotshardError } from '../../../core/errors.js';
import { keyPairFromSeed } from '../../../core/ed25519.js';
import { bytesMax, decode, encode, struct, uint } from '../../../core/codec.js';
import { BEACON_COMMITTEE_ID } from '../../../consensus/types.js';
import {
  Network,
  NetworkError,
  GossipValidationError,
  gossipTopic,
  parseGossipTopic,
  peerIdForPublicKey,
  peerIdForSeed,
  reqRespProtocol,
  type GossipContext,
  type ReqRespContext,
} from '../../../node/network/index.js';
import { MetricsRegistry } from '../../../node/metrics/index.js';

const CHAIN = 77;
const TXS = gossipTopic(CHAIN, 1, 'txs');
const PROPOSALS = gossipTopic(CHAIN, 1, 'proposals');
const SYNC = reqRespProtocol(CHAIN, 'sync');
const CONSENSUS = reqRespProtocol(CHAIN, 'consensus');

// A tiny canonical message for the tests: the validator decodes it, anything else is rejected.
const Batch = struct('TestBatch', [
  ['seq', uint],
  ['body', bytesMax(1024)],
] as const);

const seed = (i: number): Uint8Array => new Uint8Array(32).fill(i + 1);

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('names of topics and protocols', async (t) => {
  t.equal(TXS, '/hotshard/77/1/txs/1');
  t.equal(gossipTopic(CHAIN, BEACON_COMMITTEE_ID, 'proposals'), '/hotshard/77/beacon/proposals/1');
  t.equal(SYNC, '/hotshard/77/sync/1');
  t.same(parseGossipTopic('/hotshard/77/beacon/txs/1'), {
    chainId: 77,
    committeeId: BEACON_COMMITTEE_ID,
    kind: 'txs',
  });
  t.same(parseGossipTopic(TXS), { chainId: 77, committeeId: 1, kind: 'txs' });
  for (const bad of [
    '/hotshard/77/01/txs/1',
    '/hotshard/77/1/blocks/1',
    '/hotshard/x/1/txs/1',
    '/hotshard/77/65535/txs/1',
    '/other',
  ]) {
    t.equal(parseGossipTopic(bad), null, bad);
  }
  t.throws(() => gossipTopic(CHAIN, 70_000, 'txs'), { code: 'BAD_TOPIC' });
});

t.test('the peer id derives from the validator seed and its public key', async (t) => {
  const s = seed(9);
  const fromSeed = await peerIdForSeed(s);
  t.equal(
    peerIdForPublicKey(keyPairFromSeed(s).publicKey),
    fromSeed,
    'noble public key gives the same peer id',
  );
  t.match(fromSeed, /^12D3KooW/);
  t.throws(() => peerIdForPublicKey(new Uint8Array(31)), { code: 'BAD_KEY' });
  await t.rejects(Network.create({ chainId: CHAIN, seed: new Uint8Array(16) }), { code: 'BAD_OPTIONS' });
});

t.test('four nodes on 127.0.0.1: static peers, gossip, request-response, direct messages', async (t) => {
  const N = 4;
  const metrics = Array.from({ length: N }, () => new MetricsRegistry());
  const nets: Network[] = [];
  for (let i = 0; i < N; i++) {
    nets.push(
      await Network.create(
        { chainId: CHAIN, seed: seed(i), reconnectMinMs: 50, dialGraceMs: 3_000 },
        { metrics: metrics[i] },
      ),
    );
  }
  t.teardown(async () => {
    await Promise.all(nets.map((n) => n.stop()));
  });
  for (const n of nets) await n.start();
  t.equal(nets[0]!.peerId, await peerIdForSeed(seed(0)), 'stable peer id');

  // Every node lists every other (as a shared peer list would, itself included); each pair dials from one side.
  const addrs = nets.map((n) => n.multiaddrs()[0]!);
  for (const n of nets) for (const a of addrs) n.addStaticPeer(a);
  await waitFor(() => nets.every((n) => n.peerCount() === N - 1), 'full mesh');
  for (const a of nets) {
    for (const b of nets) {
      if (a !== b)
        t.equal(a.libp2p.getConnections(b.libp2p.peerId).length, 1, 'exactly one connection per pair');
    }
  }

  // Committee membership from ed25519 public keys.
  const publicKeys = nets.map((_, i) => keyPairFromSeed(seed(i)).publicKey);
  for (const n of nets) n.setCommittee(1, publicKeys);
  t.equal(nets[0]!.directory.indexOf(1, nets[2]!.peerId), 2);
  t.equal(nets[0]!.directory.peerOf(1, 3), nets[3]!.peerId);

  // ---- gossip
  const got: { node: number; seq: number; from: string }[][] = Array.from({ length: N }, () => []);
  const proposals: number[] = [];
  nets.forEach((n, i) => {
    n.subscribe(
      TXS,
      (data: Uint8Array) => decode(Batch, data),
      (v: { seq: number }, ctx: GossipContext) => {
        got[i]!.push({ node: i, seq: v.seq, from: ctx.from });
      },
    );
    n.subscribe(
      PROPOSALS,
      (data: Uint8Array) => {
        const b = decode(Batch, data);
        if (b.seq < 100) throw new GossipValidationError('ignore', 'OLD_ROUND', 'stale');
        return b;
      },
      (v: { seq: number }) => {
        proposals.push(v.seq);
      },
    );
  });
  for (const n of nets) {
    await n.waitForSubscribers(TXS, N - 1);
    await n.waitForSubscribers(PROPOSALS, N - 1);
  }
  for (let seq = 0; seq < 20; seq++)
    await nets[seq % N]!.publish(TXS, encode(Batch, { seq, body: new Uint8Array(200).fill(seq) }));
  await waitFor(() => got.every((g) => g.length === 20 - 20 / N), 'every message at every other node');
  for (let i = 0; i < N; i++) {
    const seqs = got[i]!.map((g) => g.seq).sort((a, b) => a - b);
    const expected = Array.from({ length: 20 }, (_, s) => s).filter((s) => s % N !== i);
    t.same(seqs, expected, `node ${i} got each message of the others exactly once`);
  }
  await nets[1]!.publish(PROPOSALS, encode(Batch, { seq: 5, body: new Uint8Array() })); // ignored (stale)
  await nets[1]!.publish(PROPOSALS, encode(Batch, { seq: 150, body: new Uint8Array() }));
  await waitFor(() => proposals.length === N - 1, 'the fresh proposal');
  t.same(proposals, [150, 150, 150], 'the stale proposal was ignored everywhere');
  t.ok(
    metrics[0]!.expose().includes('hotshard_gossip_messages_total{topic="1/proposals",verdict="ignore"} 1'),
    'the ignore is counted',
  );
  t.ok(nets[0]!.score(nets[1]!.peerId) >= 0, 'an ignore does not penalise');
  await t.rejects(
    nets[0]!.publish(TXS, new Uint8Array(2 * 1024 * 1024 + 1)),
    { code: 'TOO_LARGE' },
    'outbound size cap',
  );

  // ---- request-response on long-lived streams
  for (const n of nets) {
    await n.handle(SYNC, (data: Uint8Array, ctx: ReqRespContext) => {
      if (data[0] === 0xee) throw new HotshardError('UNKNOWN_BLOCK', 'no such block');
      if (data[0] === 0xdd) return new Promise<Uint8Array>(() => {}); // never answers
      return new Uint8Array([...data].reverse().concat([ctx.kind === 'request' ? 1 : 0]));
    });
  }
  const calls: Promise<void>[] = [];
  for (let i = 1; i < N; i++) {
    for (let k = 0; k < 50; k++) {
      const req = new Uint8Array([i, k, 7]);
      calls.push(
        nets[i]!.request(nets[0]!.peerId, SYNC, req).then((res) => {
          if (res.join() !== [7, k, i, 1].join()) throw new Error(`wrong response ${res.join()}`);
        }),
      );
    }
  }
  await Promise.all(calls);
  t.pass('150 concurrent requests from 3 peers answered correctly');
  for (let i = 1; i < N; i++) {
    const streams = nets[i]!.libp2p.getConnections(nets[0]!.libp2p.peerId).flatMap((c) =>
      c.streams.filter((s) => s.protocol === SYNC),
    );
    t.equal(streams.length, 1, `node ${i} used one long-lived stream to node 0`);
  }
  await t.rejects(nets[1]!.request(nets[0]!.peerId, SYNC, new Uint8Array([0xee])), {
    code: 'REMOTE_ERROR',
    context: { remoteCode: 'UNKNOWN_BLOCK' },
  });
  await t.rejects(nets[1]!.request(nets[0]!.peerId, SYNC, new Uint8Array([0xdd]), { timeoutMs: 200 }), {
    code: 'TIMEOUT',
  });
  const after = await nets[1]!.request(nets[0]!.peerId, SYNC, new Uint8Array([1, 2]));
  t.same(after, new Uint8Array([2, 1, 1]), 'the stream still works after an error and a timeout');
  await t.rejects(nets[1]!.request({ committeeId: 9, index: 0 }, SYNC, new Uint8Array([1])), {
    code: 'UNKNOWN_VALIDATOR',
  });
  await t.rejects(nets[1]!.request(nets[0]!.peerId, SYNC, new Uint8Array(4 * 1024 * 1024)), {
    code: 'TOO_LARGE',
  });

  // ---- one-way messages to a validator index (votes to the next leader)
  const received: { from: string; data: number[]; kind: string }[] = [];
  await nets[3]!.handle(CONSENSUS, (data, ctx) => {
    received.push({ from: ctx.peerId, data: [...data], kind: ctx.kind });
  });
  for (let k = 0; k < 10; k++)
    await nets[0]!.sendDirect({ committeeId: 1, index: 3 }, CONSENSUS, new Uint8Array([k]));
  await waitFor(() => received.length === 10, 'ten direct messages');
  t.same(
    received.map((r) => r.data[0]),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    'in order on one stream',
  );
  t.ok(received.every((r) => r.from === nets[0]!.peerId && r.kind === 'message'));
  t.equal(nets[3]!.directory.indexOf(1, received[0]!.from), 0, 'the receiver maps the sender to validator 0');

  // ---- reconnect after a disconnect
  const p2 = nets[2]!.libp2p.peerId;
  const events: string[] = [];
  nets[1]!.onPeerChange((peerId, connected) => {
    if (peerId === p2.toString()) events.push(connected ? 'connect' : 'disconnect');
  });
  await nets[1]!.libp2p.hangUp(p2);
  await waitFor(() => events.includes('connect'), 'reconnect of a static peer');
  t.same(events, ['disconnect', 'connect'], 'static peer disconnected, then reconnected');
  t.equal(nets[1]!.libp2p.getConnections(p2).length, 1);
  const res = await nets[2]!.request(nets[1]!.peerId, SYNC, new Uint8Array([3]));
  t.same(res, new Uint8Array([3, 1]), 'a request reopens its stream on the new connection');

  // ---- a peer that shuts down: its streams end cleanly, requests to it fail fast with a typed error
  await nets[3]!.request(nets[0]!.peerId, SYNC, new Uint8Array([4])); // node 3 holds streams both ways
  await nets[0]!.request(nets[3]!.peerId, SYNC, new Uint8Array([4]));
  await nets[3]!.stop();
  await t.rejects(
    nets[0]!.request(nets[3]!.peerId, SYNC, new Uint8Array([1]), { timeoutMs: 2_000 }),
    NetworkError,
  );
  t.same(
    await nets[0]!.request(nets[1]!.peerId, SYNC, new Uint8Array([9])),
    new Uint8Array([9, 1]),
    'the others are unaffected',
  );
  t.ok(
    metrics[1]!
      .expose()
      .includes('hotshard_reqresp_requests_total{protocol="sync",direction="outbound",result="ok"}'),
    'requests counted',
  );
});

t.test('a network that is not started refuses to send', async (t) => {
  const n = await Network.create({ chainId: CHAIN, seed: seed(20) });
  await t.rejects(n.publish(TXS, new Uint8Array(1)), { code: 'NOT_STARTED' });
  await t.rejects(
    n.request('12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5', SYNC, new Uint8Array(1)),
    NetworkError,
  );
  await n.stop();
});
