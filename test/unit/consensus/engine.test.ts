/**
 * The engine end to end in a small deterministic run: a fake clock, an
 * in-memory network, the real ed25519 scheme. Honest runs commit one chain;
 * crashes, restarts with recovery, partitions, stake skew, dropped votes and
 * state sync keep it so; inbound messages get the right verdicts.
 */
import t from 'tap';
import { equalBytes } from '../../../core/bytes.js';
import { blockId } from '../../../consensus/messages.js';
import { ConsensusEngine, type EngineEvent } from '../../../consensus/engine.js';
import { StakeWeightedRoundRobin } from '../../../consensus/leader-election.js';
import { InMemorySafetyStorage } from '../../../consensus/safety-rules.js';
import { ed25519Scheme, makeSigner } from '../../../consensus/signing.js';
import type { Block, ConsensusMessage, ConsensusMutations, SafetyData } from '../../../consensus/types.js';
import {
  CountingExecutor,
  FakeClock,
  TEST_DOMAIN,
  TestNetwork,
  type TestNode,
} from '../../support/consensus-harness.js';
import { Fixture } from '../../support/consensus-fixtures.js';

/** Every pair of nodes committed the same chain (one a prefix of the other), with contiguous heights. */
function checkAgreement(t: Tap, net: TestNetwork): void {
  const chains = net.nodes.map((n) => n.executor.committed);
  for (const c of chains) {
    c.forEach((b, i) => {
      if (b.height !== i + 1) t.fail(`height ${b.height} at position ${i}`);
      if (i > 0 && !equalBytes(b.parentId, blockId(c[i - 1]!))) t.fail('committed blocks do not chain');
      if (i > 0 && b.timestamp <= c[i - 1]!.timestamp) t.fail('timestamps do not increase');
    });
  }
  for (let i = 0; i < chains.length; i++) {
    for (let j = i + 1; j < chains.length; j++) {
      const n = Math.min(chains[i]!.length, chains[j]!.length);
      for (let k = 0; k < n; k++) {
        if (!equalBytes(blockId(chains[i]![k]!), blockId(chains[j]![k]!))) {
          t.fail(`nodes ${i} and ${j} disagree at height ${k + 1}`);
          return;
        }
      }
    }
  }
  t.pass('all nodes committed one chain');
}
type Tap = { fail: (m: string) => unknown; pass: (m: string) => unknown };

const events = <T extends EngineEvent['type']>(n: TestNode, type: T) =>
  n.events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);

t.test('four honest nodes commit one chain with the real ed25519 scheme', async (t) => {
  const net = new TestNetwork(4);
  await net.start();
  await net.clock.advance(1000);
  net.stop();
  // The harness spaces proposals by 20 ms: at most 50 blocks in the second, fewer with message delays.
  const proposed = net.nodes.reduce((sum, n) => sum + events(n, 'proposed').length, 0);
  t.ok(proposed <= 51, `${proposed} proposals in 1 s: leaders wait 20 ms after the latest proposal`);
  for (const n of net.nodes) {
    t.ok(
      n.executor.committed.length >= 30,
      `node ${n.index} committed ${n.executor.committed.length} blocks`,
    );
    t.equal(events(n, 'error').length, 0, 'no errors');
    t.equal(events(n, 'equivocation').length, 0);
    // commit() gets newly committed blocks oldest first, with the QC whose commit info names the last one.
    n.executor.commitQcs.forEach((qc) => {
      t.ok(qc.voteData.commit !== null, 'a commit certificate commits something');
    });
    for (const e of events(n, 'committed')) {
      t.ok(
        equalBytes(e.commitQc.voteData.commit!.id, blockId(e.blocks[e.blocks.length - 1]!)),
        'commitQc names the last block',
      );
      t.equal(
        e.commitQc.voteData.block.round,
        e.commitQc.voteData.commit!.round + 1,
        '2-chain: certified child of the next round',
      );
    }
    const s = n.engine.status();
    t.equal(
      s.committedRound,
      s.highQcRound - 1,
      'happy path: the parent of the highest certified block is committed',
    );
  }
  checkAgreement(t, net);
  // Leaders rotate and each waits the minimum interval between its proposals.
  const byProposer = new Map<number, number[]>();
  for (const b of net.nodes[0]!.executor.committed)
    byProposer.set(b.proposer, [...(byProposer.get(b.proposer) ?? []), b.timestamp]);
  t.equal(byProposer.size, 4, 'every node led');
  for (const ts of byProposer.values())
    for (let i = 1; i < ts.length; i++)
      if (ts[i]! - ts[i - 1]! < 20) t.fail('proposals closer than the minimum interval');
  t.ok(
    net.verdicts.every((v) => v.verdict !== 'reject'),
    'no honest message is rejected',
  );
});

t.test(
  'a leader extending a block that carries work proposes at once; after an empty block it waits',
  async (t) => {
    // Messages take 2 ms: a round of proposal, execution and votes takes about 4 ms, far below the 20 ms interval.
    const net = new TestNetwork(4, { delayMs: 2 });
    // Blocks of even rounds carry work; odd rounds are empty.
    for (const n of net.nodes) n.executor.reportWork((round) => round % 2 === 0);
    await net.start();
    await net.clock.advance(1000);
    net.stop();
    const chain = net.nodes[0]!.executor.committed;
    t.ok(chain.length > 40, `${chain.length} blocks committed`);
    let fast = 0;
    for (let i = 1; i < chain.length; i++) {
      const [parent, child] = [chain[i - 1]!, chain[i]!];
      if (child.round !== parent.round + 1) continue;
      const gap = child.timestamp - parent.timestamp;
      if (parent.round % 2 === 0) {
        if (gap < 20) fast++;
      } else if (gap < 20) t.fail(`round ${child.round} came ${gap} ms after an empty block`);
    }
    t.ok(fast > 15, `${fast} blocks proposed at once on a block with work`);
    checkAgreement(t, net);
    const idle = new TestNetwork(4, { delayMs: 2 });
    for (const n of idle.nodes) n.executor.reportWork(() => false);
    await idle.start();
    await idle.clock.advance(1000);
    idle.stop();
    const idleChain = idle.nodes[0]!.executor.committed;
    t.ok(idleChain.length <= 51, `an idle chain waits: ${idleChain.length} blocks in 1 s`);
  },
);

t.test(
  'a vote saved while its block executes leaves only if execution agrees, nor rides a timeout',
  async (t) => {
    const sent: { type: string; round: number; withVote: boolean }[] = [];
    const net = new TestNetwork(4, {
      delayMs: 2,
      drop: (from, _to, msg) => {
        if (from === 1 && msg.type === 'vote')
          sent.push({ type: 'vote', round: msg.value.voteData.block.round, withVote: true });
        if (from === 1 && msg.type === 'timeout')
          sent.push({ type: 'timeout', round: msg.value.round, withVote: msg.value.lastVote !== null });
        return false;
      },
    });
    // Node 1's first execution of the blocks of rounds 5 to 7 fails (as on a
    // transient fault); the three others carry on, and node 1 executes those
    // blocks when it fetches them again as ancestors.
    const failedOnce = new Set<number>();
    net.nodes[1]!.executor.failRounds = (round) => {
      if (round < 5 || round > 7 || failedOnce.has(round)) return false;
      failedOnce.add(round);
      return true;
    };
    await net.start();
    await net.clock.advance(3000);
    net.stop();
    const invalid = events(net.nodes[1]!, 'invalidBlock').map((e) => e.round);
    t.same(invalid, [5, 6, 7], 'node 1 refused the blocks of rounds 5 to 7 once');
    const saved = events(net.nodes[1]!, 'voted').filter((e) => e.round >= 5 && e.round <= 7);
    t.ok(saved.length > 0, 'votes were saved while those blocks executed');
    t.same(
      sent.filter((m) => m.round >= 5 && m.round <= 7 && m.withVote),
      [],
      'none of them left, alone or with a timeout',
    );
    t.ok(
      sent.some((m) => m.type === 'vote' && m.round > 7),
      'node 1 votes again once blocks execute',
    );
    t.ok(net.nodes[0]!.executor.committed.length > 20, 'the others kept committing');
    checkAgreement(t, net);
  },
);

/**
 * Node 1 leads a round R >= 10; its saves of its own vote for its proposal of
 * R are held (never complete). It is crashed once that proposal has left,
 * and restarted 1 ms later into round R (its highest QC is R - 1), where it
 * leads again.
 */
async function leaderCrashedAfterProposal(mutations: ConsensusMutations) {
  const net = new TestNetwork(4, {
    delayMs: 2,
    drop: (from, _to, msg) => {
      if (from === 1 && msg.type === 'proposal' && msg.value.block.round === heldRound) left = true;
      return false;
    },
  });
  let heldRound = 0;
  let left = false;
  let savePendingWhenLeft = false;
  const node = net.nodes[1]!;
  node.engine = net.makeEngine(node, { mutations });
  const save = node.storage.save.bind(node.storage);
  node.storage.save = (data: SafetyData) => {
    const r = data.lastVote?.voteData.block.round ?? 0;
    if (heldRound === 0 || r !== heldRound) return save(data);
    return new Promise<void>(() => {}); // held: the vote of round R is never durable
  };
  await net.start();
  await net.clock.advance(300);
  heldRound = node.engine.status().round + 8;
  for (let i = 0; i < 4 && !isLeader(net, 1, heldRound); i++) heldRound++;
  for (let i = 0; i < 2000 && !left; i++) await net.clock.advance(1);
  savePendingWhenLeft = left && node.storage.peek()!.lastVotedRound < heldRound;
  net.crash(1);
  await net.clock.advance(1);
  node.events.length = 0;
  await net.restart(1);
  const restartRound = events(node, 'round')[0]?.round;
  await net.clock.advance(1000);
  net.stop();
  const equivocations = net.nodes.flatMap((n) => events(n, 'equivocation'));
  const refused = events(node, 'refused').filter((e) => e.what === 'proposal' && e.round === heldRound);
  return { net, heldRound, left, savePendingWhenLeft, restartRound, equivocations, refused };
}

function isLeader(net: TestNetwork, i: number, round: number): boolean {
  return new StakeWeightedRoundRobin(net.committee).leader(round) === i;
}

t.test(
  "a leader's proposal leaves before its own vote is saved; restarted, it never proposes again in that round",
  async (t) => {
    const r = await leaderCrashedAfterProposal({});
    t.ok(r.left, `node 1's proposal of round ${r.heldRound} left`);
    t.ok(r.savePendingWhenLeft, 'while the save of its own vote was still pending');
    t.equal(r.restartRound, r.heldRound, 'restarted into the same round, which it leads');
    t.ok(r.refused.length > 0, 'the safety rules refused a second proposal (the round was reserved)');
    t.same(r.equivocations, [], 'no equivocation seen anywhere');
    t.ok(r.net.nodes[0]!.executor.committed.length > 20, 'the chain kept committing');
    checkAgreement(t, r.net);

    const mutant = await leaderCrashedAfterProposal({ skipProposalReservation: true });
    t.equal(mutant.restartRound, mutant.heldRound);
    t.ok(
      mutant.equivocations.length > 0,
      'skipProposalReservation: the restarted leader signs a second proposal, seen as equivocation',
    );
  },
);

t.test(
  'a crashed node: timeouts form TCs, the rest keep committing; it restarts from its records',
  async (t) => {
    const net = new TestNetwork(4);
    const node2 = net.nodes[2]!;
    await net.start();
    await net.clock.advance(300);
    const before = net.nodes[0]!.executor.committed.length;
    net.crash(2);
    const crashedAt = node2.engine.status();
    await net.clock.advance(8000);
    const tcRounds = events(net.nodes[0]!, 'round').filter((e) => e.reason === 'tc');
    t.ok(tcRounds.length >= 3, `rounds entered by TC: ${tcRounds.length}`);
    t.ok(net.nodes[0]!.executor.committed.length > before + 5, 'the others keep committing');
    const withTc = net.nodes[0]!.executor.committed.filter((b) => b.tc !== null);
    t.ok(withTc.length > 0, 'blocks after a timed-out round carry the TC');

    const saved = node2.storage.peek()!;
    t.ok(saved.lastVotedRound >= crashedAt.lastVotedRound, 'the safety data was durable');
    node2.events.length = 0;
    // The harness restarts it from what it recorded, as node/ would: root, blocks, highest QC and TC.
    const { highQc, highTc } = node2.records;
    t.ok(node2.records.recovery() !== undefined, 'it had committed before the crash');
    await net.restart(2);
    const start = events(node2, 'round')[0]!;
    t.equal(start.reason, 'start');
    t.equal(
      start.round,
      Math.max(highQc?.voteData.block.round ?? 0, highTc?.round ?? 0) + 1,
      'round = max(highQc, highTc) + 1',
    );
    await net.clock.advance(3000);
    net.stop();
    const s2 = node2.engine.status();
    const s0 = net.nodes[0]!.engine.status();
    t.ok(
      s0.committedRound - s2.committedRound <= 2,
      `the restarted node caught up (${s2.committedRound} vs ${s0.committedRound})`,
    );
    t.equal(events(node2, 'error').length, 0);
    for (const n of net.nodes) t.equal(events(n, 'equivocation').length, 0, 'no equivocation anywhere');
    checkAgreement(t, net);
  },
);

t.test('a partitioned node fetches the blocks it missed and commits the same chain', async (t) => {
  let cut = true;
  const net = new TestNetwork(4, { drop: (from, to) => cut && (to === 3 || from === 3) });
  await net.start();
  await net.clock.advance(1500);
  t.equal(net.nodes[3]!.executor.committed.length, 0, 'node 3 saw nothing');
  t.ok(
    net.nodes[0]!.executor.committed.length > 5,
    `the others committed ${net.nodes[0]!.executor.committed.length}`,
  );
  cut = false;
  await net.clock.advance(1500);
  net.stop();
  const n3 = net.nodes[3]!;
  t.ok(
    n3.executor.committed.length >= net.nodes[0]!.executor.committed.length - 2,
    `node 3 caught up: ${n3.executor.committed.length}`,
  );
  t.ok(events(n3, 'block').length > 20, 'by fetching the missing blocks');
  checkAgreement(t, net);
});

t.test('votes lost on the way still certify: timeouts carry them', async (t) => {
  const net = new TestNetwork(4, { drop: (_f, _t, m) => m.type === 'vote' });
  await net.start();
  await net.clock.advance(12_000);
  net.stop();
  t.ok(
    net.nodes[0]!.executor.committed.length >= 2,
    `committed ${net.nodes[0]!.executor.committed.length} blocks without a single direct vote`,
  );
  checkAgreement(t, net);
});

t.test('stake decides liveness: a whale and one more suffice; the rest cannot', async (t) => {
  const stakes = [60n, 20n, 10n, 10n];
  const a = new TestNetwork(4, {}, { stakes });
  await a.start();
  a.crash(2);
  a.crash(3);
  await a.clock.advance(6000);
  a.stop();
  t.ok(
    a.nodes[0]!.executor.committed.length > 5,
    `nodes 0 and 1 (80%) commit: ${a.nodes[0]!.executor.committed.length}`,
  );
  checkAgreement(t, a);

  const lopsided = [40n, 20n, 20n, 20n];
  const b = new TestNetwork(4, {}, { stakes: lopsided });
  await b.start();
  b.crash(0);
  await b.clock.advance(6000);
  b.stop();
  t.equal(b.nodes[1]!.executor.committed.length, 0, 'three of four nodes (60%) commit nothing');

  // The quorumByHeads mutation counts heads: the same 60% now commits. Tests only.
  const c = new TestNetwork(4, {}, { stakes: lopsided, engine: { mutations: { quorumByHeads: true } } });
  await c.start();
  c.crash(0);
  await c.clock.advance(6000);
  c.stop();
  t.ok(c.nodes[1]!.executor.committed.length > 0, 'the mutant commits without a stake quorum');
});

t.test('mutation commitOnOneChain commits certified blocks', async (t) => {
  const net = new TestNetwork(4, {}, { engine: { mutations: { commitOnOneChain: true } } });
  await net.start();
  await net.clock.advance(300);
  net.stop();
  const s = net.nodes[1]!.engine.status();
  t.equal(s.committedRound, s.highQcRound, 'the mutant commits the block its highest QC certifies');
});

t.test('state sync: advanceRoot re-roots a fresh node, which then follows', async (t) => {
  const net = new TestNetwork(4);
  net.crash(3);
  await net.start();
  await net.clock.advance(1500);
  const donor = net.nodes[0]!;
  const root = donor.executor.committed[donor.executor.committed.length - 1]!;
  const commitQc = donor.executor.commitQcs[donor.executor.commitQcs.length - 1]!;
  const n3 = net.nodes[3]!;
  await net.restart(3);
  const synced = n3.engine.advanceRoot(root, commitQc);
  await net.clock.advance(50); // the certified child is fetched over the network
  await synced;
  t.ok(n3.engine.status().committedHeight >= root.height, 'rooted at (or already beyond) the synced block');
  t.ok(
    n3.executor.committed.length === 0 || equalBytes(n3.executor.committed[0]!.parentId, blockId(root)),
    'nothing below the synced root is committed again',
  );
  t.ok(events(n3, 'rootAdvanced').length === 1);
  const bad = { ...commitQc, signatures: [...commitQc.signatures].reverse() };
  await t.rejects(
    n3.engine.advanceRoot(root, bad),
    { code: 'BAD_SIGNATURE' },
    'a bad commit certificate is refused',
  );
  await net.clock.advance(1000);
  net.stop();
  const after = n3.executor.committed;
  t.ok(after.length > 10, `then commits: ${after.length}`);
  t.ok(equalBytes(after[0]!.parentId, blockId(root)), 'the first block it commits extends the synced root');
});

t.test('state sync to a block a restarted node already holds: it goes on committing', async (t) => {
  // Node 3 stops with uncommitted blocks on record; on restart it recovers them, and sync
  // then hands it one of them as the new root, decoded anew (equal, not the same object).
  const net = new TestNetwork(4);
  await net.start();
  await net.clock.advance(1000);
  const n3 = net.nodes[3]!;
  net.crash(3);
  const held = [...n3.records.blocks.values()].sort((a, b) => a.height - b.height);
  await net.clock.advance(1000);
  const donor = net.nodes[0]!.executor;
  const commitQcOf = (b: Block) =>
    donor.commitQcs.find(
      (qc) => qc.voteData.commit !== null && equalBytes(qc.voteData.commit.id, blockId(b)),
    );
  const root = held.find((b) => commitQcOf(b) !== undefined);
  t.ok(
    root !== undefined,
    `a block node 3 held uncommitted was committed by the others (held ${held.length})`,
  );
  await net.restart(3);
  const before = n3.executor.committed.length;
  const synced = n3.engine.advanceRoot(structuredClone(root!), commitQcOf(root!)!);
  await net.clock.advance(50);
  await synced;
  await net.clock.advance(1000);
  net.stop();
  const after = n3.executor.committed.slice(before);
  t.ok(after.length > 10, `then commits by consensus: ${after.length}`);
  t.ok(equalBytes(after[0]!.parentId, blockId(root!)), 'the first block it commits extends the synced root');
});

t.test('verdicts of handleMessage', async (t) => {
  const f = new Fixture(4);
  const clock = new FakeClock(10_000);
  const seen: EngineEvent[] = [];
  const sent: ConsensusMessage[] = [];
  const self = 2;
  const engine = new ConsensusEngine({
    domain: TEST_DOMAIN,
    committee: f.committee,
    self,
    signer: makeSigner(ed25519Scheme, f.keys[self]!.seed, f.keys[self]!.publicKey),
    scheme: ed25519Scheme,
    safetyStorage: new InMemorySafetyStorage(),
    clock,
    network: {
      broadcastProposal: (p) => sent.push({ type: 'proposal', value: p }),
      sendVote: (_to, v) => sent.push({ type: 'vote', value: v }),
      broadcastTimeout: (x) => sent.push({ type: 'timeout', value: x }),
      fetchBlocks: async () => [],
    },
    executor: new CountingExecutor(),
    genesis: f.genesis,
    onEvent: (e) => seen.push(e),
  });
  const { blocks } = f.chain(3);
  const [b1, b2, b3] = blocks as [Block, Block, Block];
  t.equal(
    await engine.handleMessage({ type: 'proposal', value: f.proposal(b1) }, 0),
    'ignore',
    'not started yet',
  );
  await engine.start();
  t.equal(await engine.handleMessage({ type: 'proposal', value: f.proposal(b1) }, 0), 'accept');
  t.equal(await engine.handleMessage({ type: 'proposal', value: f.proposal(b1) }, 1), 'ignore', 'duplicate');
  await engine.idle();
  t.equal(engine.status().lastVotedRound, 1, 'voted for round 1');
  // Round 2, and a second, different proposal by the same leader: equivocation.
  t.equal(await engine.handleMessage({ type: 'proposal', value: f.proposal(b2) }, 0), 'accept');
  const twin = f.block({ parent: b1, payload: new Uint8Array([42]) });
  t.equal(
    await engine.handleMessage({ type: 'proposal', value: f.proposal(twin) }, 0),
    'reject',
    'equivocating proposal',
  );
  const ev = seen.find((e) => e.type === 'equivocation');
  t.ok(
    ev !== undefined &&
      ev.type === 'equivocation' &&
      ev.evidence.kind === 'proposal' &&
      equalBytes(blockId(ev.evidence.first.block), blockId(b2)),
    'evidence keeps the first',
  );
  await engine.idle();
  t.equal(engine.status().lastVotedRound, 2, 'voted for the first proposal only');
  t.ok(engine.getBlock(blockId(b2)));
  t.equal(engine.getBlock(blockId(twin)), undefined);
  // Vote equivocation: two different votes of validator 0 in round 3 (we are the leader of round 4?).
  const b3fork = f.block({ parent: b2, payload: new Uint8Array([43]) });
  t.equal(await engine.handleMessage({ type: 'vote', value: f.vote(0, b3) }, 0), 'accept');
  t.equal(await engine.handleMessage({ type: 'vote', value: f.vote(0, b3) }, 0), 'ignore', 'duplicate vote');
  t.equal(
    await engine.handleMessage({ type: 'vote', value: f.vote(0, b3fork) }, 0),
    'reject',
    'equivocating vote',
  );
  t.ok(seen.some((e) => e.type === 'equivocation' && e.evidence.kind === 'vote'));
  // Invalid and stale messages.
  const forged = {
    ...f.proposal(b3),
    signature: f.proposal(b3).signature.map((x, i) => (i === 0 ? x ^ 1 : x)),
  };
  t.equal(await engine.handleMessage({ type: 'proposal', value: forged }, 1), 'reject', 'bad signature');
  t.equal(await engine.handleMessage({ type: 'proposal', value: f.proposal(b1) }, 1), 'ignore', 'old round');
  t.equal(
    await engine.handleMessage({ type: 'vote', value: { ...f.vote(1, b3), signer: 7 } }, 1),
    'reject',
    'unknown signer',
  );
  t.equal(
    await engine.handleMessage({ type: 'vote', value: { ...f.vote(1, b3), epoch: 9 } }, 1),
    'ignore',
    'another epoch',
  );
  t.equal(
    await engine.handleMessage({ type: 'proposal', value: { junk: true } } as unknown as ConsensusMessage, 1),
    'reject',
    'malformed',
  );
  t.equal(await engine.handleMessage(null as unknown as ConsensusMessage, 1), 'reject', 'not even an object');
  const huge = f.block({ parent: b2, payload: new Uint8Array(3 * 1024 * 1024) });
  t.equal(
    await engine.handleMessage({ type: 'proposal', value: f.proposal(huge) }, 1),
    'reject',
    'oversized',
  );
  t.equal(
    await engine.handleMessage({ type: 'blockRequest', value: { blockId: blockId(b1), count: 2 } }, 1),
    'ignore',
    'requests are served by serveBlocks',
  );
  t.same(
    engine.serveBlocks({ blockId: blockId(b2), count: 5 }).blocks.map((b) => b.round),
    [2, 1, 0],
  );
  await engine.idle();
  t.equal(seen.filter((e) => e.type === 'error').length, 0, 'nothing crashed');
  engine.stop();
  t.equal(await engine.handleMessage({ type: 'proposal', value: f.proposal(b3) }, 1), 'ignore', 'stopped');
});
