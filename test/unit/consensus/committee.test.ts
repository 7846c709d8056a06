/** ValidatorSet: bitmaps, stake quorums for any size and skew, the quorumByHeads mutation. */
import t from 'tap';
import fc from 'fast-check';
import { ValidatorSet, MAX_COMMITTEE_SIZE } from '../../../consensus/committee.js';
import { ConsensusError } from '../../../consensus/errors.js';
import type { CommitteeMember } from '../../../consensus/types.js';

const member = (i: number, stake: bigint): CommitteeMember => {
  const publicKey = new Uint8Array(32).fill(1);
  publicKey[0] = i & 0xff;
  publicKey[1] = i >> 8;
  return { publicKey, stake };
};
const committee = (stakes: readonly bigint[]) => stakes.map((s, i) => member(i, s));

function code(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof ConsensusError ? err.code : `not a ConsensusError: ${String(err)}`;
  }
}

t.test('bitmaps are LSB-first, exactly ceil(n/8) bytes, padding zero', async (t) => {
  const vs = new ValidatorSet(committee(Array(10).fill(1n)));
  t.equal(vs.bitmapLength, 2);
  t.same([...vs.makeBitmap([0, 3, 9])], [0b00001001, 0b00000010]);
  t.same(vs.signersOf(new Uint8Array([0b10000001, 0b01])), [0, 7, 8]);
  t.equal(
    code(() => vs.signersOf(new Uint8Array([1]))),
    'MALFORMED',
    'too short',
  );
  t.equal(
    code(() => vs.signersOf(new Uint8Array([1, 0, 0]))),
    'MALFORMED',
    'too long',
  );
  t.equal(
    code(() => vs.signersOf(new Uint8Array([0, 0b100]))),
    'UNKNOWN_SIGNER',
    'bit 10 of a committee of 10',
  );
  t.equal(
    code(() => vs.makeBitmap([10])),
    'UNKNOWN_SIGNER',
  );
  t.equal(vs.indexOf(member(3, 1n).publicKey), 3);
  t.equal(vs.indexOf(member(99, 1n).publicKey), -1);
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 70 })
        .chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.nat({ max: n - 1 })))),
      ([n, idx]) => {
        const v = new ValidatorSet(committee(Array(n).fill(1n)));
        const sorted = [...idx].sort((a, b) => a - b);
        return JSON.stringify(v.signersOf(v.makeBitmap(idx))) === JSON.stringify(sorted);
      },
    ),
    { numRuns: 200, seed: 1 },
  );
});

t.test('a quorum is more than two thirds of the stake; f+1 more than one third', async (t) => {
  const four = new ValidatorSet(committee([1n, 1n, 1n, 1n]));
  t.notOk(four.hasQuorum([0, 1]));
  t.ok(four.hasQuorum([0, 1, 2]));
  t.notOk(four.exceedsOneThird([0]));
  t.ok(four.exceedsOneThird([0, 1]));
  t.ok(four.hasQuorum([0, 1, 2, 2, 2].slice(0, 3)), 'distinct signers');
  t.notOk(four.hasQuorum([0, 0, 0, 1]), 'duplicates are counted once');
  // Skewed: one whale at 80%.
  const whale = new ValidatorSet(committee([80n, 10n, 5n, 5n]));
  t.ok(whale.hasQuorum([0]), 'the whale alone holds a quorum');
  t.notOk(whale.hasQuorum([1, 2, 3]), 'everyone else does not');
  t.ok(whale.exceedsOneThird([0]));
  t.notOk(whale.exceedsOneThird([1, 2, 3]));
  // n = 3f + 2 and exactly two thirds.
  const five = new ValidatorSet(committee([3n, 3n, 3n, 3n, 3n]));
  t.notOk(five.hasQuorum([0, 1, 2]), '9 of 15 is not more than two thirds');
  t.ok(five.hasQuorum([0, 1, 2, 3]));
  const six = new ValidatorSet(committee([1n, 1n, 1n, 1n, 1n, 1n]));
  t.notOk(six.hasQuorum([0, 1, 2, 3]), 'exactly two thirds is no quorum');
  // Huge stakes stay exact.
  const big = new ValidatorSet(committee([10n ** 30n, 10n ** 30n, 10n ** 30n + 1n]));
  t.ok(big.hasQuorum([0, 1, 2]));
  t.notOk(big.hasQuorum([0, 1]));
  t.equal(big.totalStake, 3n * 10n ** 30n + 1n);
});

t.test('any two quorums intersect in more than a third of the stake (random committees)', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.bigInt({ min: 1n, max: 10n ** 20n }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      (stakes, a, b) => {
        const vs = new ValidatorSet(committee(stakes));
        const A = stakes.map((_, i) => i).filter((i) => a[i]);
        const B = stakes.map((_, i) => i).filter((i) => b[i]);
        if (!vs.hasQuorum(A) || !vs.hasQuorum(B)) return true;
        return vs.exceedsOneThird(A.filter((i) => B.includes(i)));
      },
    ),
    { numRuns: 500, seed: 2 },
  );
  t.pass();
});

t.test('mutation quorumByHeads counts heads', async (t) => {
  const stakes = [80n, 10n, 5n, 5n];
  const heads = new ValidatorSet(committee(stakes), { quorumByHeads: true });
  t.ok(heads.hasQuorum([1, 2, 3]), 'three small members make a quorum by heads');
  t.notOk(heads.hasQuorum([0]), 'the whale alone does not');
});

t.test('bad committees are refused', async (t) => {
  t.equal(
    code(() => new ValidatorSet([])),
    'BAD_COMMITTEE',
  );
  t.equal(
    code(() => new ValidatorSet(committee([1n, 0n]))),
    'BAD_COMMITTEE',
  );
  t.equal(
    code(() => new ValidatorSet(committee([1n, -1n]))),
    'BAD_COMMITTEE',
  );
  t.equal(
    code(() => new ValidatorSet([member(0, 1n), member(0, 2n)])),
    'BAD_COMMITTEE',
    'shared key',
  );
  t.equal(
    code(() => new ValidatorSet(committee(Array(MAX_COMMITTEE_SIZE + 1).fill(1n)))),
    'BAD_COMMITTEE',
  );
  t.equal(
    code(() => new ValidatorSet([{ publicKey: new Uint8Array(32), stake: 1 as unknown as bigint }])),
    'BAD_COMMITTEE',
    'stake must be a bigint',
  );
  t.equal(
    new ValidatorSet(committee(Array(MAX_COMMITTEE_SIZE).fill(1n))).bitmapLength,
    MAX_COMMITTEE_SIZE / 8,
  );
});
