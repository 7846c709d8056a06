import '../../../core/polyfill.js';
import t from 'tap';
import { createHash } from 'node:crypto';
import { lpStream } from '@libp2p/utils';
import type { Stream } from '@libp2p/interface';
import { bytesMax, decode, encode, struct, uint } from '../../../core/codec.js';
import { Network, encodeFrame, gossipTopic, reqRespProtocol } from '../../../node/network/index.js';
import { MetricsRegistry } from '../../../node/metrics/index.js';

const CHAIN = 78;
const TXS = gossipTopic(CHAIN, 0, 'txs');
const SYNC = reqRespProtocol(CHAIN, 'sync');
const Batch = struct('TestBatch', [
  ['seq', uint],
  ['body', bytesMax(1024)],
] as const);
const seed = (i: number): Uint8Array => new Uint8Array(32).fill(100 + i);

/** Fixed pseudo-random bytes (a SHA-256 chain), so that the test is the same on every run. */
function noise(n: number, label: string): Uint8Array {
  const out = new Uint8Array(n);
  let block = createHash('sha256').update(label).digest();
  for (let off = 0; off < n; off += 32) {
    out.set(block.subarray(0, Math.min(32, n - off)), off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The value of one sample line of the exposition, 0 when absent. */
function sample(registry: MetricsRegistry, line: string): number {
  const m = registry
    .expose()
    .split('\n')
    .find((l) => l.startsWith(line + ' '));
  return m === undefined ? 0 : Number(m.slice(line.length + 1));
}

async function started(i: number, metrics?: MetricsRegistry): Promise<Network> {
  const n = await Network.create({ chainId: CHAIN, seed: seed(i) }, { metrics });
  await n.start();
  return n;
}

t.test('malformed and oversized gossip is rejected, not forwarded, and scores the sender down', async (t) => {
  const vm = new MetricsRegistry();
  const hm = new MetricsRegistry();
  const victim = await started(0, vm);
  const honest = await started(1, hm);
  const attacker = await started(2);
  t.teardown(() => Promise.all([victim.stop(), honest.stop(), attacker.stop()]));

  const delivered: { node: string; seq: number }[] = [];
  for (const [name, n] of [
    ['victim', victim],
    ['honest', honest],
    ['attacker', attacker],
  ] as const) {
    n.subscribe(
      TXS,
      (data) => decode(Batch, data),
      (v) => {
        delivered.push({ node: name, seq: v.seq });
      },
    );
  }
  // attacker -- victim -- honest: whatever the attacker sends reaches honest only if the victim forwards it.
  await attacker.connect(victim.multiaddrs()[0]!);
  await honest.connect(victim.multiaddrs()[0]!);
  await attacker.waitForSubscribers(TXS, 1);
  await honest.waitForSubscribers(TXS, 1);
  await victim.waitForSubscribers(TXS, 2);

  await honest.publish(TXS, encode(Batch, { seq: 1, body: new Uint8Array(10) }));
  await waitFor(() => delivered.some((d) => d.node === 'victim' && d.seq === 1), 'an honest message');
  t.ok(victim.score(honest.peerId) >= 0, 'the honest peer keeps a non-negative score');

  // Oversized: the raw gossipsub publish bypasses our outbound cap; the inbound cap rejects it before decoding.
  const big = new Uint8Array(2 * 1024 * 1024 + 1000).fill(7);
  await attacker.libp2p.services.pubsub.publish(TXS, big);
  await waitFor(
    () => sample(vm, 'hotshard_gossip_refused_total{topic="0/txs",code="TOO_LARGE"}') === 1,
    'the oversized reject',
  );
  // gossipsub caches a score for one heartbeat (1 s).
  await waitFor(() => victim.score(attacker.peerId) < 0, "the attacker's score to fall below 0");
  const afterOversized = victim.score(attacker.peerId);
  t.ok(
    afterOversized < 0,
    `one oversized message took the attacker's score below 0 (${afterOversized.toFixed(1)})`,
  );

  // Garbage that is not the canonical encoding (our publish() checks size only, so it goes out).
  const garbage = [new Uint8Array([0xc1]), new Uint8Array([0x92, 1]), noise(100, 'gossip garbage')];
  for (const g of garbage) await attacker.publish(TXS, g);
  await waitFor(
    () => sample(vm, 'hotshard_gossip_messages_total{topic="0/txs",verdict="reject"}') === 1 + garbage.length,
    'the rejects',
  );
  t.ok(
    sample(vm, 'hotshard_gossip_refused_total{topic="0/txs",code="CODEC_MALFORMED"}') >= 1,
    'counted by code',
  );
  await waitFor(() => victim.score(attacker.peerId) < afterOversized, 'the score to fall further');
  // P4 is squared: four invalid messages give -10 * 4^2 = -160, past the graylist threshold (-80).
  t.ok(
    victim.score(attacker.peerId) < -80,
    `malformed messages took it below the graylist threshold (${victim.score(attacker.peerId).toFixed(1)})`,
  );

  // Nothing invalid was delivered or forwarded; the honest path still works.
  await honest.publish(TXS, encode(Batch, { seq: 3, body: new Uint8Array(10) }));
  await waitFor(() => delivered.some((d) => d.node === 'victim' && d.seq === 3), 'a later honest message');
  t.same(
    delivered.filter((d) => d.node !== 'attacker').map((d) => `${d.node}:${d.seq}`),
    ['victim:1', 'victim:3'],
    'only valid messages reached the handlers',
  );
  t.equal(
    sample(hm, 'hotshard_gossip_messages_total{topic="0/txs",verdict="reject"}'),
    0,
    'the victim forwarded none of the garbage',
  );
});

/** Opens a raw stream from `from` to `to` on `protocol`, bypassing the framing of the network. */
async function rawStream(from: Network, to: Network, protocol: string): Promise<Stream> {
  return from.libp2p.dialProtocol(to.libp2p.peerId, protocol);
}

async function closedByRemote(s: Stream): Promise<void> {
  await waitFor(() => s.status !== 'open', 'the victim to close the stream');
}

t.test('garbage on request-response streams is rejected, counted and penalised, never a crash', async (t) => {
  const vm = new MetricsRegistry();
  const victim = await started(10, vm);
  const honest = await started(11);
  const attacker = await started(12);
  t.teardown(() => Promise.all([victim.stop(), honest.stop(), attacker.stop()]));
  await victim.handle(SYNC, (data) => data);
  await attacker.connect(victim.multiaddrs()[0]!);
  await honest.connect(victim.multiaddrs()[0]!);
  const invalid = (reason: string): number =>
    sample(vm, `hotshard_reqresp_invalid_frames_total{protocol="sync",reason="${reason}"}`);
  const echo = async (): Promise<void> => {
    t.same(
      await honest.request(victim.peerId, SYNC, new Uint8Array([1, 2, 3])),
      new Uint8Array([1, 2, 3]),
      'the victim still serves honest peers',
    );
  };

  // 1. A length prefix far over the frame cap (100 MiB): refused from the prefix alone.
  let s = await rawStream(attacker, victim, SYNC);
  s.send(new Uint8Array([0x80, 0x80, 0x80, 0x32])); // varint 100 MiB
  await closedByRemote(s);
  t.equal(invalid('oversized'), 1, 'oversized frame counted');
  const p1 = victim.penalties.score(attacker.peerId);
  t.ok(p1 < 0, `penalised (${p1})`);
  t.ok(victim.score(attacker.peerId) < 0, 'the penalty shows in the gossipsub score');
  await echo();

  // 2. A frame of an unknown type.
  s = await rawStream(attacker, victim, SYNC);
  await lpStream(s).write(new Uint8Array([9, 0, 0, 0, 1, 42]));
  await closedByRemote(s);
  t.equal(invalid('malformed'), 1, 'malformed frame counted');

  // 3. A response frame sent to the listener (wrong direction).
  s = await rawStream(attacker, victim, SYNC);
  await lpStream(s).write(encodeFrame({ type: 'response', id: 1, body: new Uint8Array([1]) }));
  await closedByRemote(s);
  t.equal(invalid('unexpected'), 1, 'wrong-direction frame counted');
  const p3 = victim.penalties.score(attacker.peerId);
  t.ok(p3 < p1, 'each offence lowers the score');
  await echo();

  // 4. Random bytes.
  s = await rawStream(attacker, victim, SYNC);
  s.send(noise(2000, 'stream garbage'));
  await closedByRemote(s);
  t.equal(
    invalid('oversized') + invalid('malformed') + invalid('unexpected') + invalid('overflow'),
    4,
    'random bytes counted',
  );
  await echo();

  // 5. The victim as the requester: the attacker answers a request that was never sent.
  await attacker.libp2p.handle(SYNC, async (stream: Stream) => {
    const lp = lpStream(stream);
    await lp.read();
    await lp.write(encodeFrame({ type: 'response', id: 999, body: new Uint8Array([6]) }));
  });
  await t.rejects(
    victim.request(attacker.peerId, SYNC, new Uint8Array([1])),
    { code: 'STREAM_CLOSED' },
    'the request fails cleanly',
  );
  t.equal(invalid('unexpected'), 2, 'an unsolicited response counted');
  t.notOk(victim.penalties.isBanned(attacker.peerId), 'not yet banned (the penalties decay)');

  // 6. One more offence takes the score past the ban threshold (-100).
  s = await rawStream(attacker, victim, SYNC);
  s.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
  await waitFor(() => victim.penalties.isBanned(attacker.peerId), 'the ban');
  await waitFor(() => !victim.peers().includes(attacker.peerId), 'the disconnect of a banned peer');
  t.pass('a peer that keeps sending garbage is disconnected and banned');
  await attacker.connect(victim.multiaddrs()[0]!).catch(() => {});
  await new Promise((r) => setTimeout(r, 200));
  t.notOk(victim.peers().includes(attacker.peerId), 'and cannot reconnect while banned');
  await echo();
  t.equal(sample(vm, 'hotshard_p2p_bans_total'), 1);
});

t.test(
  'a frame that starts and stalls closes the stream after the frame timeout, without a penalty',
  async (t) => {
    const vm = new MetricsRegistry();
    const victim = await Network.create(
      { chainId: CHAIN, seed: seed(20), requestTimeoutMs: 300 },
      { metrics: vm },
    );
    await victim.start();
    const slow = await started(21);
    t.teardown(() => Promise.all([victim.stop(), slow.stop()]));
    await victim.handle(SYNC, (data) => data);
    await slow.connect(victim.multiaddrs()[0]!);
    const s = await rawStream(slow, victim, SYNC);
    s.send(new Uint8Array([100, 1, 0, 0, 0, 1])); // a 100-byte frame, of which 5 bytes arrive
    await closedByRemote(s);
    t.equal(
      sample(vm, 'hotshard_reqresp_invalid_frames_total{protocol="sync",reason="stalled"}'),
      1,
      'counted as stalled',
    );
    t.equal(victim.penalties.score(slow.peerId), 0, 'a slow link is not penalised');
    t.same(
      await slow.request(victim.peerId, SYNC, new Uint8Array([5])),
      new Uint8Array([5]),
      'a new stream works',
    );
  },
);
