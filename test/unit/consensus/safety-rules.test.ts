/**
 * The safety rules alone: every voting and timeout rule, persistence before
 * release, epochs, proposals, and a property test over random operation
 * sequences with restarts (which also shows that the skipPersistBeforeVote
 * mutation is caught).
 */
import t from 'tap';
import fc from 'fast-check';
import { sha256 } from '../../../core/hash.js';
import { equalBytes, toHex, u64be } from '../../../core/bytes.js';
import { InMemorySafetyStorage, SafetyRules, initialSafetyData } from '../../../consensus/safety-rules.js';
import { BLOCK_VERSION, blockId } from '../../../consensus/messages.js';
import {
  ed25519Scheme,
  makeSigner,
  proposalSigningBytes,
  timeoutSigningBytes,
  voteSigningBytes,
} from '../../../consensus/signing.js';
import type {
  Block,
  ConsensusMutations,
  QuorumCert,
  SafetyData,
  SafetyStorage,
  Signer,
  TimeoutCert,
  Vote,
} from '../../../consensus/types.js';
import { Fixture, expectCodeAsync } from '../../support/consensus-fixtures.js';

const f = new Fixture(4);
const { blocks, qcs } = f.chain(4);
const [b1, b2, b3, b4] = blocks as [Block, Block, Block, Block];
const me = 1;
const signerOf = (i: number): Signer => makeSigner(ed25519Scheme, f.keys[i]!.seed, f.keys[i]!.publicKey);

async function open(
  storage: SafetyStorage = new InMemorySafetyStorage(),
  mutations: ConsensusMutations = {},
  self = me,
): Promise<SafetyRules> {
  return SafetyRules.open({
    domain: f.domain,
    self,
    signer: signerOf(self),
    storage,
    validators: f.validators,
    mutations,
  });
}

/** A storage whose saves wait until released, to observe what happens before the write is durable. */
class GatedStorage implements SafetyStorage {
  stored: SafetyData | null = null;
  private gates: (() => void)[] = [];
  gated = false;
  async load(): Promise<SafetyData | null> {
    return this.stored;
  }
  save(data: SafetyData): Promise<void> {
    if (!this.gated) {
      this.stored = data;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.gates.push(() => {
        this.stored = data;
        resolve();
      });
    });
  }
  release(): void {
    const g = this.gates;
    this.gates = [];
    g.forEach((fn) => fn());
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

t.test('a vote follows its QC, updates and persists the safety data before it is returned', async (t) => {
  const storage = new GatedStorage();
  const rules = await open(storage);
  storage.gated = true;
  let vote: Vote | null = null;
  const p = rules.constructAndSignVote(b2, null).then((v) => (vote = v));
  await tick();
  await tick();
  t.equal(vote, null, 'no vote while the save is pending');
  t.equal(storage.stored!.lastVotedRound, 0, 'nothing durable yet');
  storage.release();
  await p;
  t.ok(vote, 'the vote comes once the save resolved');
  const v = vote! as Vote;
  t.equal(storage.stored!.lastVotedRound, 2);
  t.equal(storage.stored!.oneChainRound, 1, 'one-chain round = the QC round');
  t.ok(equalBytes(storage.stored!.lastVote!.signature, v.signature), 'the vote is stored');
  t.same(v.voteData, f.voteDataFor(b2), 'vote data: block, parent, commit = parent on consecutive rounds');
  t.ok(
    ed25519Scheme.verify(v.signature, voteSigningBytes(f.domain, v.voteData), f.keys[me]!.publicKey),
    'signed over the vote bytes',
  );
  t.equal(v.signer, me);
});

t.test('voting rule: rounds only increase; one block per round', async (t) => {
  const storage = new InMemorySafetyStorage();
  const rules = await open(storage);
  const v3 = await rules.constructAndSignVote(b3, null);
  const saves = storage.saves;
  t.equal(await rules.constructAndSignVote(b3, null), v3, 'asked again for the same block: the stored vote');
  t.equal(storage.saves, saves, 'no new write for a re-sent vote');
  const fork3 = f.block({ parent: b2, payload: new Uint8Array([9]) });
  await expectCodeAsync(t, () => rules.constructAndSignVote(fork3, null), 'ALREADY_VOTED');
  await expectCodeAsync(t, () => rules.constructAndSignVote(b2, null), 'OLD_ROUND');
  await expectCodeAsync(t, () => rules.constructAndSignVote(b1, null), 'OLD_ROUND');
  const v4 = await rules.constructAndSignVote(b4, null);
  t.equal(v4.voteData.block.round, 4);
  t.equal(rules.data.lastVotedRound, 4);
});

t.test('voting rule: a round must follow its QC, or a TC whose high QCs it is not below', async (t) => {
  const rules = await open();
  // Round 5 on the QC of round 3: not consecutive, no TC.
  const skip = f.block({ parent: b3, round: 5, tc: null });
  await expectCodeAsync(t, () => rules.constructAndSignVote(skip, null), 'NOT_SAFE_TO_VOTE');
  // TC of round 4 in which someone had a QC of round 4 (higher than the block's QC of round 3).
  const tcWithHigherLock: TimeoutCert = {
    round: 4,
    signers: f.validators.makeBitmap([0, 2, 3]),
    hqcRounds: [3, 3, 4],
    signatures: [],
    highQc: qcs[3]!,
  };
  const onTc = f.block({ parent: b3, round: 5, tc: tcWithHigherLock });
  await expectCodeAsync(t, () => rules.constructAndSignVote(onTc, tcWithHigherLock), 'NOT_SAFE_TO_VOTE');
  // A TC of the wrong round does not help.
  const tc3: TimeoutCert = { ...tcWithHigherLock, round: 3, hqcRounds: [2, 2, 2], highQc: qcs[1]! };
  await expectCodeAsync(t, () => rules.constructAndSignVote(onTc, tc3), 'NOT_SAFE_TO_VOTE');
  // With every high QC at round 3 or below, the vote is safe.
  const tcOk: TimeoutCert = { ...tcWithHigherLock, hqcRounds: [2, 3, 3], highQc: qcs[2]! };
  const v = await rules.constructAndSignVote(f.block({ parent: b3, round: 5, tc: tcOk }), tcOk);
  t.equal(v.voteData.commit, null, 'no commit info across a gap in rounds');
  t.equal(rules.data.oneChainRound, 3);
});

t.test('mutation dropTcHighQcClause votes against the lock', async (t) => {
  const rules = await open(new InMemorySafetyStorage(), { dropTcHighQcClause: true });
  const tc: TimeoutCert = {
    round: 4,
    signers: f.validators.makeBitmap([0, 2, 3]),
    hqcRounds: [3, 3, 4],
    signatures: [],
    highQc: qcs[3]!,
  };
  const v = await rules.constructAndSignVote(f.block({ parent: b3, round: 5, tc }), tc);
  t.equal(v.voteData.block.round, 5, 'the mutant votes where the rule refuses');
});

t.test('timeout rule', async (t) => {
  const storage = new InMemorySafetyStorage();
  const rules = await open(storage);
  const v3 = await rules.constructAndSignVote(b3, null); // oneChainRound = 2, lastVotedRound = 3
  await expectCodeAsync(t, () => rules.signTimeout(2, qcs[0]!, null), 'OLD_ROUND');
  // Round 3 with hqc of round 1: hqc below the one-chain round 2.
  await expectCodeAsync(t, () => rules.signTimeout(3, qcs[0]!, null), 'NOT_SAFE_TO_TIMEOUT');
  // Round 4 with hqc 2: follows neither the hqc nor a TC.
  await expectCodeAsync(t, () => rules.signTimeout(4, qcs[1]!, null), 'NOT_SAFE_TO_TIMEOUT');
  await expectCodeAsync(t, () => rules.signTimeout(3, qcs[2]!, null), 'NOT_SAFE_TO_TIMEOUT');
  rules.voteReleased(v3); // the engine sent it
  const to = await rules.signTimeout(3, qcs[1]!, null);
  t.equal(to.round, 3);
  t.ok(
    to.lastVote !== null && equalBytes(to.lastVote.signature, v3.signature),
    'the vote of the round rides along',
  );
  t.ok(
    ed25519Scheme.verify(to.signature, timeoutSigningBytes(f.domain, 3, 2), f.keys[me]!.publicKey),
    'signed over (round, hqc round)',
  );
  t.equal(storage.peek()!.highestTimeoutRound, 3, 'persisted');
  t.equal(await rules.signTimeout(3, qcs[1]!, null), to, 'asked again: the stored timeout');
  // Round 4 after a TC of round 3 with an older hqc, as long as it is not below the one-chain round.
  const tc3: TimeoutCert = {
    round: 3,
    signers: f.validators.makeBitmap([0, 1, 2]),
    hqcRounds: [2, 2, 2],
    signatures: [],
    highQc: qcs[1]!,
  };
  const to4 = await rules.signTimeout(4, qcs[1]!, tc3);
  t.equal(to4.lastVote, null, 'no vote in round 4');
  t.equal(rules.data.lastVotedRound, 4, 'a timeout sets the last voted round');
  // Having timed out in round 4, no vote in round 4.
  await expectCodeAsync(t, () => rules.constructAndSignVote(b4, null), 'OLD_ROUND');
});

t.test('a vote saved but never sent (its block failed execution) stays out of timeouts', async (t) => {
  const storage = new InMemorySafetyStorage();
  const rules = await open(storage);
  const v3 = await rules.constructAndSignVote(b3, null);
  t.same(storage.peek()!.lastVote, v3, 'saved before execution ended');
  const to = await rules.signTimeout(3, qcs[1]!, null);
  t.equal(to.lastVote, null, 'not released: the timeout goes alone');
  // After a restart nothing counts as sent, even the vote the engine had released.
  const again = await open(new InMemorySafetyStorage());
  const v = await again.constructAndSignVote(b3, null);
  again.voteReleased(v);
  const restarted = await open(new InMemorySafetyStorage(again.data));
  t.equal((await restarted.signTimeout(3, qcs[1]!, null)).lastVote, null, 'after a restart: alone too');
  // Releasing a vote other than the stored one releases nothing.
  const other = await open(new InMemorySafetyStorage());
  const stored = await other.constructAndSignVote(b3, null);
  other.voteReleased({ ...stored });
  t.equal((await other.signTimeout(3, qcs[1]!, null)).lastVote, null, 'only the stored vote is released');
});

t.test('proposals', async (t) => {
  const rules = await open(new InMemorySafetyStorage(), {}, b3.proposer);
  const sig = await rules.signProposal(b3);
  t.ok(
    ed25519Scheme.verify(sig, proposalSigningBytes(f.domain, 3, blockId(b3)), f.keys[b3.proposer]!.publicKey),
  );
  const other = await open(new InMemorySafetyStorage(), {}, (b3.proposer + 1) % 4);
  await expectCodeAsync(t, () => other.signProposal(b3), 'INVALID_PROPOSAL');
  const again = { ...b3, payload: new Uint8Array([1]), payloadDigest: sha256(new Uint8Array([1])) };
  await expectCodeAsync(t, () => rules.signProposal(again), 'INVALID_PROPOSAL'); // one per round
  await rules.constructAndSignVote(b3, null);
  const voted = await open(new InMemorySafetyStorage(), {}, b3.proposer);
  await voted.constructAndSignVote(b3, null);
  await expectCodeAsync(t, () => voted.signProposal(b3), 'INVALID_PROPOSAL'); // not in a round we voted in
});

t.test('a proposal is signed only once its round is reserved, and never again after a restart', async (t) => {
  const self = b3.proposer;
  // Reserved by the save of our vote of the round before: no write of its own.
  const storage = new InMemorySafetyStorage();
  const rules = await open(storage, {}, self);
  await rules.constructAndSignVote(b2, null, true);
  t.equal(storage.peek()!.proposalRound, 3, 'the vote of round 2 reserves round 3');
  const saves = storage.saves;
  await rules.signProposal(b3);
  t.equal(storage.saves, saves, 'signing a reserved round writes nothing');
  await rules.constructAndSignVote(b3, null);
  t.equal(storage.peek()!.proposalRound, 3, 'a vote that does not reserve keeps the reservation');

  // Not reserved: signProposal saves the reservation before it signs.
  const gated = new GatedStorage();
  const late = await open(gated, {}, self);
  gated.gated = true;
  let signed = false;
  const p = late.signProposal(b3).then(() => (signed = true));
  await tick();
  await tick();
  t.notOk(signed, 'no signature while the reservation is not durable');
  gated.release();
  await p;
  t.equal(gated.stored!.proposalRound, 3, 'the reservation is saved');

  // reserveProposal saves ahead (the engine overlaps it with building); then signing writes nothing.
  const ahead = new InMemorySafetyStorage();
  const early = await open(ahead, {}, self);
  await early.reserveProposal(3);
  const before = ahead.saves;
  await early.reserveProposal(3);
  await early.signProposal(b3);
  t.equal(ahead.saves, before, 'reserved once, signed without a write');

  // After a restart: nothing at or below the stored reservation, whether or not we signed in it.
  const restarted = await open(new InMemorySafetyStorage(ahead.peek()), {}, self);
  const fork3 = { ...b3, payload: new Uint8Array([9]), payloadDigest: sha256(new Uint8Array([9])) };
  await expectCodeAsync(t, () => restarted.signProposal(fork3), 'INVALID_PROPOSAL');
  const reservedOnly = new InMemorySafetyStorage();
  await (await open(reservedOnly, {}, self)).reserveProposal(3);
  await expectCodeAsync(
    t,
    async () => (await open(reservedOnly, {}, self)).signProposal(b3),
    'INVALID_PROPOSAL', // a round reserved before the restart stays closed
  );

  // The mutant signs with nothing saved: after a restart it signs a second proposal in round 3.
  const leaky = new InMemorySafetyStorage();
  await (await open(leaky, { skipProposalReservation: true }, self)).signProposal(b3);
  const second = await (await open(leaky, {}, self)).signProposal(fork3);
  t.ok(second.length === 64, 'skipProposalReservation: a second proposal in round 3 after a restart');
});

t.test('epochs, signer and placement', async (t) => {
  const storage = new InMemorySafetyStorage({ ...initialSafetyData(2), lastVotedRound: 50 });
  await expectCodeAsync(t, () => open(storage), 'WRONG_EPOCH');
  const older = new InMemorySafetyStorage({ ...initialSafetyData(0), lastVotedRound: 50 });
  const rules = await open(older);
  t.equal(rules.data.epoch, f.domain.epoch, 'a new epoch starts afresh');
  t.equal(older.peek()!.lastVotedRound, 0, 'and is persisted');
  await expectCodeAsync(t, () => rules.constructAndSignVote({ ...b2, epoch: 2 }, null), 'WRONG_EPOCH');
  await expectCodeAsync(t, () => rules.constructAndSignVote({ ...b2, chainId: 8 }, null), 'WRONG_CHAIN');
  await expectCodeAsync(
    t,
    () => rules.constructAndSignVote({ ...b2, committeeId: 8 }, null),
    'WRONG_COMMITTEE',
  );
  await expectCodeAsync(
    t,
    () => rules.constructAndSignVote({ ...b2, parentId: blockId(b3) }, null),
    'INVALID_PROPOSAL',
  );
  await expectCodeAsync(
    t,
    () =>
      SafetyRules.open({
        domain: f.domain,
        self: 0,
        signer: signerOf(1),
        storage: new InMemorySafetyStorage(),
        validators: f.validators,
      }),
    'BAD_SIGNER',
  );
});

t.test('a failed save releases nothing and changes nothing', async (t) => {
  let fail = false;
  const inner = new InMemorySafetyStorage();
  const storage: SafetyStorage = {
    load: () => inner.load(),
    save: async (d) => {
      if (fail) throw new Error('disk full');
      await inner.save(d);
    },
  };
  const rules = await open(storage);
  fail = true;
  await expectCodeAsync(t, () => rules.constructAndSignVote(b2, null), 'PERSIST_FAILED');
  t.equal(rules.data.lastVotedRound, 0, 'in-memory data unchanged');
  await expectCodeAsync(t, () => rules.signTimeout(1, f.gqc, null), 'PERSIST_FAILED');
  fail = false;
  t.equal((await rules.constructAndSignVote(b2, null)).voteData.block.round, 2, 'works once the disk does');
});

t.test('restart: the stored vote survives; skipPersistBeforeVote loses it', async (t) => {
  const storage = new InMemorySafetyStorage();
  const v = await (await open(storage)).constructAndSignVote(b3, null);
  const again = await open(storage);
  t.ok(
    equalBytes((await again.constructAndSignVote(b3, null)).signature, v.signature),
    'same vote after restart',
  );
  await expectCodeAsync(
    t,
    () => again.constructAndSignVote(f.block({ parent: b2, payload: new Uint8Array([7]) }), null),
    'ALREADY_VOTED',
  );

  const leaky = new InMemorySafetyStorage();
  await (await open(leaky, { skipPersistBeforeVote: true })).constructAndSignVote(b3, null);
  t.equal(leaky.peek()!.lastVotedRound, 0, 'the mutant released a vote that was never written');
  const fork = await (
    await open(leaky)
  ).constructAndSignVote(f.block({ parent: b2, payload: new Uint8Array([7]) }), null);
  t.equal(fork.voteData.block.round, 3, 'after a restart it votes for a second block in round 3');
});

// ---------------------------------------------------------------------------------------------
// Property: random proposals, timeouts and restarts never produce two different votes in one
// round, never a new vote at or below the last voted round, never an unsafe vote or timeout.

/** A cheap signer for the property test (the rules never verify signatures). */
const fastSigner = (i: number): Signer => ({ publicKey: f.keys[i]!.publicKey, sign: (m) => sha256(m) });

interface Cand {
  readonly block: Block;
  readonly tc: TimeoutCert | null;
}

function fakeQc(round: number, height: number, tag: number): QuorumCert {
  const id = sha256(u64be(round * 1000 + tag));
  const parent = {
    id: sha256(u64be(round * 1000 + tag + 500)),
    round: Math.max(0, round - 1),
    height: Math.max(0, height - 1),
  };
  return {
    voteData: { block: { id, round, height }, parent, commit: null },
    signers: new Uint8Array(1),
    signatures: [],
  };
}

function candidate(round: number, qcRound: number, variant: number, tcHqc: number[] | null): Cand {
  const qc = fakeQc(qcRound, qcRound, variant % 2);
  const payload = u64be(variant);
  const tc: TimeoutCert | null =
    tcHqc === null
      ? null
      : {
          round: round - 1,
          signers: new Uint8Array(1),
          hqcRounds: tcHqc.map((h) => Math.min(h, round - 2)),
          signatures: [],
          highQc: qc,
        };
  const block: Block = {
    version: BLOCK_VERSION,
    chainId: f.domain.chainId,
    committeeId: f.domain.committeeId,
    epoch: f.domain.epoch,
    round,
    height: qcRound + 1,
    parentId: qc.voteData.block.id,
    proposer: 0,
    timestamp: round,
    payloadDigest: sha256(payload),
    payload,
    qc,
    tc,
  };
  return { block, tc };
}

/** A finite pool, so that the same block is proposed again (re-sent votes) and conflicting blocks share rounds. */
function candidatePool(): Cand[] {
  const pool: Cand[] = [];
  for (let r = 1; r <= 6; r++) {
    for (let variant = 0; variant < 2; variant++) {
      pool.push(candidate(r, r - 1, variant, null));
      for (const back of [2, 3]) {
        if (r - back < 0) continue;
        pool.push(candidate(r, r - back, variant, null)); // no TC: never safe
        pool.push(candidate(r, r - back, variant, [r - back])); // TC not above the QC: safe
        pool.push(candidate(r, r - back, variant, [r - 2])); // TC above the QC when back = 3: unsafe
      }
    }
  }
  return pool;
}

type Op =
  | { kind: 'vote'; cand: Cand; reserveNext: boolean }
  | { kind: 'propose'; cand: Cand }
  | { kind: 'timeout'; round: number; hqcRound: number; withTc: boolean }
  | { kind: 'restart' }
  | { kind: 'reask' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ cand: fc.constantFrom(...candidatePool()), reserveNext: fc.boolean() })
      .map(({ cand, reserveNext }) => ({ kind: 'vote' as const, cand, reserveNext })),
  },
  {
    weight: 3,
    // Our own proposal: the same pool, with us as the proposer.
    arbitrary: fc
      .constantFrom(...candidatePool())
      .map((c) => ({ kind: 'propose' as const, cand: { ...c, block: { ...c.block, proposer: me } } })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        round: fc.integer({ min: 1, max: 7 }),
        back: fc.integer({ min: 1, max: 3 }),
        withTc: fc.boolean(),
      })
      .map((o) => ({
        kind: 'timeout' as const,
        round: o.round,
        hqcRound: Math.max(0, o.round - o.back),
        withTc: o.withTc,
      })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reask' as const }) },
);

const stats = { votes: 0, resent: 0, timeouts: 0, restarts: 0, proposals: 0 };

async function runOps(ops: Op[], mutations: ConsensusMutations): Promise<string | null> {
  const storage = new InMemorySafetyStorage();
  const mk = () =>
    SafetyRules.open({ domain: f.domain, self: me, signer: fastSigner(me), storage, mutations });
  let rules = await mk();
  const votedBlock = new Map<number, string>();
  const proposedBlock = new Map<number, string>();
  let lastVoted: Cand | null = null;
  for (const raw of ops) {
    // 'reask' proposes the block of our last vote again (as a re-delivered proposal would).
    const op: Op =
      raw.kind === 'reask'
        ? lastVoted === null
          ? { kind: 'restart' }
          : { kind: 'vote', cand: lastVoted, reserveNext: false }
        : raw;
    const before = rules.data;
    if (op.kind === 'restart') {
      rules = await mk();
      stats.restarts++;
      continue;
    }
    if (op.kind === 'propose') {
      const { block } = op.cand;
      try {
        await rules.signProposal(block);
      } catch {
        continue;
      }
      stats.proposals++;
      const r = block.round;
      const prior = proposedBlock.get(r);
      if (prior !== undefined && prior !== toHex(blockId(block)))
        return `two different proposals in round ${r}`;
      proposedBlock.set(r, toHex(blockId(block)));
      if (r <= before.lastVotedRound) return `proposal in round ${r} at or below last voted round`;
      continue;
    }
    if (op.kind === 'vote') {
      const { block, tc } = op.cand;
      let v: Vote;
      try {
        v = await rules.constructAndSignVote(block, tc, op.reserveNext);
      } catch {
        continue;
      }
      const r = block.round;
      const id = toHex(v.voteData.block.id);
      const prior = votedBlock.get(r);
      if (prior !== undefined && prior !== id) return `two different votes in round ${r}`;
      votedBlock.set(r, id);
      lastVoted = op.cand;
      const resent = before.lastVote !== null && before.lastVote.voteData.block.round === r;
      if (resent) stats.resent++;
      else stats.votes++;
      if (!resent && r <= before.lastVotedRound)
        return `new vote in round ${r} at or below last voted round ${before.lastVotedRound}`;
      const qcRound = block.qc.voteData.block.round;
      const maxHqc = tc === null ? -1 : Math.max(...tc.hqcRounds);
      const safe = r === qcRound + 1 || (tc !== null && r === tc.round + 1 && qcRound >= maxHqc);
      if (!resent && !safe && mutations.dropTcHighQcClause !== true) return `unsafe vote in round ${r}`;
      continue;
    }
    const hqc = fakeQc(op.hqcRound, op.hqcRound, 0);
    const tc: TimeoutCert | null = op.withTc
      ? {
          round: op.round - 1,
          signers: new Uint8Array(1),
          hqcRounds: [op.hqcRound],
          signatures: [],
          highQc: hqc,
        }
      : null;
    try {
      await rules.signTimeout(op.round, hqc, op.round >= 2 ? tc : null);
    } catch {
      continue;
    }
    stats.timeouts++;
    if (op.round < before.lastVotedRound)
      return `timeout in round ${op.round} below last voted round ${before.lastVotedRound}`;
    if (op.hqcRound < before.oneChainRound)
      return `timeout with hqc ${op.hqcRound} below one-chain round ${before.oneChainRound}`;
    if (rules.data.lastVotedRound < op.round) return 'a timeout did not raise the last voted round';
  }
  return null;
}

t.test('property: safety holds over random operations and restarts', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { minLength: 1, maxLength: 40 }),
      async (ops) => (await runOps(ops, {})) === null,
    ),
    { numRuns: 300, seed: 20240601 },
  );
  // The sequences must exercise the rules, not only be refused.
  t.ok(
    stats.votes > 200 &&
      stats.resent > 50 &&
      stats.timeouts > 150 &&
      stats.restarts > 100 &&
      stats.proposals > 100,
    `signed ${JSON.stringify(stats)}`,
  );
});

const CAUGHT: readonly [keyof ConsensusMutations, string][] = [
  ['skipPersistBeforeVote', 'a double vote across a restart is found'],
  ['skipProposalReservation', 'a second proposal in a round across a restart is found'],
];
for (const [mutation, found] of CAUGHT) {
  t.test(`property: the same check catches ${mutation}`, async (t) => {
    const res = await fc.check(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        async (ops) => (await runOps(ops, { [mutation]: true })) === null,
      ),
      { numRuns: 300, seed: 20240601 },
    );
    t.ok(res.failed, found);
  });
}
