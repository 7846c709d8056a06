/**
 * Every rejection path of consensus/verify.ts, and the signed bytes of
 * consensus/signing.ts (domain separation), with the real ed25519 scheme.
 */
import t from 'tap';
import { sha256 } from '../../../core/hash.js';
import { equalBytes } from '../../../core/bytes.js';
import { keyPairFromSeed } from '../../../core/ed25519.js';
import {
  MAX_PAYLOAD_BYTES,
  blockId,
  decodeConsensusMessage,
  encodeConsensusMessage,
  MAX_MESSAGE_BYTES,
} from '../../../consensus/messages.js';
import {
  ed25519Scheme,
  makeSigner,
  proposalSigningBytes,
  timeoutSigningBytes,
  voteSigningBytes,
} from '../../../consensus/signing.js';
import {
  checkShape,
  verifyMessage,
  verifyProposal,
  verifyQc,
  verifyTc,
  verifyTimeoutMsg,
  verifyVote,
  type RoundView,
} from '../../../consensus/verify.js';
import type { ConsensusMessage, QuorumCert } from '../../../consensus/types.js';
import { Fixture, expectCode } from '../../support/consensus-fixtures.js';

const f = new Fixture(4);
const view = (round: number, highQcRound = round - 1, highTcRound = 0): RoundView => ({
  round,
  highQcRound,
  highTcRound,
});
const { blocks, qcs } = f.chain(3);
const [b1, b2, b3] = blocks as [
  NonNullable<(typeof blocks)[0]>,
  NonNullable<(typeof blocks)[0]>,
  NonNullable<(typeof blocks)[0]>,
];
const prop = (b = b3, signer = b.proposer): ConsensusMessage => ({
  type: 'proposal',
  value: f.proposal(b, signer),
});

t.test('signed bytes are domain-separated', async (t) => {
  const vd = f.voteDataFor(b2);
  const base = voteSigningBytes(f.domain, vd);
  t.equal(base.length, 32, 'a 32-byte tagged hash is signed');
  t.notOk(equalBytes(base, voteSigningBytes({ ...f.domain, chainId: 8 }, vd)), 'chain id is signed');
  t.notOk(equalBytes(base, voteSigningBytes({ ...f.domain, committeeId: 2 }, vd)), 'committee is signed');
  t.notOk(equalBytes(base, voteSigningBytes({ ...f.domain, epoch: 2 }, vd)), 'epoch is signed');
  t.notOk(equalBytes(base, voteSigningBytes(f.domain, f.voteDataFor(b3))), 'vote data is signed');
  const to = timeoutSigningBytes(f.domain, 5, 3);
  t.notOk(equalBytes(to, timeoutSigningBytes(f.domain, 5, 2)), 'hqc round is signed');
  t.notOk(equalBytes(to, timeoutSigningBytes(f.domain, 6, 3)), 'round is signed');
  t.notOk(equalBytes(to, timeoutSigningBytes({ ...f.domain, epoch: 9 }, 5, 3)), 'timeout epoch is signed');
  const pr = proposalSigningBytes(f.domain, 3, blockId(b3));
  t.notOk(
    equalBytes(pr, proposalSigningBytes({ ...f.domain, chainId: 1 }, 3, blockId(b3))),
    'proposal chain is signed',
  );
  // A signature made for one purpose never verifies for another.
  const sig = f.sign(0, to);
  t.ok(ed25519Scheme.verify(sig, to, f.keys[0]!.publicKey));
  t.notOk(
    ed25519Scheme.verify(sig, pr, f.keys[0]!.publicKey),
    'a timeout signature is no proposal signature',
  );
  const signer = makeSigner(ed25519Scheme, f.keys[1]!.seed, f.keys[1]!.publicKey);
  t.ok(ed25519Scheme.verify(signer.sign(pr), pr, f.keys[1]!.publicKey), 'makeSigner signs with the scheme');
});

t.test('valid messages pass', async (t) => {
  const ctx = f.ctx();
  verifyMessage(ctx, prop(), view(3), { now: b3.timestamp, maxClockSkewMs: 0 });
  verifyMessage(ctx, { type: 'vote', value: f.vote(2, b3) }, view(3, 2));
  verifyMessage(ctx, { type: 'timeout', value: f.timeout(1, 4, qcs[2]!) }, view(4, 3));
  verifyQc(ctx, f.gqc);
  verifyTc(
    ctx,
    f.tc(
      4,
      [0, 1, 2].map((i) => f.timeout(i, 4, i === 0 ? qcs[1]! : qcs[2]!)),
    ),
  );
  t.pass('accepted');
});

t.test('placement: chain, committee, epoch', async (t) => {
  const ctx = f.ctx();
  const other = new Fixture(4, undefined, { ...f.domain, chainId: 99 });
  const ob = other.block({ parent: other.genesis });
  expectCode(
    t,
    () => verifyMessage(ctx, { type: 'proposal', value: other.proposal(ob) }, null),
    'WRONG_CHAIN',
    'reject',
  );
  const oc = new Fixture(4, undefined, { ...f.domain, committeeId: 5 });
  expectCode(
    t,
    () =>
      verifyMessage(ctx, { type: 'proposal', value: oc.proposal(oc.block({ parent: oc.genesis })) }, null),
    'WRONG_COMMITTEE',
    'reject',
  );
  const oe = new Fixture(4, undefined, { ...f.domain, epoch: 2 });
  expectCode(
    t,
    () =>
      verifyMessage(ctx, { type: 'proposal', value: oe.proposal(oe.block({ parent: oe.genesis })) }, null),
    'WRONG_EPOCH',
    'ignore',
  );
  expectCode(
    t,
    () => verifyMessage(ctx, { type: 'vote', value: { ...f.vote(0, b2), epoch: 2 } }, null),
    'WRONG_EPOCH',
    'ignore',
  );
  expectCode(
    t,
    () => verifyMessage(ctx, { type: 'timeout', value: { ...f.timeout(0, 3, qcs[1]!), epoch: 0 } }, null),
    'WRONG_EPOCH',
    'ignore',
  );
  // A vote signed for another chain does not verify here.
  const foreign = other.vote(0, b2);
  expectCode(
    t,
    () => verifyVote(ctx, { ...foreign, voteData: f.voteDataFor(b2) }),
    'BAD_SIGNATURE',
    'reject',
  );
});

t.test('staleness is ignored, not rejected', async (t) => {
  const ctx = f.ctx();
  expectCode(t, () => verifyMessage(ctx, prop(b2), view(3)), 'OLD_ROUND', 'ignore');
  expectCode(
    t,
    () => verifyMessage(ctx, { type: 'vote', value: f.vote(0, b2) }, view(3, 2)),
    'OLD_ROUND',
    'ignore',
  );
  expectCode(
    t,
    () => verifyMessage(ctx, { type: 'vote', value: f.vote(0, b1) }, view(3, 0, 2)),
    'OLD_ROUND',
    'ignore',
  );
  // An old timeout with no newer certificate is useless; with a newer QC it is still verified.
  expectCode(
    t,
    () => verifyMessage(ctx, { type: 'timeout', value: f.timeout(0, 2, qcs[0]!) }, view(5, 4)),
    'OLD_ROUND',
    'ignore',
  );
  verifyMessage(ctx, { type: 'timeout', value: f.timeout(0, 3, qcs[1]!) }, view(5, 1, 4));
  t.pass('old timeout with a newer QC is verified');
});

t.test('far-future votes are ignored', async (t) => {
  const ctx = f.ctx();
  const qc = qcs[2]!;
  const far = f.block({
    parent: b3,
    qc,
    round: 200,
    tc: f.tc(
      199,
      [0, 1, 2].map((i) => f.timeout(i, 199, qc)),
    ),
  });
  expectCode(
    t,
    () => verifyMessage(ctx, { type: 'vote', value: f.vote(1, far) }, view(4, 3)),
    'FUTURE_ROUND',
    'ignore',
  );
  verifyMessage(ctx, { type: 'vote', value: f.vote(1, far) }, view(150, 3));
  t.pass('within the window it is verified');
});

t.test('signatures and signers', async (t) => {
  const ctx = f.ctx();
  // Proposal signed by someone else than its proposer.
  expectCode(t, () => verifyMessage(ctx, prop(b3, (b3.proposer + 1) % 4), null), 'BAD_SIGNATURE', 'reject');
  // Vote: flipped signature bit, signer outside the committee, a key outside the committee.
  const v = f.vote(1, b3);
  const flipped = new Uint8Array(v.signature);
  flipped[0]! ^= 1;
  expectCode(t, () => verifyVote(ctx, { ...v, signature: flipped }), 'BAD_SIGNATURE', 'reject');
  expectCode(t, () => verifyVote(ctx, { ...v, signer: 4 }), 'UNKNOWN_SIGNER', 'reject');
  expectCode(t, () => verifyVote(ctx, { ...v, signer: -1 }), 'UNKNOWN_SIGNER', 'reject');
  const outsider = keyPairFromSeed(sha256(new Uint8Array([42])));
  const outsiderSig = ed25519Scheme.sign(voteSigningBytes(f.domain, v.voteData), outsider.seed);
  expectCode(t, () => verifyVote(ctx, { ...v, signature: outsiderSig }), 'BAD_SIGNATURE', 'reject');
  // Timeout signed over another hqc round than the one it carries.
  const to = f.timeout(2, 4, qcs[2]!);
  const wrongHqc = f.sign(2, timeoutSigningBytes(f.domain, 4, 1));
  expectCode(t, () => verifyTimeoutMsg(ctx, { ...to, signature: wrongHqc }), 'BAD_SIGNATURE', 'reject');
});

t.test('quorum certificates', async (t) => {
  const ctx = f.ctx();
  const qc = qcs[1]!;
  expectCode(t, () => verifyQc(ctx, f.qcFor(b2, [0, 1])), 'QC_BELOW_QUORUM', 'reject');
  // A signature of signer 0 copied into signer 1's slot.
  expectCode(
    t,
    () => verifyQc(ctx, { ...qc, signatures: [qc.signatures[0]!, qc.signatures[0]!, qc.signatures[2]!] }),
    'DUPLICATE_SIGNER',
    'reject',
  );
  expectCode(
    t,
    () => verifyQc(ctx, { ...qc, signatures: qc.signatures.slice(0, 2) }),
    'SIGNATURE_COUNT',
    'reject',
  );
  // Swapped signatures: each is valid, but not for its slot.
  expectCode(
    t,
    () => verifyQc(ctx, { ...qc, signatures: [qc.signatures[1]!, qc.signatures[0]!, qc.signatures[2]!] }),
    'BAD_SIGNATURE',
    'reject',
  );
  // A bit past the committee of 4 (bit 5 of the single byte).
  expectCode(
    t,
    () =>
      verifyQc(ctx, {
        ...qc,
        signers: new Uint8Array([0b100111]),
        signatures: [...qc.signatures, qc.signatures[0]!],
      }),
    'UNKNOWN_SIGNER',
    'reject',
  );
  expectCode(t, () => verifyQc(ctx, { ...qc, signers: new Uint8Array([0b111, 0]) }), 'MALFORMED', 'reject');
  // Vote data that no honest validator signs: commit info on non-consecutive rounds.
  const vd = qc.voteData;
  expectCode(t, () => verifyQc(ctx, { ...qc, voteData: { ...vd, commit: null } }), 'INVALID_QC', 'reject');
  expectCode(
    t,
    () => verifyQc(ctx, { ...qc, voteData: { ...vd, block: { ...vd.block, height: 7 } } }),
    'INVALID_QC',
    'reject',
  );
  // Round 0: only the genesis QC itself.
  const fakeGenesis: QuorumCert = {
    ...f.gqc,
    voteData: { ...f.gqc.voteData, block: { ...f.gqc.voteData.block, id: new Uint8Array(32).fill(1) } },
  };
  expectCode(t, () => verifyQc(ctx, fakeGenesis), 'INVALID_QC', 'reject');
  expectCode(
    t,
    () => verifyQc(ctx, { ...f.gqc, signers: new Uint8Array([1]), signatures: [qc.signatures[0]!] }),
    'INVALID_QC',
    'reject',
  );
  // Once verified, a QC is cached; a tampered copy is not.
  verifyQc(ctx, qc);
  expectCode(
    t,
    () => verifyQc(ctx, { ...qc, signatures: [qc.signatures[1]!, qc.signatures[0]!, qc.signatures[2]!] }),
    'BAD_SIGNATURE',
  );
});

t.test('stake, not heads, decides', async (t) => {
  // Member 0 holds 60% of the stake: it and one more hold a quorum; alone, or three small ones, do not.
  const s = new Fixture(4, [60n, 20n, 10n, 10n]);
  const ctx = s.ctx();
  const [c1] = s.chain(1).blocks;
  verifyQc(ctx, s.qcFor(c1!, [0, 1]));
  expectCode(t, () => verifyQc(ctx, s.qcFor(c1!, [1, 2, 3])), 'QC_BELOW_QUORUM', 'reject');
  expectCode(t, () => verifyQc(ctx, s.qcFor(c1!, [0])), 'QC_BELOW_QUORUM', 'reject');
  // Exactly two thirds is not more than two thirds.
  const e = new Fixture(3, [2n, 2n, 2n]);
  const [d1] = e.chain(1).blocks;
  expectCode(t, () => verifyQc(e.ctx(), e.qcFor(d1!, [0, 1])), 'QC_BELOW_QUORUM');
  verifyQc(e.ctx(), e.qcFor(d1!, [0, 1, 2]));
  t.pass();
});

t.test('timeout certificates', async (t) => {
  const ctx = f.ctx();
  const tos = [0, 1, 2].map((i) => f.timeout(i, 4, i === 0 ? qcs[1]! : qcs[2]!));
  const tc = f.tc(4, tos);
  verifyTc(ctx, tc);
  expectCode(t, () => verifyTc(ctx, f.tc(4, tos.slice(0, 2))), 'TC_BELOW_QUORUM', 'reject');
  expectCode(t, () => verifyTc(ctx, { ...tc, highQc: qcs[1]! }), 'INVALID_TC', 'reject');
  expectCode(t, () => verifyTc(ctx, { ...tc, hqcRounds: [1, 3, 2] }), 'BAD_SIGNATURE', 'reject');
  expectCode(t, () => verifyTc(ctx, { ...tc, hqcRounds: [1, 3, 4] }), 'INVALID_TC', 'reject');
  expectCode(t, () => verifyTc(ctx, { ...tc, hqcRounds: [1, 3] }), 'SIGNATURE_COUNT', 'reject');
  expectCode(t, () => verifyTc(ctx, { ...tc, round: 0 }), 'INVALID_TC', 'reject');
  expectCode(
    t,
    () => verifyTc(ctx, { ...tc, signatures: [tc.signatures[0]!, tc.signatures[0]!, tc.signatures[2]!] }),
    'DUPLICATE_SIGNER',
    'reject',
  );
  // A TC whose highQc is forged.
  const badQc = {
    ...qcs[2]!,
    signatures: [qcs[2]!.signatures[1]!, qcs[2]!.signatures[0]!, qcs[2]!.signatures[2]!],
  };
  expectCode(t, () => verifyTc(f.ctx(), { ...tc, highQc: badQc }), 'BAD_SIGNATURE', 'reject');
});

t.test('timeouts', async (t) => {
  const ctx = f.ctx();
  const vote4 = (i: number) => {
    const b4 = f.block({ parent: b3 });
    return f.vote(i, b4);
  };
  verifyTimeoutMsg(ctx, f.timeout(1, 4, qcs[2]!, vote4(1)));
  expectCode(t, () => verifyTimeoutMsg(ctx, f.timeout(1, 4, qcs[2]!, vote4(2))), 'INVALID_TIMEOUT', 'reject');
  expectCode(t, () => verifyTimeoutMsg(ctx, f.timeout(1, 5, qcs[2]!, vote4(1))), 'INVALID_TIMEOUT', 'reject');
  expectCode(t, () => verifyTimeoutMsg(ctx, f.timeout(1, 3, qcs[2]!)), 'INVALID_TIMEOUT', 'reject');
  expectCode(
    t,
    () => verifyTimeoutMsg(ctx, { ...f.timeout(1, 4, qcs[2]!), signer: 9 }),
    'UNKNOWN_SIGNER',
    'reject',
  );
  const tc = f.tc(
    4,
    [0, 1, 2].map((i) => f.timeout(i, 4, qcs[2]!)),
  );
  verifyTimeoutMsg(ctx, { ...f.timeout(1, 5, qcs[2]!), highTc: tc });
  expectCode(
    t,
    () => verifyTimeoutMsg(ctx, { ...f.timeout(1, 4, qcs[2]!), highTc: tc }),
    'INVALID_TIMEOUT',
    'reject',
  );
});

t.test('blocks and proposals', async (t) => {
  const ctx = f.ctx();
  const notLeader = f.block({ parent: b3, proposer: (f.leaders.leader(4) + 1) % 4 });
  expectCode(t, () => verifyProposal(ctx, f.proposal(notLeader)), 'NOT_LEADER', 'reject');
  const badDigest = { ...f.block({ parent: b3 }), payload: new Uint8Array([1, 2, 3]) };
  expectCode(t, () => verifyProposal(ctx, f.proposal(badDigest)), 'PAYLOAD_DIGEST', 'reject');
  const wrongParent = { ...f.block({ parent: b3 }), parentId: blockId(b2) };
  expectCode(t, () => verifyProposal(ctx, f.proposal(wrongParent)), 'INVALID_BLOCK', 'reject');
  const wrongHeight = { ...f.block({ parent: b3 }), height: 9 };
  expectCode(t, () => verifyProposal(ctx, f.proposal(wrongHeight)), 'INVALID_BLOCK', 'reject');
  // A round that skips ahead needs the TC of the round before it, and nothing else.
  const skip = f.block({ parent: b3, round: 6 });
  expectCode(t, () => verifyProposal(ctx, f.proposal(skip)), 'INVALID_BLOCK', 'reject');
  const tc5 = f.tc(
    5,
    [0, 1, 2].map((i) => f.timeout(i, 5, qcs[2]!)),
  );
  verifyProposal(ctx, f.proposal(f.block({ parent: b3, round: 6, tc: tc5 })));
  const tc4 = f.tc(
    4,
    [0, 1, 2].map((i) => f.timeout(i, 4, qcs[2]!)),
  );
  expectCode(
    t,
    () => verifyProposal(ctx, f.proposal(f.block({ parent: b3, round: 6, tc: tc4 }))),
    'INVALID_BLOCK',
    'reject',
  );
  expectCode(
    t,
    () => verifyProposal(ctx, f.proposal(f.block({ parent: b3, tc: tc4 }))),
    'INVALID_BLOCK',
    'reject',
  );
  // From the future beyond the clock bound: ignored (it may be our clock).
  expectCode(
    t,
    () => verifyProposal(ctx, f.proposal(b3), { now: b3.timestamp - 501, maxClockSkewMs: 500 }),
    'BAD_TIMESTAMP',
    'ignore',
  );
  // highCommitQc must commit something and be valid.
  const noCommit = f.qcFor(f.block({ parent: b3, round: 6, tc: tc5 }));
  expectCode(t, () => verifyProposal(ctx, f.proposal(b3, b3.proposer, noCommit)), 'INVALID_QC', 'reject');
  verifyProposal(ctx, f.proposal(b3, b3.proposer, qcs[1]!));
  // An invalid QC inside a block.
  expectCode(
    t,
    () => verifyProposal(ctx, f.proposal(f.block({ parent: b3, qc: f.qcFor(b3, [0, 1]) }))),
    'QC_BELOW_QUORUM',
    'reject',
  );
});

t.test('malformed and oversized messages', async (t) => {
  const good = prop();
  // Types: a number where bytes belong, a signature too long, a missing field.
  const p = (good as { value: { signature: Uint8Array } }).value;
  expectCode(
    t,
    () => checkShape({ type: 'proposal', value: { ...p, signature: 5 } } as unknown as ConsensusMessage),
    'MALFORMED',
    'reject',
  );
  expectCode(
    t,
    () =>
      checkShape({
        type: 'proposal',
        value: { ...p, signature: new Uint8Array(129) },
      } as unknown as ConsensusMessage),
    'OVERSIZED',
    'reject',
  );
  expectCode(
    t,
    () =>
      checkShape({
        type: 'vote',
        value: { ...f.vote(0, b1), epoch: undefined },
      } as unknown as ConsensusMessage),
    'MALFORMED',
    'reject',
  );
  expectCode(
    t,
    () => checkShape({ type: 'nonsense', value: 1 } as unknown as ConsensusMessage),
    'MALFORMED',
    'reject',
  );
  const big = f.block({ parent: b3, payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) });
  expectCode(t, () => checkShape({ type: 'proposal', value: f.proposal(big) }), 'OVERSIZED', 'reject');
  expectCode(
    t,
    () => verifyMessage(f.ctx(), { type: 'proposal', value: f.proposal(big) }, null),
    'OVERSIZED',
    'reject',
  );
  // Bytes: garbage, trailing bytes, too many bytes.
  expectCode(t, () => decodeConsensusMessage(new Uint8Array([0xc1, 0x00])), 'MALFORMED', 'reject');
  const bytes = encodeConsensusMessage(good);
  expectCode(t, () => decodeConsensusMessage(new Uint8Array([...bytes, 0])), 'MALFORMED', 'reject');
  expectCode(t, () => decodeConsensusMessage(new Uint8Array(MAX_MESSAGE_BYTES + 1)), 'OVERSIZED', 'reject');
  t.same(decodeConsensusMessage(bytes), good, 'a good message round-trips');
});
