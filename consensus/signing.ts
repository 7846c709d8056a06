/**
 * The exact bytes every consensus signature covers (DESIGN.md, Signatures):
 * each starts from its own domain tag and carries the chain id, the
 * committee, the epoch and the round, so that no signature is valid in two
 * places. The signed message is the 32-byte tagged hash
 * `taggedHash(tag, canonical struct)`:
 *
 * | what     | tag                    | struct (version 1 first)                                   |
 * |----------|------------------------|------------------------------------------------------------|
 * | vote     | hotshard/vote/v1       | [1, chainId, committeeId, epoch, VoteData]                 |
 * | timeout  | hotshard/timeout/v1    | [1, chainId, committeeId, epoch, round, highQc.round]      |
 * | proposal | hotshard/proposal/v1   | [1, chainId, committeeId, epoch, round, blockId]           |
 */
import { bytes32, encode, struct, u32, uint } from '../core/codec.js';
import { Tags, taggedHash } from '../core/hash.js';
import { signFast, verify as ed25519Verify } from '../core/ed25519.js';
import { VoteDataCodec } from './messages.js';
import type { BlockId, ConsensusDomain, Round, SignatureScheme, Signer, VoteData } from './types.js';

export const SIGNING_VERSION = 1;

export const VOTE_TAG = Tags.vote;
export const TIMEOUT_TAG = Tags.timeout;
export const PROPOSAL_TAG = Tags.proposal;

const VoteSigningCodec = struct(
  'VoteSigning',
  [
    ['chainId', uint],
    ['committeeId', u32],
    ['epoch', uint],
    ['voteData', VoteDataCodec],
  ] as const,
  SIGNING_VERSION,
);

const TimeoutSigningCodec = struct(
  'TimeoutSigning',
  [
    ['chainId', uint],
    ['committeeId', u32],
    ['epoch', uint],
    ['round', uint],
    ['hqcRound', uint],
  ] as const,
  SIGNING_VERSION,
);

const ProposalSigningCodec = struct(
  'ProposalSigning',
  [
    ['chainId', uint],
    ['committeeId', u32],
    ['epoch', uint],
    ['round', uint],
    ['blockId', bytes32],
  ] as const,
  SIGNING_VERSION,
);

/** What a vote (and so every signature of a QC) signs. */
export function voteSigningBytes(domain: ConsensusDomain, voteData: VoteData): Uint8Array {
  return taggedHash(
    VOTE_TAG,
    encode(VoteSigningCodec, {
      chainId: domain.chainId,
      committeeId: domain.committeeId,
      epoch: domain.epoch,
      voteData,
    }),
  );
}

/** What a timeout (and so every signature of a TC) signs: the round and the signer's high-QC round. */
export function timeoutSigningBytes(domain: ConsensusDomain, round: Round, hqcRound: Round): Uint8Array {
  return taggedHash(
    TIMEOUT_TAG,
    encode(TimeoutSigningCodec, {
      chainId: domain.chainId,
      committeeId: domain.committeeId,
      epoch: domain.epoch,
      round,
      hqcRound,
    }),
  );
}

/** What a proposer signs: the round and the block id (which commits to the whole header). */
export function proposalSigningBytes(domain: ConsensusDomain, round: Round, blockId: BlockId): Uint8Array {
  return taggedHash(
    PROPOSAL_TAG,
    encode(ProposalSigningCodec, {
      chainId: domain.chainId,
      committeeId: domain.committeeId,
      epoch: domain.epoch,
      round,
      blockId,
    }),
  );
}

/**
 * The real scheme: ed25519, signing through node:crypto (byte-identical to
 * @noble/ed25519), verification through THE rule of core/ed25519.ts.
 */
export const ed25519Scheme: SignatureScheme = {
  name: 'ed25519',
  sign: (message, seed) => signFast(message, seed),
  verify: (signature, message, publicKey) => ed25519Verify(signature, message, publicKey),
};

/** A Signer over a scheme and a secret (the safety rules are its only holder). */
export function makeSigner(scheme: SignatureScheme, secret: Uint8Array, publicKey: Uint8Array): Signer {
  const sk = new Uint8Array(secret);
  return { publicKey: new Uint8Array(publicKey), sign: (message) => scheme.sign(message, sk) };
}
