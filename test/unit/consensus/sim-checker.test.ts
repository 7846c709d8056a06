/**
 * The simulator's checker on hand-made committed chains (real blocks, real
 * QCs signed with the simulator's test scheme): it must flag forks,
 * diverging histories, broken chains and invalid commit certificates, and
 * measure liveness gaps; a consistent history passes.
 */
import t from 'tap';
import { ValidatorSet } from '../../../consensus/committee.js';
import { genesisQc, makeGenesisBlock } from '../../../consensus/engine.js';
import { blockId } from '../../../consensus/messages.js';
import type { Block, QuorumCert } from '../../../consensus/types.js';
import { certificateVerifier } from '../../../consensus/sim/certificate.js';
import { checkLiveness, checkSafety, type NodeHistory } from '../../../consensus/sim/checker.js';
import { simPayloadDigest, type CommitRecord } from '../../../consensus/sim/executor.js';
import { Forger, assembleQc, parentRef } from '../../../consensus/sim/forge.js';
import { TestScheme } from '../../../consensus/sim/schemes.js';

const scheme = new TestScheme();
const keys = [0, 1, 2, 3].map((i) => scheme.key(i));
const committee = keys.map((k) => ({ publicKey: k.publicKey, stake: 1n }));
const domain = { chainId: 7, committeeId: 0, epoch: 1 };
const genesis = makeGenesisBlock(domain, new Uint8Array([1]), simPayloadDigest(new Uint8Array([1])), 1_000);
const gqc = genesisQc(genesis);
const forger = new Forger(domain, scheme, new Map(keys.map((k, i) => [i, k.secret])));
const validators = new ValidatorSet(committee);
const verify = certificateVerifier(domain, committee, scheme, gqc);

/** A block of `round` on `parent` (certified by `qc`); `salt` makes siblings differ. */
function block(parent: Block, qc: QuorumCert, round: number, salt = 0): Block {
  return forger.block(
    round % 4,
    round,
    parentRef(parent),
    qc,
    null,
    1_000 + round * 10,
    new Uint8Array([round, salt, 9, 9]),
  );
}

/** A QC over `b` signed by `signers`. */
function qcOf(b: Block, signers: number[] = [0, 1, 2]): QuorumCert {
  const vd = Forger.voteData(b);
  return assembleQc(validators, vd, new Map(signers.map((s) => [s, forger.vote(s, vd).signature])));
}

/** A commit of `blocks` (oldest first) with `qc`, at virtual time `at` and round clock `round`. */
function commit(blocks: Block[], qc: QuorumCert, at = 0, round = 0): CommitRecord {
  return {
    at,
    round,
    blocks: blocks.map((b) => ({ id: blockId(b), parentId: b.parentId, height: b.height, round: b.round })),
    commitQc: qc,
  };
}

const history = (name: string, commits: CommitRecord[], finalRound = 0): NodeHistory => ({
  name,
  commits,
  finalRound,
});

// g <- b1 (r1) <- b2 (r2) <- b3 (r3) <- b4 (r4), each certified; QC(b[k+1]) commits b[k].
const b1 = block(genesis, gqc, 1);
const q1 = qcOf(b1);
const b2 = block(b1, q1, 2);
const q2 = qcOf(b2);
const b3 = block(b2, q2, 3);
const q3 = qcOf(b3);
const b4 = block(b3, q3, 4);
const q4 = qcOf(b4);
// A sibling of b1 and its child: another history.
const c1 = block(genesis, gqc, 1, 1);
const qc1 = qcOf(c1);
const c2 = block(c1, qc1, 2, 1);
const qc2 = qcOf(c2);
const c3 = block(c2, qc2, 3, 1);
const qc3 = qcOf(c3);

t.test('a consistent history passes, also when one node lags or commits in other batches', async (t) => {
  const a = history('a', [commit([b1], q2), commit([b2, b3], q4)]);
  const b = history('b', [commit([b1, b2], q3)]);
  t.same(checkSafety([a, b], verify), []);
});

t.test('two blocks committed at one height are a fork', async (t) => {
  const a = history('a', [commit([b1], q2)]);
  const b = history('b', [commit([c1], qc2)]);
  const v = checkSafety([a, b], verify);
  t.equal(v.length, 1);
  t.equal(v[0]!.kind, 'fork');
  t.equal(v[0]!.height, 1);
  t.same([...v[0]!.nodes].sort(), ['a', 'b']);
});

t.test('one node committing two blocks at one height (e.g. across a restart) is a fork too', async (t) => {
  const a = history('a', [commit([b1], q2), commit([c1], qc2)]);
  t.same(
    checkSafety([a], verify).map((v) => v.kind),
    ['fork'],
  );
});

t.test('a block extending another history than the committed one is flagged', async (t) => {
  // a commits b1 at height 1; b commits c2 at height 2, whose parent c1 nobody committed.
  const a = history('a', [commit([b1], q2)]);
  const b = history('b', [commit([c2], qc3)]);
  const v = checkSafety([a, b], verify);
  t.same(
    v.map((x) => x.kind),
    ['diverging-history'],
  );
  t.equal(v[0]!.height, 2);
});

t.test('a commit whose blocks do not link up is a broken chain', async (t) => {
  const a = history('a', [commit([b1, b3], q4)]);
  t.ok(checkSafety([a], verify).some((v) => v.kind === 'broken-chain'));
});

t.test(
  'commit certificates must certify the commit: 2-chain, quorum by stake, valid signatures',
  async (t) => {
    // The QC of b2 commits b1; committing b2 with it is a 1-chain commit.
    t.same(
      checkSafety([history('a', [commit([b1, b2], q2)])], verify).map((v) => v.kind),
      ['bad-certificate'],
    );
    // Two of four signers are no quorum.
    t.same(
      checkSafety([history('a', [commit([b1], qcOf(b2, [0, 1]))])], verify).map((v) => v.kind),
      ['bad-certificate'],
    );
    // A signature that does not verify.
    const forged: QuorumCert = {
      ...q2,
      signatures: q2.signatures.map((s, i) => (i === 1 ? new Uint8Array(s).fill(7) : s)),
    };
    const v = checkSafety([history('a', [commit([b1], forged)])], verify);
    t.equal(v[0]?.kind, 'bad-certificate');
    t.match(v[0]!.detail, /validator 1 does not verify/);
    // Skewed stakes: three heads of five without two thirds of the stake.
    const skewed = committee.map((m, i) => ({ ...m, stake: i === 3 ? 10n : 1n }));
    const skewedVerify = certificateVerifier(domain, skewed, scheme, gqc);
    t.match(
      checkSafety([history('a', [commit([b1], q2)])], skewedVerify)[0]?.detail ?? '',
      /not more than two thirds/,
    );
  },
);

t.test('liveness: gaps after GST on the round clock, against the bound', async (t) => {
  const ok = history(
    'a',
    [commit([b1], q2, 100, 5), commit([b2], q3, 300, 12), commit([b3], q4, 400, 16)],
    18,
  );
  const r = checkLiveness([ok], { gstAt: 200, gstRound: 10, boundRounds: 7 });
  t.same(r.failures, []);
  t.equal(r.maxGapRounds, 4); // 12 - 10, 16 - 12, 18 - 16

  const slow = history('b', [commit([b1], q2, 300, 12), commit([b2], q3, 900, 25)], 26);
  const s = checkLiveness([slow], { gstAt: 200, gstRound: 10, boundRounds: 7 });
  t.equal(s.failures.length, 1);
  t.equal(s.maxGapRounds, 13);

  const stuck = history('c', [commit([b1], q2, 100, 5)], 40);
  const n = checkLiveness([stuck], { gstAt: 200, gstRound: 10, boundRounds: 7 });
  t.match(n.failures[0]?.detail ?? '', /committed nothing after GST/);
});
