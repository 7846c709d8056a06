/**
 * The TypeScript side of checkpoints without a chain: the committee encoding and hash, the EIP-712 hash and
 * digest (checked against a hand-written encoding), JSON round trips, the signer's one-checkpoint-per-sequence
 * rule, assembling signatures (order, duplicates, wrong signers, the two-thirds rule as a property), compact
 * signatures, and the deposit hash chain.
 */
import t from 'tap';
import fc from 'fast-check';
import {
  concat,
  encodeAbiParameters,
  keccak256,
  recoverTypedDataAddress,
  sha256,
  toHex,
  zeroHash,
  type Hex,
} from 'viem';
import {
  buildCheckpoint,
  checkpointDigest,
  checkpointFromJson,
  checkpointHash,
  checkpointToJson,
  CHECKPOINT_TYPES,
  EMPTY_WITHDRAWALS_ROOT,
  eip712Domain,
  type BridgeDomain,
  type Checkpoint,
} from '../../../bridge/checkpoint.js';
import { makeCommittee, memberWord } from '../../../bridge/committee.js';
import { depositChainHash, nextDepositHash } from '../../../bridge/deposits.js';
import { devCommittee, signByMembers } from '../../../bridge/devnet.js';
import { assembleSubmission, CheckpointSigner, compactSignature } from '../../../bridge/signatures.js';
import { isQuorum } from '../../../core/quorum.js';

const domain: BridgeDomain = { l1ChainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
const cp: Checkpoint = buildCheckpoint({
  chainId: 7n,
  sequence: 3n,
  epoch: 2n,
  beaconHeightFrom: 65n,
  beaconHeightTo: 96n,
  previousCheckpoint: `0x${'01'.repeat(32)}`,
  beaconBlockHash: `0x${'02'.repeat(32)}`,
  withdrawals: { root: `0x${'03'.repeat(32)}`, count: 12 },
  deposits: { nonce: 5n, hash: `0x${'04'.repeat(32)}` },
});

t.test('committee: ascending addresses, one word per member, keccak of the words', async (t) => {
  const members = [
    { address: '0x00000000000000000000000000000000000000ff', stake: 5n },
    { address: '0x0000000000000000000000000000000000000001', stake: 7n },
  ];
  const c = makeCommittee(members);
  t.same(
    c.members.map((m) => m.stake),
    [7n, 5n],
    'sorted by address',
  );
  t.equal(c.words[0], `0x${'00'.repeat(19)}01${'00'.repeat(11)}07`);
  t.equal(memberWord(c.members[1]!), `0x${'00'.repeat(19)}ff${'00'.repeat(11)}05`);
  t.equal(c.hash, keccak256(concat(c.words)));
  t.equal(c.totalStake, 12n);
  t.throws(() => makeCommittee([...members, members[0]!]), { code: 'BAD_COMMITTEE' }, 'duplicate');
  t.throws(
    () => makeCommittee([{ address: '0x' + '00'.repeat(20), stake: 1n }]),
    { code: 'BAD_COMMITTEE' },
    'zero address',
  );
  t.throws(
    () => makeCommittee([{ address: members[0]!.address, stake: 1n << 96n }]),
    { code: 'BAD_COMMITTEE' },
    'stake beyond 96 bits',
  );
  t.throws(
    () => makeCommittee([{ address: members[0]!.address, stake: 0n }]),
    { code: 'BAD_COMMITTEE' },
    'no stake',
  );
  t.throws(() => makeCommittee([]), { code: 'BAD_COMMITTEE' });
  t.throws(() => makeCommittee([{ address: '0xnothex', stake: 1n }]), { code: 'BAD_COMMITTEE' });
});

t.test('checkpoint hash is the EIP-712 struct hash; the digest binds chain and contract', async (t) => {
  const typeString =
    'Checkpoint(uint64 chainId,uint64 sequence,uint64 epoch,uint64 beaconHeightFrom,uint64 beaconHeightTo,' +
    'bytes32 previousCheckpoint,bytes32 beaconBlockHash,bytes32 withdrawalsRoot,uint64 withdrawalsCount,' +
    'uint64 depositNonce,bytes32 depositHash,bytes32 nextCommitteeHash,bool unpause)';
  const u = { type: 'uint64' } as const;
  const b = { type: 'bytes32' } as const;
  const manual = keccak256(
    encodeAbiParameters(
      [b, u, u, u, u, u, b, b, b, u, u, b, b, { type: 'bool' }],
      [
        keccak256(toHex(typeString)),
        cp.chainId,
        cp.sequence,
        cp.epoch,
        cp.beaconHeightFrom,
        cp.beaconHeightTo,
        cp.previousCheckpoint,
        cp.beaconBlockHash,
        cp.withdrawalsRoot,
        cp.withdrawalsCount,
        cp.depositNonce,
        cp.depositHash,
        cp.nextCommitteeHash,
        cp.unpause,
      ],
    ),
  );
  t.equal(checkpointHash(cp), manual);
  const d = checkpointDigest(cp, domain);
  t.not(d, checkpointDigest(cp, { ...domain, l1ChainId: 1 }));
  t.not(d, checkpointDigest(cp, { ...domain, contract: '0x000000000000000000000000000000000000dEaD' }));
  t.not(checkpointHash(cp), checkpointHash({ ...cp, unpause: true }));
  t.not(checkpointHash(cp), checkpointHash({ ...cp, nextCommitteeHash: `0x${'05'.repeat(32)}` }));
});

t.test('checkpoints: building, validation, JSON', async (t) => {
  t.same(checkpointFromJson(JSON.parse(JSON.stringify(checkpointToJson(cp)))), cp, 'round trip');
  t.equal(checkpointToJson(cp).sequence, '3');
  t.throws(() => checkpointFromJson({ ...checkpointToJson(cp), sequence: '-1' }), { code: 'BAD_CHECKPOINT' });
  t.throws(() => checkpointFromJson({ ...checkpointToJson(cp), withdrawalsRoot: undefined }), {
    code: 'BAD_CHECKPOINT',
  });
  t.throws(() => checkpointFromJson({ ...checkpointToJson(cp), depositHash: '0x1234' }), {
    code: 'BAD_CHECKPOINT',
  });
  t.throws(() => checkpointHash({ ...cp, epoch: 1n << 64n }), { code: 'BAD_CHECKPOINT' });
  const base = {
    ...cp,
    withdrawals: { root: EMPTY_WITHDRAWALS_ROOT, count: 0 },
    deposits: { nonce: 0n, hash: zeroHash },
  };
  t.equal(buildCheckpoint(base).withdrawalsCount, 0n);
  t.throws(() => buildCheckpoint({ ...base, withdrawals: { root: EMPTY_WITHDRAWALS_ROOT, count: 1 } }), {
    code: 'BAD_CHECKPOINT',
  });
  t.throws(() => buildCheckpoint({ ...base, withdrawals: { root: zeroHash, count: 0 } }), {
    code: 'BAD_CHECKPOINT',
  });
  t.throws(() => buildCheckpoint({ ...base, beaconHeightFrom: 9n, beaconHeightTo: 8n }), {
    code: 'BAD_CHECKPOINT',
  });
});

t.test('a signer signs one checkpoint per sequence number, and the signature recovers', async (t) => {
  const dev = devCommittee([1n, 1n, 1n, 1n], 'unit');
  const signer = new CheckpointSigner(dev.keys[0]!, domain);
  const s = await signer.sign(cp);
  t.equal(
    await recoverTypedDataAddress({
      domain: eip712Domain(domain),
      types: CHECKPOINT_TYPES,
      primaryType: 'Checkpoint',
      message: cp,
      signature: s.signature,
    }),
    signer.address,
  );
  t.same(await signer.sign(cp), s, 'the same checkpoint again: the same signature');
  await t.rejects(
    signer.sign({ ...cp, beaconBlockHash: zeroHash }),
    { code: 'BAD_CHECKPOINT' },
    'never two checkpoints with one sequence',
  );
  t.ok(await signer.sign({ ...cp, sequence: 4n }));
});

t.test(
  'assembling: ascending indices, duplicates dropped, foreign signatures refused, quorum by stake',
  async (t) => {
    const dev = devCommittee([10n, 20n, 30n, 40n], 'assemble');
    const at = (stake: bigint) => dev.committee.members.findIndex((m) => m.stake === stake);
    const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
    const sigs = await signByMembers(dev, cp, domain, [at(40n), at(20n), at(30n), at(20n)]);
    const sub = await assembleSubmission(dev.committee, cp, domain, sigs);
    t.same(
      sub.signers,
      sorted([at(20n), at(30n), at(40n)]),
      'ascending committee indices, the duplicate once',
    );
    t.equal(sub.signedStake, 90n);
    t.equal((sub.signatures.length - 2) / 2, 3 * 66, 'three packed entries of 66 bytes');
    t.equal(
      sub.signatures.slice(2, 6),
      sub.signers[0]!.toString(16).padStart(4, '0'),
      'the first index, big-endian',
    );
    t.equal(sub.members, dev.committee.words);
    const everyone = await signByMembers(dev, cp, domain, [0, 1, 2, 3]);
    const trimmed = await assembleSubmission(dev.committee, cp, domain, everyone, { trimToQuorum: true });
    t.same(
      trimmed.signers,
      sorted([at(40n), at(30n)]),
      'the largest stakes until the quorum: 3 * 70 > 2 * 100',
    );
    await t.rejects(
      assembleSubmission(dev.committee, cp, domain, await signByMembers(dev, cp, domain, [at(10n), at(40n)])),
      { code: 'NO_QUORUM' },
      '50 of 100 is not a quorum',
    );
    const otherDomain = await signByMembers(dev, cp, { ...domain, l1ChainId: 5 }, [0]);
    await t.rejects(assembleSubmission(dev.committee, cp, domain, otherDomain), { code: 'BAD_SIGNATURE' });
    const outsider = devCommittee([1n], 'outsider');
    await t.rejects(
      assembleSubmission(dev.committee, cp, domain, await signByMembers(outsider, cp, domain, [0])),
      { code: 'BAD_SIGNATURE' },
    );
  },
);

t.test('the quorum rule of assembly is 3 * signed > 2 * total, for any stakes and subsets', async (t) => {
  const dev = devCommittee([1n, 2n, 3n, 5n, 8n, 13n], 'prop');
  const all = await signByMembers(dev, cp, domain, [0, 1, 2, 3, 4, 5]);
  await fc.assert(
    fc.asyncProperty(fc.subarray([0, 1, 2, 3, 4, 5], { minLength: 1 }), async (subset) => {
      const stake = subset.reduce((s, i) => s + dev.committee.members[i]!.stake, 0n);
      const ok = await assembleSubmission(
        dev.committee,
        cp,
        domain,
        subset.map((i) => all[i]!),
      ).then(
        () => true,
        () => false,
      );
      return ok === isQuorum(stake, 32n);
    }),
    { numRuns: 60 },
  );
  t.pass('property held');
});

t.test('compact signatures keep s in the lower half', async (t) => {
  const dev = devCommittee([1n], 'compact');
  const [s] = await signByMembers(dev, cp, domain, [0]);
  const c = compactSignature(s!.signature);
  t.equal(c.r, s!.signature.slice(0, 66));
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const low = BigInt(`0x${s!.signature.slice(66, 130)}`);
  const v = parseInt(s!.signature.slice(130), 16);
  const high =
    `${s!.signature.slice(0, 66)}${(n - low).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
  t.same(compactSignature(high), c, 'the malleable twin normalises to the same compact form');
  t.throws(() => compactSignature('0x1234'), { code: 'BAD_SIGNATURE' });
});

t.test(
  'the deposit hash chain: h[n] = sha256(h[n-1] || abi.encode(n, token, sender, recipient, amount))',
  async (t) => {
    const d = {
      nonce: 1n,
      token: '0x0000000000000000000000000000000000000000' as const,
      sender: '0x00000000000000000000000000000000000000aa' as const,
      recipient: `0x${'bb'.repeat(20)}` as Hex,
      amount: 5n,
    };
    const expected = sha256(
      concat([
        zeroHash,
        `0x${1n.toString(16).padStart(64, '0')}`,
        `0x${'00'.repeat(32)}`,
        `0x${'00'.repeat(31)}aa`,
        `0x${'bb'.repeat(20)}${'00'.repeat(12)}`,
        `0x${5n.toString(16).padStart(64, '0')}`,
      ]),
    );
    t.equal(nextDepositHash(zeroHash, d), expected, 'bytes20 is left-aligned in abi.encode');
    t.equal(depositChainHash([d, { ...d, nonce: 2n }]), nextDepositHash(expected, { ...d, nonce: 2n }));
  },
);
