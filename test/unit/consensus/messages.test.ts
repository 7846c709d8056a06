/**
 * Property tests of the consensus codecs: decode(encode(x)) = x, one
 * encoding per value, mutated bytes either rejected with a typed error or
 * decoded to a value that re-encodes to exactly those bytes; the block id
 * covers the header and not the payload bytes.
 */
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { decode, encode } from '../../../core/codec.js';
import { equalBytes } from '../../../core/bytes.js';
import { ConsensusError } from '../../../consensus/errors.js';
import {
  BLOCK_VERSION,
  MAX_FETCH_BLOCKS,
  SafetyDataCodec,
  blockId,
  decodeConsensusMessage,
  encodeConsensusMessage,
} from '../../../consensus/messages.js';
import type {
  Block,
  BlockInfo,
  ConsensusMessage,
  Proposal,
  QuorumCert,
  SafetyData,
  TimeoutCert,
  TimeoutMsg,
  Vote,
  VoteData,
} from '../../../consensus/types.js';

/** fast-check records have a null prototype; compare values as plain data. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
const same = (a: unknown, b: unknown): boolean => isDeepStrictEqual(plain(a), plain(b));

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const nat = fc.maxSafeNat();
const sig = bytes(80);

const blockInfoArb: fc.Arbitrary<BlockInfo> = fc.record({ id: b32, round: nat, height: nat });
const voteDataArb: fc.Arbitrary<VoteData> = fc.record({
  block: blockInfoArb,
  parent: blockInfoArb,
  commit: fc.option(blockInfoArb, { nil: null }),
});
const qcArb: fc.Arbitrary<QuorumCert> = fc.record({
  voteData: voteDataArb,
  signers: bytes(16),
  signatures: fc.array(sig, { maxLength: 5 }),
});
const tcArb: fc.Arbitrary<TimeoutCert> = fc.record({
  round: nat,
  signers: bytes(16),
  hqcRounds: fc.array(nat, { maxLength: 5 }),
  signatures: fc.array(sig, { maxLength: 5 }),
  highQc: qcArb,
});
const blockArb: fc.Arbitrary<Block> = fc.record({
  version: fc.constant(BLOCK_VERSION),
  chainId: nat,
  committeeId: fc.nat({ max: 0xffffffff }),
  epoch: nat,
  round: nat,
  height: nat,
  parentId: b32,
  proposer: fc.nat({ max: 0xffff }),
  timestamp: nat,
  payloadDigest: b32,
  payload: bytes(64),
  qc: qcArb,
  tc: fc.option(tcArb, { nil: null }),
});
const voteArb: fc.Arbitrary<Vote> = fc.record({
  voteData: voteDataArb,
  epoch: nat,
  signer: fc.nat({ max: 0xffff }),
  signature: sig,
});
const timeoutArb: fc.Arbitrary<TimeoutMsg> = fc.record({
  epoch: nat,
  round: nat,
  highQc: qcArb,
  signer: fc.nat({ max: 0xffff }),
  signature: sig,
  lastVote: fc.option(voteArb, { nil: null }),
  highTc: fc.option(tcArb, { nil: null }),
});
const proposalArb: fc.Arbitrary<Proposal> = fc.record({
  block: blockArb,
  signature: sig,
  highCommitQc: fc.option(qcArb, { nil: null }),
});
const messageArb: fc.Arbitrary<ConsensusMessage> = fc.oneof(
  proposalArb.map((value) => ({ type: 'proposal' as const, value })),
  voteArb.map((value) => ({ type: 'vote' as const, value })),
  timeoutArb.map((value) => ({ type: 'timeout' as const, value })),
  fc
    .record({ blockId: b32, count: fc.integer({ min: 1, max: MAX_FETCH_BLOCKS }) })
    .map((value) => ({ type: 'blockRequest' as const, value })),
  fc
    .array(blockArb, { maxLength: 2 })
    .map((blocks) => ({ type: 'blockResponse' as const, value: { blocks } })),
);
const safetyArb: fc.Arbitrary<SafetyData> = fc.record({
  epoch: nat,
  lastVotedRound: nat,
  oneChainRound: nat,
  lastVote: fc.option(voteArb, { nil: null }),
  highestTimeoutRound: nat,
  lastTimeout: fc.option(timeoutArb, { nil: null }),
  proposalRound: nat,
});

t.test('decode(encode(x)) = x for every message', async (t) => {
  fc.assert(
    fc.property(messageArb, (m) => {
      const enc = encodeConsensusMessage(m);
      const dec = decodeConsensusMessage(enc);
      return same(dec, m) && equalBytes(encodeConsensusMessage(dec), enc);
    }),
    { numRuns: 400, seed: 7 },
  );
  fc.assert(
    fc.property(safetyArb, (d) => same(decode(SafetyDataCodec, encode(SafetyDataCodec, d)), d)),
    { numRuns: 200, seed: 8 },
  );
  t.pass();
});

t.test('mutated bytes are rejected with a typed error or re-encode to themselves', async (t) => {
  let rejected = 0;
  let accepted = 0;
  fc.assert(
    fc.property(
      messageArb,
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      fc.constantFrom('flip', 'truncate', 'append', 'insert'),
      (m, pos, x, how) => {
        const enc = encodeConsensusMessage(m);
        const i = pos % enc.length;
        let mutated: Uint8Array;
        if (how === 'flip') {
          mutated = new Uint8Array(enc);
          mutated[i]! ^= x;
        } else if (how === 'truncate') mutated = enc.slice(0, i);
        else if (how === 'append') mutated = new Uint8Array([...enc, x]);
        else mutated = new Uint8Array([...enc.slice(0, i), x, ...enc.slice(i)]);
        try {
          const dec = decodeConsensusMessage(mutated);
          accepted++;
          return equalBytes(encodeConsensusMessage(dec), mutated);
        } catch (err) {
          rejected++;
          return err instanceof ConsensusError && (err.code === 'MALFORMED' || err.code === 'OVERSIZED');
        }
      },
    ),
    { numRuns: 1500, seed: 9 },
  );
  t.ok(rejected > 500, `${rejected} mutations rejected, ${accepted} decoded to another canonical value`);
});

t.test('values outside the schema do not encode', async (t) => {
  const bad = [
    { type: 'vote', value: { voteData: null, epoch: 1, signer: 0, signature: new Uint8Array(64) } },
    {
      type: 'vote',
      value: {
        voteData: {
          block: { id: new Uint8Array(31), round: 1, height: 1 },
          parent: { id: new Uint8Array(32), round: 0, height: 0 },
          commit: null,
        },
        epoch: 1,
        signer: 0,
        signature: new Uint8Array(64),
      },
    },
    { type: 'blockRequest', value: { blockId: new Uint8Array(32), count: 0 } },
    { type: 'blockRequest', value: { blockId: new Uint8Array(32), count: MAX_FETCH_BLOCKS + 1 } },
    {
      type: 'vote',
      value: {
        voteData: {
          block: { id: new Uint8Array(32), round: -1, height: 1 },
          parent: { id: new Uint8Array(32), round: 0, height: 0 },
          commit: null,
        },
        epoch: 1,
        signer: 0,
        signature: new Uint8Array(64),
      },
    },
    {
      type: 'vote',
      value: {
        voteData: {
          block: { id: new Uint8Array(32), round: 1.5, height: 1 },
          parent: { id: new Uint8Array(32), round: 0, height: 0 },
          commit: null,
        },
        epoch: 1,
        signer: 0,
        signature: new Uint8Array(64),
      },
    },
  ];
  for (const m of bad) {
    try {
      encodeConsensusMessage(m as unknown as ConsensusMessage);
      t.fail('encoded a value outside the schema');
    } catch (err) {
      t.ok(err instanceof ConsensusError && err.code === 'MALFORMED', (err as Error).message);
    }
  }
  const [sample] = fc.sample(blockArb, { numRuns: 1, seed: 3 });
  t.throws(
    () =>
      encodeConsensusMessage({
        type: 'proposal',
        value: { block: { ...sample!, version: 2 }, signature: new Uint8Array(64), highCommitQc: null },
      }),
    { code: 'MALFORMED' },
  );
});

t.test('the block id hashes the header, not the payload bytes', async (t) => {
  fc.assert(
    fc.property(blockArb, bytes(64), (b, payload) => {
      const id = blockId(b);
      const samePayloadDigest = { ...b, payload };
      const moved = { ...b, round: b.round === 0 ? 1 : b.round - 1 };
      const otherDigest = { ...b, payloadDigest: new Uint8Array(32).fill(b.payloadDigest[0]! ^ 1) };
      return (
        id.length === 32 &&
        equalBytes(blockId({ ...b }), id) &&
        equalBytes(blockId(samePayloadDigest), id) &&
        !equalBytes(blockId(moved), id) &&
        !equalBytes(blockId(otherDigest), id)
      );
    }),
    { numRuns: 200, seed: 10 },
  );
  t.pass();
});
